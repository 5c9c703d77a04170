import CPKCS11
import ModelSealSigning

/// A signing key that stays on a PKCS#11 token: Ed25519 (CKM_EDDSA) or ECDSA P-256/P-384/P-521 (CKM_ECDSA).
///
/// Each signature is one C_SignInit + C_Sign of a short message (a Merkle root, a manifest digest, a license
/// statement), never of a whole file; ECDSA messages are hashed here and the token's r‖s is DER-encoded.
/// Every signature is checked against the token's public key before it is returned.
public final class PKCS11SigningKey: ExternalSigningKey, @unchecked Sendable {
    // @unchecked: `session` serialises every token call behind its lock; the rest is immutable.
    public let verifyingKey: VerifyingKey
    public let reference: String
    private let session: PKCS11Session
    private let object: CK_OBJECT_HANDLE
    private let curve: TokenCurve
    private let contextPIN: [UInt8]?

    /// Opens the private key `uri` names with the module at `modulePath`, logging in with the PIN `pin`
    /// returns (asked only when the token needs one and has no PIN pad).
    public init(uri: PKCS11URI, modulePath: String, pin: () throws -> [UInt8]) throws {
        guard uri.type == nil || uri.type == .private else {
            throw PKCS11Error.malformedURI("type=\(uri.type?.rawValue ?? ""): a signing key is a private key")
        }
        session = try PKCS11Session(module: PKCS11Module.load(path: modulePath), uri: uri)
        var pinBytes: [UInt8]? = nil
        if session.tokenFlags & PKCS11Constants.loginRequired != 0 {
            let protected = session.tokenFlags & PKCS11Constants.protectedAuthenticationPath != 0
            pinBytes = protected ? nil : try pin()
            try session.login(pin: pinBytes)
        }
        let keys = try session.objects(of: PKCS11Constants.privateKey, matching: uri)
        guard keys.count == 1, let key = keys.first else {
            throw PKCS11Error.notFound(
                keys.isEmpty
                    ? "no private key matches \(uri) on token '\(session.tokenLabel)' "
                        + "(list the token's objects: pkcs11-tool --module MODULE --login --list-objects)"
                    : "\(uri) matches more than one private key on token '\(session.tokenLabel)': add id= or object=")
        }
        object = key
        (curve, verifyingKey) = try Self.publicKey(of: key, in: session)
        let always = try session.attribute(PKCS11Constants.alwaysAuthenticate, of: key)
        contextPIN = always == [1] ? pinBytes : nil
        reference = uri.description
    }

    public func signature(for message: [UInt8], algorithm: SignatureAlgorithm) throws(SigningError) -> [UInt8] {
        guard verifyingKey.supports(algorithm) else {
            throw .unsuitableKey("the \(verifyingKey.typeName) key \(reference) cannot sign with \(algorithm)")
        }
        let input = curve.tokenInput(for: message)
        let result = session.lock.withLock { _ -> Result<[UInt8], PKCS11Error> in
            do throws(PKCS11Error) {
                let raw = try session.sign(input, key: object, mechanism: curve.mechanism, contextPIN: contextPIN)
                return .success(try curve.encodedSignature(raw))
            } catch {
                return .failure(error)
            }
        }
        guard case .success(let signature) = result else {
            if case .failure(let error) = result { throw .unsuitableKey("token key \(reference): \(error)") }
            throw .unsuitableKey("token key \(reference): no signature")
        }
        guard verifyingKey.isValidSignature(signature, for: message, algorithm: algorithm) else {
            throw .unsuitableKey(
                "the token's signature does not verify with the public key beside \(reference): "
                    + "the public key object does not belong to the private key")
        }
        return signature
    }

    /// The curve and public key of private key `key`: CKA_EC_PARAMS and the CKA_EC_POINT of the public key
    /// object with the same CKA_ID (or of the private key itself, which PKCS#11 3.0 allows).
    private static func publicKey(of key: CK_OBJECT_HANDLE, in session: PKCS11Session) throws
        -> (TokenCurve, VerifyingKey)
    {
        let keyType = try session.attribute(PKCS11Constants.keyType, of: key)
        let known = [PKCS11Constants.keyTypeEC, PKCS11Constants.keyTypeEdwards].map { value in
            withUnsafeBytes(of: value) { Array($0) }
        }
        guard let keyType, known.contains(keyType) else {
            throw PKCS11Error.unsupportedKey("not an EC or Edwards key: ModelSeal signs with Ed25519 and ECDSA keys")
        }
        guard let parameters = try session.attribute(PKCS11Constants.ecParameters, of: key) else {
            throw PKCS11Error.unsupportedKey("the key has no CKA_EC_PARAMS")
        }
        let curve = try TokenCurve(ecParameters: parameters)
        var point = try session.attribute(PKCS11Constants.ecPoint, of: key)
        if point == nil {
            var sameID = try PKCS11URI(parsing: PKCS11URI.scheme)
            sameID.id = try session.attribute(PKCS11Constants.id, of: key)
            if sameID.id == nil || sameID.id == [] {
                sameID.object = try session.attribute(PKCS11Constants.label, of: key).map {
                    String(decoding: $0, as: UTF8.self)
                }
            }
            let publics = try session.objects(of: PKCS11Constants.publicKey, matching: sameID)
            guard publics.count == 1, let match = publics.first else {
                throw PKCS11Error.notFound(
                    "no single public key object beside the private key (same id): "
                        + "ModelSeal needs it to check signatures and export the public key")
            }
            point = try session.attribute(PKCS11Constants.ecPoint, of: match)
        }
        guard let point else { throw PKCS11Error.unsupportedKey("the public key object has no CKA_EC_POINT") }
        return (curve, try curve.publicKey(ecPoint: point))
    }
}
