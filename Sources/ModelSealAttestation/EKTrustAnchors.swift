import SwiftASN1
import X509

/// The CAs a vendor trusts for EK certificates (`license issue --ek-ca`): the roots of TPM makers (or, in
/// tests, swtpm's local CA) and the intermediates under them. A self-signed certificate is a root; any other is
/// an intermediate that may complete a chain but trusts nothing by itself.
public struct EKTrustAnchors: Sendable {
    let roots: [Certificate]
    let intermediates: [Certificate]

    /// The certificates in `files` (PEM text, each with one or more certificates), named by `paths` in errors.
    public init(pemFiles files: [(path: String, text: String)]) throws(AttestationError) {
        var roots: [Certificate] = []
        var intermediates: [Certificate] = []
        for (path, text) in files {
            let documents: [PEMDocument]
            do {
                documents = try PEMDocument.parseMultiple(pemString: text)
            } catch {
                throw .badCA("\(path) is not PEM (-----BEGIN CERTIFICATE-----)")
            }
            let certificates = documents.filter { $0.discriminator == "CERTIFICATE" }
            guard !certificates.isEmpty else { throw .badCA("\(path) holds no CERTIFICATE") }
            for document in certificates {
                do {
                    let certificate = try Certificate(pemDocument: document)
                    if certificate.issuer == certificate.subject {
                        roots.append(certificate)
                    } else {
                        intermediates.append(certificate)
                    }
                } catch {
                    throw .badCA("\(path): a certificate does not parse (\(error))")
                }
            }
        }
        guard !roots.isEmpty else {
            throw .badCA("no root (self-signed) certificate among the --ek-ca files: give the TPM maker's root CA")
        }
        self.roots = roots
        self.intermediates = intermediates
    }
}
