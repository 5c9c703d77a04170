import CPKCS11

/// An AES-256 key that stays on a PKCS#11 token and seals short secrets with CKM_AES_GCM (the key server's
/// master key, docs/SERVER.md §Keys).
///
/// Only a key the token keeps to itself is accepted: CKK_AES of 32 bytes, CKA_SENSITIVE and CKA_PRIVATE true
/// (a public object may be stored unencrypted by the token software), CKA_EXTRACTABLE false. Each call is one
/// C_EncryptInit + C_Encrypt (or C_DecryptInit + C_Decrypt) of a short secret; the 12-byte IV comes from the
/// host's random generator and is given to the token in CK_GCM_PARAMS.
public final class PKCS11SecretKey: @unchecked Sendable {
    // @unchecked: `session` serialises every token call behind its lock; the rest is immutable.
    /// The URI as given.
    public let reference: String
    /// The label of the token the key is on.
    public let tokenLabel: String
    private let session: PKCS11Session
    private let object: CK_OBJECT_HANDLE

    /// Length of the IV each seal uses (NIST SP 800-38D's recommended 96 bits).
    public static let ivCount = 12
    /// Length of the GCM tag after the ciphertext.
    public static let tagCount = 16
    /// Length of the key: AES-256.
    static let keyCount: [UInt8] = withUnsafeBytes(of: CK_ULONG(32)) { Array($0) }

    /// Opens the secret key `uri` names with the module at `modulePath`, logging in with the PIN `pin` returns.
    public init(uri: PKCS11URI, modulePath: String, pin: () throws -> [UInt8]) throws {
        guard uri.type == nil || uri.type == .secretKey else {
            throw PKCS11Error.malformedURI("type=\(uri.type?.rawValue ?? ""): a master key is a secret key")
        }
        session = try PKCS11Session(module: PKCS11Module.load(path: modulePath), uri: uri)
        if session.tokenFlags & PKCS11Constants.loginRequired != 0 {
            let protected = session.tokenFlags & PKCS11Constants.protectedAuthenticationPath != 0
            try session.login(pin: protected ? nil : try pin())
        }
        reference = uri.description
        tokenLabel = session.tokenLabel
        object = try Self.find(uri, in: session)
        try Self.checkKept(object, in: session, reference: reference)
    }

    /// `plaintext` sealed under the key with a fresh IV and associated data `aad`: IV ‖ ciphertext ‖ tag.
    public func seal(_ plaintext: [UInt8], authenticating aad: [UInt8]) throws(PKCS11Error) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let iv = (0..<Self.ivCount).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let result = session.lock.withLock { _ -> Result<[UInt8], PKCS11Error> in
            Result { () throws(PKCS11Error) in try session.encrypt(plaintext, key: object, iv: iv, aad: aad) }
        }
        return iv + (try result.get())
    }

    /// The plaintext of `sealed` (IV ‖ ciphertext ‖ tag), or `nil` when it does not open under this key with `aad`.
    public func open(_ sealed: [UInt8], authenticating aad: [UInt8]) throws(PKCS11Error) -> [UInt8]? {
        guard sealed.count >= Self.ivCount + Self.tagCount else { return nil }
        let iv = Array(sealed.prefix(Self.ivCount))
        let rest = Array(sealed.dropFirst(Self.ivCount))
        let result = session.lock.withLock { _ -> Result<[UInt8]?, PKCS11Error> in
            Result { () throws(PKCS11Error) in try session.decrypt(rest, key: object, iv: iv, aad: aad) }
        }
        return try result.get()
    }

    /// The one secret key `uri` names; when none does, says what the label names instead.
    private static func find(_ uri: PKCS11URI, in session: PKCS11Session) throws(PKCS11Error) -> CK_OBJECT_HANDLE {
        let keys = try session.objects(of: PKCS11Constants.secretKey, matching: uri)
        if keys.count == 1, let key = keys.first { return key }
        guard keys.isEmpty else {
            throw .notFound(
                "\(uri) matches more than one secret key on token '\(session.tokenLabel)': add id= or object=")
        }
        let others = [("private key", PKCS11Constants.privateKey), ("public key", PKCS11Constants.publicKey)]
        for (name, objectClass) in others {
            guard try !session.objects(of: objectClass, matching: uri).isEmpty else { continue }
            throw .unsupportedKey(
                "\(uri) names a \(name) on token '\(session.tokenLabel)', not an AES key: make an AES-256 key with "
                    + "pkcs11-tool --keygen --key-type AES:32 --sensitive --private --label NAME")
        }
        throw .notFound(
            "no secret key matches \(uri) on token '\(session.tokenLabel)' (list the token's objects: pkcs11-tool "
                + "--module MODULE --login --list-objects; make one with pkcs11-tool --keygen --key-type AES:32 "
                + "--sensitive --private --label NAME)")
    }

    /// Refuses a key that is not AES-256 or that the token would reveal.
    private static func checkKept(_ key: CK_OBJECT_HANDLE, in session: PKCS11Session, reference: String)
        throws(PKCS11Error)
    {
        let aes = withUnsafeBytes(of: PKCS11Constants.keyTypeAES) { Array($0) }
        guard try session.attribute(PKCS11Constants.keyType, of: key) == aes else {
            throw .unsupportedKey("\(reference) is not an AES key: the master key is an AES-256 key (CKK_AES)")
        }
        guard try session.attribute(PKCS11Constants.valueLength, of: key) == keyCount else {
            throw .unsupportedKey("\(reference) is not a 32-byte AES key: make it with --key-type AES:32")
        }
        let (isTrue, isFalse): ([UInt8]?, [UInt8]?) = ([1], [0])
        guard try session.attribute(PKCS11Constants.sensitive, of: key) == isTrue,
            try session.attribute(PKCS11Constants.private, of: key) == isTrue,
            try session.attribute(PKCS11Constants.extractable, of: key) == isFalse
        else {
            throw .unsupportedKey(
                "\(reference) could leave the token (it must be sensitive, private and not extractable): make a key "
                    + "with pkcs11-tool --keygen --key-type AES:32 --sensitive --private (without --extractable)")
        }
    }
}
