import Crypto
import FoundationEssentials
import ModelSealCore

/// A client request signed with the machine's request-signing key, Ed25519 or ECDSA P-256 (docs/SERVER.md
/// §Protocol).
///
/// The signature covers `modelseal-request-v1`, the method, the path (with its query), the SHA-256 of
/// the body, a nonce and the time, one per line. The server accepts it within ±`window` seconds of its
/// clock; a nonce is an idempotency key for releases, so a replayed request gets the stored answer.
public struct RequestSignature: Sendable, Equatable {
    /// Header carrying the machine id (absent at activation, where the key is in the body).
    public static let machineHeader = "x-modelseal-machine"
    /// Header carrying the nonce.
    public static let nonceHeader = "x-modelseal-nonce"
    /// Header carrying the time (Unix seconds).
    public static let timeHeader = "x-modelseal-time"
    /// Header carrying the base64 signature (Ed25519, or ECDSA P-256 as `r || s`).
    public static let signatureHeader = "x-modelseal-signature"
    /// How far the request's time may be from the server's.
    public static let window: Int64 = 300

    /// The nonce: 16 to 64 characters of `[A-Za-z0-9_-]`.
    public let nonce: String
    /// Unix seconds when the request was signed.
    public let time: Int64
    /// The 64-byte signature.
    public let signature: [UInt8]

    /// The bytes that are signed.
    public static func message(method: String, path: String, body: [UInt8], nonce: String, time: Int64) -> [UInt8] {
        let digest = Hex.encode(SHA256.hash(data: body))
        return Array("modelseal-request-v1\n\(method.uppercased())\n\(path)\n\(digest)\n\(nonce)\n\(time)".utf8)
    }

    /// Signs a request with a fresh random nonce. An error of the key (a TPM that does not answer) is thrown as
    /// the key threw it.
    public static func sign(
        method: String, path: String, body: [UInt8], key: any RequestSigningKey, time: Int64,
        nonce: String = newNonce()
    ) throws -> RequestSignature {
        let message = message(method: method, path: path, body: body, nonce: nonce, time: time)
        return RequestSignature(nonce: nonce, time: time, signature: try key.signature(for: message))
    }

    /// A signature as read from the headers.
    public init(nonce: String, time: Int64, signature: [UInt8]) {
        self.nonce = nonce
        self.time = time
        self.signature = signature
    }

    /// Parses the headers' values, refusing malformed ones.
    public init(nonce: String?, time: String?, signature: String?) throws(ServerProtocolError) {
        guard let nonce, let time, let signature else {
            throw ServerProtocolError(
                "the request is not signed: it needs the x-modelseal-nonce, -time and -signature headers")
        }
        guard Self.isValidNonce(nonce) else {
            throw ServerProtocolError("the nonce must be 16 to 64 characters of A-Z, a-z, 0-9, _ and -")
        }
        guard let seconds = Int64(time) else { throw ServerProtocolError("x-modelseal-time is not an integer") }
        guard let bytes = Base64.decode(signature), bytes.count == 64 else {
            throw ServerProtocolError("x-modelseal-signature is not the base64 of a 64-byte signature")
        }
        self.init(nonce: nonce, time: seconds, signature: bytes)
    }

    /// Checks the signature with `publicKey` and the time against `now`.
    public func verify(
        method: String, path: String, body: [UInt8], publicKey: RequestVerifyingKey, now: Int64
    ) throws(ServerProtocolError) {
        guard abs(time - now) <= Self.window else {
            throw ServerProtocolError(
                "the request's time is \(time - now) s from the server's clock (±\(Self.window) s allowed): "
                    + "set this machine's clock")
        }
        let message = Self.message(method: method, path: path, body: body, nonce: nonce, time: time)
        guard publicKey.isValidSignature(signature, for: message) else {
            throw ServerProtocolError("the request signature does not verify with the machine's key")
        }
    }

    /// The headers to send.
    public var headers: [(String, String)] {
        [(Self.nonceHeader, nonce), (Self.timeHeader, String(time)), (Self.signatureHeader, Base64.encode(signature))]
    }

    /// A fresh nonce: 24 random bytes, base64url without padding.
    public static func newNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64.encode(bytes, alphabet: .urlSafe, padded: false)
    }

    static func isValidNonce(_ nonce: String) -> Bool {
        (16...64).contains(nonce.utf8.count)
            && nonce.utf8.allSatisfy { Base64.isCharacter($0, of: .urlSafe) }
    }
}
