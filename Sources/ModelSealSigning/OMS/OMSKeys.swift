import ContainerFormat
import Crypto
import ModelSealCore

extension VerifyingKey {
    /// The key hint `model_signing` writes and checks: hex SHA-256 of the key's SubjectPublicKeyInfo PEM text as
    /// Python's `cryptography` writes it (64-column base64 lines, final newline included).
    public var omsKeyHint: String { Hex.encode(Array(SHA256.hash(data: Array(pem.utf8)))) }

    /// The algorithm of this key in OpenSSF model signatures: ECDSA with the curve's hash; `nil` for key types
    /// `model_signing` does not accept in key mode (Ed25519, RSA).
    public var omsAlgorithm: SignatureAlgorithm? {
        switch self {
        case .p256: .ecdsaP256SHA256
        case .p384: .ecdsaP384SHA384
        case .p521: .ecdsaP521SHA512
        case .ed25519, .rsa: nil
        }
    }

    /// The OpenSSF algorithm, or an error a user can act on.
    func requireOMSAlgorithm(role: String) throws(SigningError) -> SignatureAlgorithm {
        guard let algorithm = omsAlgorithm else {
            throw .unsuitableKey(
                "OpenSSF model signing (key mode) takes ECDSA P-256, P-384 or P-521 keys; the \(role) is \(typeName) "
                    + "(make one with `modelseal keygen --sign --alg ecdsa-p256`)")
        }
        return algorithm
    }
}
