import ModelSealSigning

/// Reading the public half of a token key, without logging in: what `modelseal keygen --export-public` writes.
public enum PKCS11PublicKey {
    /// The public key object `uri` names (public objects are readable without the PIN).
    public static func read(uri: PKCS11URI, modulePath: String) throws -> VerifyingKey {
        guard uri.type == nil || uri.type == .public || uri.type == .private else {
            throw PKCS11Error.malformedURI("type=\(uri.type?.rawValue ?? ""): name a key pair")
        }
        var publicURI = uri
        publicURI.type = .public
        let session = try PKCS11Session(module: PKCS11Module.load(path: modulePath), uri: publicURI)
        let keys = try session.objects(of: PKCS11Constants.publicKey, matching: publicURI)
        guard keys.count == 1, let key = keys.first else {
            throw PKCS11Error.notFound(
                keys.isEmpty
                    ? "no public key matches \(uri) on token '\(session.tokenLabel)'"
                    : "\(uri) matches more than one public key on token '\(session.tokenLabel)': add id= or object=")
        }
        guard let parameters = try session.attribute(PKCS11Constants.ecParameters, of: key),
            let point = try session.attribute(PKCS11Constants.ecPoint, of: key)
        else {
            throw PKCS11Error.unsupportedKey("not an EC or Edwards public key: ModelSeal uses Ed25519 and ECDSA keys")
        }
        return try TokenCurve(ecParameters: parameters).publicKey(ecPoint: point)
    }
}
