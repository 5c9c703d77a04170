/// A private key held outside this process — a PKCS#11 token today, a KMS later — that signs on request
/// and never hands out its private half.
///
/// Callers sign short messages (Merkle roots, digests, statements), so one call is one round trip to the
/// device. Conformers check their own signature against `verifyingKey` before returning it.
public protocol ExternalSigningKey: Sendable {
    /// The public half, as read from the device when the key was opened.
    var verifyingKey: VerifyingKey { get }
    /// Where the key lives, for messages (a `pkcs11:` URI).
    var reference: String { get }
    /// The signature of `message` under `algorithm`, in the encoding of spec/SIGNATURES.md §2.
    func signature(for message: [UInt8], algorithm: SignatureAlgorithm) throws(SigningError) -> [UInt8]
}
