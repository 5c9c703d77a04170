import Crypto
import _CryptoExtras

/// The per-customer pattern key and the per-tensor nonces (spec/MARK.md §2).
///
/// `K = HMAC-SHA256(secret, "modelseal-mark/v1" 0x00 ‖ u16be(len m) ‖ m ‖ u16be(len c) ‖ c)` for model
/// id `m` and customer id `c` (UTF-8); the pattern of a tensor named `t` is the ChaCha20 keystream
/// (RFC 8439, 32-bit block counter from 0) under `K` with nonce `SHA-256("modelseal-mark/v1 tensor" 0x00 ‖ t)[0..<12]`.
public struct MarkKey: Sendable {
    /// Domain label of the customer key.
    static let keyLabel = Array("modelseal-mark/v1".utf8) + [0]
    /// Domain label of tensor nonces.
    static let nonceLabel = Array("modelseal-mark/v1 tensor".utf8) + [0]
    /// Domain label of the tracing subsample's ranks.
    static let subsampleLabel = Array("modelseal-mark/v1 subsample".utf8) + [0]
    /// Shortest and longest accepted secret.
    public static let secretBytes = 16...4096
    /// Longest model or customer id, in UTF-8 bytes.
    public static let maxIDBytes = 1024

    let key: SymmetricKey

    /// The pattern key of `customer` for `modelID` under `secret`.
    public init(secret: [UInt8], modelID: String, customer: String) throws(MarkError) {
        try MarkKey.check(secret: secret)
        try MarkKey.check(id: modelID, what: "model id")
        try MarkKey.check(id: customer, what: "customer id")
        var message = MarkKey.keyLabel
        MarkKey.appendField(Array(modelID.utf8), to: &message)
        MarkKey.appendField(Array(customer.utf8), to: &message)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret))
        key = SymmetricKey(data: Array(mac))
    }

    /// The raw 32 key bytes (test vectors only).
    public var rawKey: [UInt8] { key.withUnsafeBytes { Array($0) } }

    static func check(secret: [UInt8]) throws(MarkError) {
        guard secretBytes.contains(secret.count) else {
            throw .invalidRequest(
                "the mark secret holds \(secret.count) byte(s): use a file of 16 to 4096 random bytes "
                    + "(e.g. `head -c 32 /dev/urandom > mark.secret`)")
        }
    }

    static func check(id: String, what: String) throws(MarkError) {
        let count = id.utf8.count
        guard count > 0, count <= maxIDBytes else {
            throw .invalidRequest("the \(what) must be 1 to \(maxIDBytes) bytes of UTF-8 (got \(count))")
        }
    }

    static func appendField(_ bytes: [UInt8], to message: inout [UInt8]) {
        message.append(UInt8(bytes.count >> 8))
        message.append(UInt8(bytes.count & 0xFF))
        message += bytes
    }

    /// The 12-byte ChaCha20 nonce of the tensor called `name`.
    public static func nonce(tensor name: String) -> [UInt8] {
        Array(SHA256.hash(data: nonceLabel + Array(name.utf8)).prefix(12))
    }

    /// Pattern bits for elements `first ..< first + count` of a tensor, `first` a multiple of 512:
    /// bit `i % 8` of byte `i / 8` is 1 where element `first + i` is moved up (+1), 0 where down (−1).
    public func patternBytes(nonce: [UInt8], firstElement first: Int, count: Int) throws(MarkError) -> [UInt8] {
        guard first >= 0, first % 512 == 0, count >= 0 else {
            throw .invalidRequest("pattern ranges start on a 512-element boundary (got \(first))")
        }
        let byteCount = (count + 7) / 8
        let block = first / 512
        guard block + (byteCount + 63) / 64 <= Int(UInt32.max) else {
            throw .unsupported("a tensor of more than 2^41 elements is beyond the mark's 32-bit block counter")
        }
        let zeros = [UInt8](repeating: 0, count: byteCount)
        do {
            let stream = try Insecure.ChaCha20CTR.encrypt(
                zeros, using: key, counter: try Insecure.ChaCha20CTR.Counter(offset: UInt32(block)),
                nonce: try Insecure.ChaCha20CTR.Nonce(data: nonce))
            return Array(stream)
        } catch {
            throw .invalidRequest("the ChaCha20 keystream could not be produced: \(error)")
        }
    }
}
