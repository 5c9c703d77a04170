import ContainerEngine
import ModelSealCore

/// Named admins' console passwords (docs/CONSOLE.md §Login): scrypt (log2 N = 15, r = 8, p = 1: 32 MiB
/// and tens of milliseconds per guess) over a 16-byte random salt, stored as
/// `scrypt$LOG2N$R$P$SALT$HASH` (base64). Verification compares in constant time.
public enum AdminPassword {
    static let log2N = 15
    static let r = 8
    static let p = 1
    static let label = Array("modelseal/v1 console password".utf8)
    /// Shortest password accepted.
    public static let minimumLength = 12
    /// Longest password accepted (bytes).
    public static let maximumLength = 1024

    /// Why `password` is refused, `nil` when it is acceptable.
    public static func problem(_ password: String) -> String? {
        if password.count < minimumLength { return "a password has at least \(minimumLength) characters" }
        if password.utf8.count > maximumLength { return "a password has at most \(maximumLength) bytes" }
        return nil
    }

    /// The stored form of `password` with a fresh salt.
    public static func hash(_ password: String) throws -> String {
        let salt = Identifier.random(16)
        let parameters = try ScryptParameters.validated(log2N: log2N, r: r, p: p)
        let derived = try parameters.derive(password: Array(password.utf8), salt: label + salt)
        return "scrypt$\(log2N)$\(r)$\(p)$\(Base64.encode(salt))$\(Base64.encode(derived))"
    }

    /// Whether `password` matches `stored`; a malformed stored value or unsafe parameters match nothing.
    /// `stored == nil` (no such admin, or no password) still costs one derivation, so the time taken does
    /// not tell which names exist.
    public static func verify(_ password: String, stored: String?) -> Bool {
        let fields = stored?.split(separator: "$", omittingEmptySubsequences: false).map(String.init) ?? []
        guard fields.count == 6, fields[0] == "scrypt", let log2N = Int(fields[1]), let r = Int(fields[2]),
            let p = Int(fields[3]), let salt = Base64.decode(fields[4]), let expected = Base64.decode(fields[5]),
            let parameters = try? ScryptParameters.validated(log2N: log2N, r: r, p: p)
        else {
            _ = try? hash(password)
            return false
        }
        guard let derived = try? parameters.derive(password: Array(password.utf8), salt: label + salt) else {
            return false
        }
        return ConstantTime.equal(derived, expected)
    }

}
