import ContainerFormat
import Crypto
import FoundationEssentials
import ModelSealCore
import _CryptoExtras

/// OpenSSH `authorized_keys`-style public key lines (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709).
enum OpenSSHPublicKey {
    static func parse(_ line: String) throws(SigningError) -> VerifyingKey {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
        guard fields.count >= 2, let blob = Base64.decode(fields[1], padding: .optional) else {
            throw .unreadableKey("an OpenSSH public key line is 'TYPE BASE64 [comment]'")
        }
        var reader = ByteReader(blob)
        func string() throws(SigningError) -> [UInt8] {
            guard let length = reader.readBigEndian(UInt32.self), let bytes = reader.readBytes(Int(length)) else {
                throw .unreadableKey("OpenSSH key blob is truncated")
            }
            return Array(bytes)
        }
        let type = String(decoding: try string(), as: UTF8.self)
        guard type == fields[0] else {
            throw .unreadableKey("OpenSSH key type '\(fields[0])' does not match its blob ('\(type)')")
        }
        let key: VerifyingKey
        do {
            switch type {
            case "ssh-ed25519":
                key = .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: try string()))
            case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
                let curve = String(decoding: try string(), as: UTF8.self)
                guard type.hasSuffix(curve) else { throw SigningError.unreadableKey("OpenSSH ECDSA curve mismatch") }
                let point = try string()
                switch curve {
                case "nistp256": key = .p256(try P256.Signing.PublicKey(x963Representation: point))
                case "nistp384": key = .p384(try P384.Signing.PublicKey(x963Representation: point))
                default: key = .p521(try P521.Signing.PublicKey(x963Representation: point))
                }
            case "ssh-rsa":
                let exponent = try string()
                let modulus = try string()
                let rsa = try _RSA.Signing.PublicKey(n: modulus, e: exponent)
                guard VerifyingKey.rsaBits.contains(rsa.keySizeInBits) else {
                    throw SigningError.unsuitableKey("RSA-\(rsa.keySizeInBits): ModelSeal accepts 2048 to 4096 bits")
                }
                key = .rsa(rsa)
            default:
                throw SigningError.unreadableKey(
                    "OpenSSH key type '\(type)' is not supported (ssh-ed25519, ecdsa-sha2-nistp*, ssh-rsa)")
            }
        } catch let error as SigningError {
            throw error
        } catch {
            throw .unreadableKey("OpenSSH \(type) key is malformed: \(error)")
        }
        guard reader.isAtEnd else { throw .unreadableKey("OpenSSH key blob has trailing bytes") }
        return key
    }
}
