import Crypto
import ModelSealCore
import SwiftASN1

/// The TLS pin of a key server (docs/SERVER.md §Client, `tls_spki_sha256` in `activation.json`): the
/// lowercase hex SHA-256 of the DER SubjectPublicKeyInfo of the server's leaf certificate, whatever CA
/// signed it. Reads only the structure up to the key; nothing in the certificate is trusted.
public enum CertificatePin {
    /// Longest certificate accepted.
    public static let maximumLength = 64 * 1024

    /// The pin of the DER certificate `der` (X.509: `Certificate ::= SEQUENCE { tbsCertificate, … }`,
    /// `tbsCertificate ::= SEQUENCE { [0] version OPTIONAL, serial, signature, issuer, validity,
    /// subject, subjectPublicKeyInfo, … }`).
    public static func spkiSHA256(certificate der: [UInt8]) throws(ServerClientError) -> String {
        guard der.count <= maximumLength else { throw .protocolError("the certificate is over 64 KiB") }
        do {
            let certificate = try DER.parse(der)
            guard certificate.identifier == .sequence, case .constructed(let parts) = certificate.content,
                let tbs = parts.first(where: { _ in true }), tbs.identifier == .sequence,
                case .constructed(let fields) = tbs.content
            else { throw ServerClientError.protocolError("the certificate is not an X.509 SEQUENCE") }
            var remaining = Array(fields)
            if let first = remaining.first,
                first.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
            {
                remaining.removeFirst()
            }
            // serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo.
            guard remaining.count >= 6, remaining[5].identifier == .sequence else {
                throw ServerClientError.protocolError("the certificate has no subjectPublicKeyInfo")
            }
            return Hex.encode(SHA256.hash(data: Array(remaining[5].encodedBytes)))
        } catch let error as ServerClientError {
            throw error
        } catch {
            throw .protocolError("the certificate is not DER: \(error)")
        }
    }
}
