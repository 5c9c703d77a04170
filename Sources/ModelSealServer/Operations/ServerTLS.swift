import Crypto
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import ModelSealCore
import NIOSSL

/// The listeners' TLS (docs/SERVER.md §TLS): a PEM certificate chain (leaf first) and its private key.
/// Clients pin the leaf's key: `spkiSHA256` is the lowercase hex SHA-256 of its DER
/// SubjectPublicKeyInfo, the value the vendor may hand out as `--server-pin sha256:HEX`.
public struct ServerTLS: Sendable {
    let configuration: TLSConfiguration
    /// SHA-256 (hex) of the leaf certificate's SubjectPublicKeyInfo.
    public let spkiSHA256: String

    /// Loads `certificateFile` and `keyFile` (PEM); throws a message naming the file that is wrong.
    public init(certificateFile: String, keyFile: String) throws {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw StoreError.database("--tls-cert \(certificateFile) is not a PEM certificate file: \(error)")
        }
        guard let leaf = chain.first else {
            throw StoreError.database("--tls-cert \(certificateFile) holds no certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw StoreError.database("--tls-key \(keyFile) is not a PEM private key (unencrypted): \(error)")
        }
        let spki: [UInt8]
        do {
            spki = try leaf.extractPublicKey().toSPKIBytes()
        } catch { throw StoreError.database("--tls-cert \(certificateFile): cannot read its public key") }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        self.configuration = configuration
        self.spkiSHA256 = Hex.encode(SHA256.hash(data: spki))
    }
}

/// Marks every request that came over TLS with the `https` scheme (Hummingbird's HTTP/1 codec leaves it
/// `http`), so the console's cookies get `Secure` (docs/CONSOLE.md §Security).
struct HTTPSResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == BasicRequestContext {
    let inner: Inner

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        var head = request.head
        head.scheme = "https"
        return try await inner.respond(to: Request(head: head, body: request.body), context: context)
    }
}
