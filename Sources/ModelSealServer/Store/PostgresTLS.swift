import ModelSealCore
import NIOSSL

/// How the PostgreSQL store protects its link to the database (docs/SERVER.md §Stores, TLS to PostgreSQL),
/// from `--db`'s `sslmode`, `sslrootcert`, `sslcert` and `sslkey` as libpq names them.
///
/// There is no `prefer` or `allow`: both fall back to plain text without saying so, which an attacker in
/// the path can force. Over TCP to another machine with no `sslmode`, the URL must choose.
public struct PostgresTLS: Sendable, Equatable {
    /// libpq's `sslmode` values this server accepts.
    public enum Mode: String, Sendable, CaseIterable {
        /// Plain text (a unix socket, loopback, or a network the operator trusts).
        case disable
        /// Encrypted, but any certificate is accepted: a passive listener learns nothing, an active one in
        /// the path can pose as the database.
        case require
        /// Encrypted; the certificate must chain to `sslrootcert` (any name it was issued for).
        case verifyCA = "verify-ca"
        /// Encrypted; the certificate must chain to `sslrootcert` and name the host `--db` connects to.
        case verifyFull = "verify-full"
    }

    public let mode: Mode
    /// PEM file of the CA certificates the database's certificate must chain to.
    public let rootCertificateFile: String?
    /// PEM files of a client certificate (chain) and its unencrypted private key, for `cert` authentication.
    public let clientCertificateFile: String?
    public let clientKeyFile: String?

    public static let disabled = PostgresTLS(
        mode: .disable, rootCertificateFile: nil, clientCertificateFile: nil, clientKeyFile: nil)

    /// The NIOSSL client configuration for `mode`; `nil` for `disable`. Reads the PEM files, so an
    /// unreadable or empty file is reported here, before any connection is tried.
    func configuration() throws -> TLSConfiguration? {
        guard mode != .disable else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        switch mode {
        case .disable: return nil
        case .require where rootCertificateFile == nil: configuration.certificateVerification = .none
        case .require, .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let rootCertificateFile {
            configuration.trustRoots = .certificates(try Self.certificates(rootCertificateFile, "sslrootcert"))
        }
        if let clientCertificateFile, let clientKeyFile {
            configuration.certificateChain = try Self.certificates(clientCertificateFile, "sslcert").map {
                .certificate($0)
            }
            let key = try Self.pem(clientKeyFile, "sslkey")
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            } catch {
                throw StoreError.database(
                    "sslkey \(clientKeyFile) is not an unencrypted PEM private key (\(error))")
            }
        }
        return configuration
    }

    /// Certificate and key files are read whole; no PEM bundle of CAs comes near this.
    static let pemLimit = 1 << 20

    static func certificates(_ file: String, _ parameter: String) throws -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(try pem(file, parameter))
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database("\(parameter) \(file) is not PEM certificates (\(error))")
        }
        guard !certificates.isEmpty else {
            throw StoreError.database("\(parameter) \(file) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        return certificates
    }

    /// The bytes of `file`, or an error naming the parameter and why it cannot be read.
    static func pem(_ file: String, _ parameter: String) throws -> [UInt8] {
        do {
            return try SmallFile.read(file, limit: pemLimit)
        } catch {
            throw StoreError.database("\(parameter) cannot be read: \(error)")
        }
    }
}

extension PostgresTLS {
    /// The URL's query parameters this type reads.
    static let parameterNames = ["sslmode", "sslrootcert", "sslcert", "sslkey"]

    /// The TLS settings from `--db`'s query. `host` is the TCP host, `nil` for a unix socket. Without
    /// `sslmode`: `verify-full` when `sslrootcert` is given, plain text on a socket or loopback, and a
    /// refusal for any other host (the operator must choose). `why` turns a reason into the URL's error.
    init(query: [String: String], host: String?, why: (String) -> StoreError) throws {
        let root = query["sslrootcert"]
        let (certificate, key) = (query["sslcert"], query["sslkey"])
        guard (certificate == nil) == (key == nil) else { throw why("give sslcert and sslkey together") }
        var mode: Mode
        if let text = query["sslmode"] {
            guard let known = Mode(rawValue: text) else {
                let downgrade = ["prefer", "allow"].contains(text) ? " (\(text) would fall back to plain text)" : ""
                throw why("sslmode=\(text) is not accepted\(downgrade); use disable, require, verify-ca or verify-full")
            }
            mode = known
        } else if root != nil {
            mode = .verifyFull
        } else if host == nil || Self.isLoopback(host ?? "") {
            mode = .disable
        } else {
            throw why(
                "\(host ?? "") is reached over the network: give sslmode=verify-full&sslrootcert=CA.pem "
                    + "(checks the database's certificate and name), or choose sslmode=require or sslmode=disable")
        }
        if host == nil, mode != .disable || root != nil || certificate != nil {
            throw why("PostgreSQL has no TLS on a unix socket: drop the ssl parameters or connect over TCP")
        }
        if mode == .verifyCA || mode == .verifyFull, root == nil {
            throw why("sslmode=\(mode.rawValue) needs sslrootcert=FILE (the PEM CA certificates to trust)")
        }
        if mode == .disable, root != nil || certificate != nil {
            throw why("sslmode=disable takes no sslrootcert, sslcert or sslkey")
        }
        self.init(mode: mode, rootCertificateFile: root, clientCertificateFile: certificate, clientKeyFile: key)
    }

    /// Names and addresses whose traffic stays on this machine.
    static func isLoopback(_ host: String) -> Bool {
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        let isIPv4Loopback =
            octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
        return host == "localhost" || host == "::1" || isIPv4Loopback
    }
}
