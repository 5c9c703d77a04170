import ContainerFormat
import Crypto
import _CryptoExtras

/// A passphrase through scrypt: both a recipient and an identity (stanza `0x02`, spec/CONTAINER.md §3).
public struct Passphrase: Recipient, Identity {
    static let label = "modelseal/v1 scrypt"
    static let saltLength = 32
    let passphrase: [UInt8]
    let parameters: ScryptParameters
    let openingWorkLimit: Int

    /// A passphrase (UTF-8) with the cost used when sealing; opening takes the cost from the file, up to
    /// `openingWorkLimit` (N * r * p; a file asking for more is refused before any derivation).
    public init(
        _ passphrase: String, parameters: ScryptParameters = .default,
        openingWorkLimit: Int = ScryptParameters.defaultOpeningWork
    ) throws(SealError) {
        guard !passphrase.isEmpty else { throw .invalidKey("the passphrase is empty") }
        self.passphrase = Array(passphrase.utf8)
        self.parameters = parameters
        self.openingWorkLimit = openingWorkLimit
    }

    public func wrap(_ fileKey: SymmetricKey) throws(SealError) -> Stanza {
        let salt = randomBytes(Self.saltLength)
        let wrapKey = try derive(salt: salt[...], parameters: parameters)
        do {
            let wrapped = try KeyWrap.wrap(fileKey, with: wrapKey, label: Self.label)
            let costs = [UInt8(parameters.log2N), UInt8(parameters.r), UInt8(parameters.p)]
            return Stanza(type: .scrypt, body: costs + salt + wrapped)
        } catch {
            throw .invalidKey("cannot wrap the file key: \(error)")
        }
    }

    public func unwrap(_ stanzas: [Stanza]) throws(SealError) -> SymmetricKey? {
        guard let stanza = stanzas.first(where: { $0.type == .scrypt }), stanza.body.count == 83 else { return nil }
        let body = stanza.body
        let parameters = try ScryptParameters.validated(
            log2N: Int(body[0]), r: Int(body[1]), p: Int(body[2]), workLimit: openingWorkLimit)
        let wrapKey = try derive(salt: body[3..<35], parameters: parameters)
        return KeyWrap.unwrap(body[35...], with: wrapKey, label: Self.label)
    }

    private func derive(salt: ArraySlice<UInt8>, parameters: ScryptParameters) throws(SealError) -> SymmetricKey {
        SymmetricKey(data: try parameters.derive(password: Array(passphrase), salt: Array(Self.label.utf8) + salt))
    }
}
