import ContainerFormat
import Crypto
import FoundationEssentials

/// An X25519 public key: files are sealed to it through HPKE (stanza `0x03`, spec/CONTAINER.md §3).
public struct X25519Recipient: Recipient, Equatable {
    static let info = Data("modelseal/v1 x25519-hpke".utf8)
    static let suite = HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256)
    /// The 32-byte public key.
    public let publicKey: Curve25519.KeyAgreement.PublicKey

    /// A recipient from the 32 raw bytes of an X25519 public key.
    public init(rawRepresentation bytes: [UInt8]) throws(SealError) {
        do {
            publicKey = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: bytes)
        } catch {
            throw .invalidKey("an X25519 public key is 32 bytes, got \(bytes.count)")
        }
    }

    init(publicKey: Curve25519.KeyAgreement.PublicKey) { self.publicKey = publicKey }

    /// The 32 raw bytes.
    public var rawRepresentation: [UInt8] { Array(publicKey.rawRepresentation) }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.rawRepresentation == rhs.rawRepresentation }

    public func wrap(_ fileKey: SymmetricKey) throws(SealError) -> Stanza {
        do {
            var sender = try HPKE.Sender(recipientKey: publicKey, ciphersuite: Self.suite, info: Self.info)
            let ciphertext = try fileKey.withUnsafeBytes { try sender.seal(Data($0)) }
            return Stanza(type: .x25519HPKE, body: Array(sender.encapsulatedKey) + Array(ciphertext))
        } catch {
            throw .invalidKey("cannot wrap the file key to an X25519 recipient: \(error)")
        }
    }
}

/// An X25519 private key: opens stanzas sealed to its public key.
public struct X25519Identity: Identity {
    /// The private key.
    public let privateKey: Curve25519.KeyAgreement.PrivateKey

    /// A fresh random identity.
    public static func generate() -> X25519Identity { X25519Identity(privateKey: .init()) }

    init(privateKey: Curve25519.KeyAgreement.PrivateKey) { self.privateKey = privateKey }

    /// An identity from the 32 raw bytes of an X25519 private key.
    public init(rawRepresentation bytes: [UInt8]) throws(SealError) {
        do {
            privateKey = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: bytes)
        } catch {
            throw .invalidKey("an X25519 private key is 32 bytes, got \(bytes.count)")
        }
    }

    /// The 32 raw bytes.
    public var rawRepresentation: [UInt8] { Array(privateKey.rawRepresentation) }

    /// The matching recipient.
    public var recipient: X25519Recipient { X25519Recipient(publicKey: privateKey.publicKey) }

    public func unwrap(_ stanzas: [Stanza]) throws(SealError) -> SymmetricKey? {
        for stanza in stanzas where stanza.type == .x25519HPKE && stanza.body.count == 80 {
            let encapsulated = Data(stanza.body.prefix(32))
            guard
                var receiver = try? HPKE.Recipient(
                    privateKey: privateKey, ciphersuite: X25519Recipient.suite, info: X25519Recipient.info,
                    encapsulatedKey: encapsulated),
                let fileKey = try? receiver.open(Data(stanza.body.dropFirst(32)))
            else { continue }
            return SymmetricKey(data: fileKey)
        }
        return nil
    }
}
