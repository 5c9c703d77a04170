import Crypto
import ModelSealPKCS11

/// The key that wraps every secret the database holds (docs/SERVER.md §Keys): 32 bytes from a file or the
/// environment, or an AES-256 key that never leaves a PKCS#11 token. Every store path, the rotations and the
/// server's own keys wrap and unwrap through it, each secret labelled by what it is (`signing_key`,
/// `file-key FILE_ID`, …) and the label bound as GCM associated data.
///
/// Byte layout of a wrapped secret (AES-256-GCM either way, associated data `"modelseal/v1 server " + label`):
///
///     file key:   nonce (12) ‖ ciphertext ‖ tag (16)                 (swift-crypto's combined form)
///     token key:  "mstoken\u{1}" (8) ‖ IV (12) ‖ ciphertext ‖ tag (16)
///
/// A token blob is told apart by its 8-byte prefix. A file key never looks at it (its blobs' nonces are random,
/// and one that happens to start with the prefix still opens); a token key opens only prefixed blobs. The
/// prefix lets each say which kind of key a blob it cannot open was wrapped by.
public enum MasterKey: Sendable {
    /// 32 bytes held by the server process (`--master-key-file`, `$MODELSEAL_SERVER_MASTER_KEY`, the default file).
    case file(SymmetricKey)
    /// An AES-256 key on a token (`--master-key-file pkcs11:…`); only the token computes with it.
    case token(PKCS11SecretKey)

    /// Whether a master-key reference (`--master-key-file`, `--new-master-key-file`) names a token key.
    public static func isTokenReference(_ reference: String) -> Bool { PKCS11URI.isURI(reference) }

    /// The prefix of a token-wrapped secret: "mstoken" and the layout's version, 1.
    static let tokenPrefix: [UInt8] = Array("mstoken".utf8) + [1]

    /// `secret` sealed for the database under this key, bound to `label`.
    func wrap(_ secret: [UInt8], label: String) throws -> [UInt8] {
        switch self {
        case .file(let key):
            let box = try AES.GCM.seal(secret, using: key, authenticating: Self.associatedData(label))
            guard let combined = box.combined else { throw StoreError.database("cannot wrap a secret") }
            return Array(combined)
        case .token(let key):
            do {
                return Self.tokenPrefix + (try key.seal(secret, authenticating: Self.associatedData(label)))
            } catch { throw StoreError.database("the token master key \(key.reference) cannot wrap: \(error)") }
        }
    }

    /// The secret in `wrapped` (labelled `label`); throws naming the key the database needs when it does not open.
    func unwrap(_ wrapped: [UInt8], label: String) throws -> [UInt8] {
        let tokenWrapped = wrapped.starts(with: Self.tokenPrefix)
        switch self {
        case .file(let key):
            if let box = try? AES.GCM.SealedBox(combined: wrapped),
                let opened = try? AES.GCM.open(box, using: key, authenticating: Self.associatedData(label))
            {
                return Array(opened)
            }
            throw StoreError.database(
                tokenWrapped
                    ? "the database's secrets are wrapped by a master key on a PKCS#11 token: start with "
                        + "--master-key-file 'pkcs11:token=…;object=…' naming that key (module from --pkcs11-module "
                        + "or MODELSEAL_PKCS11_MODULE, PIN from MODELSEAL_PKCS11_PIN)"
                    : "a secret in the database does not open with this master key: start the server with the master "
                        + "key the database was made with")
        case .token(let key):
            guard tokenWrapped else {
                throw StoreError.database(
                    "a secret in the database is wrapped by a master key file, not by a token key: start with the "
                        + "master key file the database was made with, and move it to the token with `modelseal-server "
                        + "key rotate-master --new-master-key-file \(key.reference)`")
            }
            let opened: [UInt8]?
            do {
                opened = try key.open(
                    Array(wrapped.dropFirst(Self.tokenPrefix.count)), authenticating: Self.associatedData(label))
            } catch { throw StoreError.database("the token master key \(key.reference) cannot unwrap: \(error)") }
            guard let opened else {
                throw StoreError.database(
                    "a secret in the database does not open with this master key (\(key.reference) on token "
                        + "'\(key.tokenLabel)'): it was wrapped by another token key; start the server with the one "
                        + "the database was made with")
            }
            return opened
        }
    }

    /// Whether `other` is the same key: a secret it wraps opens under this one.
    func isSameKey(as other: MasterKey) -> Bool {
        let probe = Identifier.random(32)
        guard let wrapped = try? other.wrap(probe, label: "probe"), let opened = try? unwrap(wrapped, label: "probe")
        else { return false }
        return opened == probe
    }

    private static func associatedData(_ label: String) -> [UInt8] { Array(("modelseal/v1 server " + label).utf8) }
}
