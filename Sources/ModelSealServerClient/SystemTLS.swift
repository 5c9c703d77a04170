import Crypto
import ModelSealCore

#if canImport(Glibc)
    import Glibc
#endif

/// TLS for the key server's client through the system's OpenSSL (`libssl.so.3`, else `libssl.so.1.1`),
/// loaded with `dlopen` on the first `https://` call (docs/SERVER.md §TLS). Nothing is linked: the
/// `modelseal` command and the wheel stay libc-only, and a machine without OpenSSL still runs every
/// command but `https://` ones. The server's key is checked by the caller against the pin
/// (`TLSTrust`); with a CA file, OpenSSL also verifies the chain and the host name.
final class SystemTLS: @unchecked Sendable {
    typealias Method = @convention(c) () -> OpaquePointer?
    typealias ContextNew = @convention(c) (OpaquePointer?) -> OpaquePointer?
    typealias Free = @convention(c) (OpaquePointer?) -> Void
    typealias SetVerify = @convention(c) (OpaquePointer?, Int32, OpaquePointer?) -> Void
    typealias LoadVerify = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32
    typealias Control = @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    typealias SetDescriptor = @convention(c) (OpaquePointer?, Int32) -> Int32
    typealias SetHost = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    typealias Step = @convention(c) (OpaquePointer?) -> Int32
    typealias GetError = @convention(c) (OpaquePointer?, Int32) -> Int32
    typealias Transfer = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Int32
    typealias Result = @convention(c) (OpaquePointer?) -> Int
    typealias ResultText = @convention(c) (Int) -> UnsafePointer<CChar>?
    typealias Peer = @convention(c) (OpaquePointer?) -> OpaquePointer?
    typealias Encode = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32

    let clientMethod: Method
    let contextNew: ContextNew
    let contextFree: Free
    let setVerify: SetVerify
    let loadVerify: LoadVerify
    let contextControl: Control
    let sslNew: ContextNew
    let sslFree: Free
    let setDescriptor: SetDescriptor
    let control: Control
    let setHost: SetHost
    let connect: Step
    let shutdown: Step
    let getError: GetError
    let read: Transfer
    let write: Transfer
    let verifyResult: Result
    let verifyText: ResultText
    let peerCertificate: Peer
    let certificateKey: Peer
    let encodeKey: Encode
    let certificateFree: Free

    /// The loaded library, or why `https://` cannot be used on this machine.
    static let shared: Swift.Result<SystemTLS, ServerClientError> = {
        do throws(ServerClientError) {
            return .success(try SystemTLS())
        } catch { return .failure(error) }
    }()

    private init() throws(ServerClientError) {
        guard let handle = dlopen("libssl.so.3", RTLD_NOW) ?? dlopen("libssl.so.1.1", RTLD_NOW) else {
            throw .local(
                "https:// needs the system's OpenSSL library (libssl.so.3 or libssl.so.1.1), which is not installed: "
                    + "install it (Debian/Ubuntu: apt-get install libssl3)")
        }
        func symbol<T>(_ names: String..., as type: T.Type) throws(ServerClientError) -> T {
            for name in names { if let pointer = dlsym(handle, name) { return unsafeBitCast(pointer, to: type) } }
            throw .local("the system's OpenSSL library has no \(names[0]): https:// needs OpenSSL 1.1 or 3")
        }
        clientMethod = try symbol("TLS_client_method", as: Method.self)
        contextNew = try symbol("SSL_CTX_new", as: ContextNew.self)
        contextFree = try symbol("SSL_CTX_free", as: Free.self)
        setVerify = try symbol("SSL_CTX_set_verify", as: SetVerify.self)
        loadVerify = try symbol("SSL_CTX_load_verify_locations", as: LoadVerify.self)
        contextControl = try symbol("SSL_CTX_ctrl", as: Control.self)
        sslNew = try symbol("SSL_new", as: ContextNew.self)
        sslFree = try symbol("SSL_free", as: Free.self)
        setDescriptor = try symbol("SSL_set_fd", as: SetDescriptor.self)
        control = try symbol("SSL_ctrl", as: Control.self)
        setHost = try symbol("SSL_set1_host", as: SetHost.self)
        connect = try symbol("SSL_connect", as: Step.self)
        shutdown = try symbol("SSL_shutdown", as: Step.self)
        getError = try symbol("SSL_get_error", as: GetError.self)
        read = try symbol("SSL_read", as: Transfer.self)
        write = try symbol("SSL_write", as: Transfer.self)
        verifyResult = try symbol("SSL_get_verify_result", as: Result.self)
        verifyText = try symbol("X509_verify_cert_error_string", as: ResultText.self)
        peerCertificate = try symbol("SSL_get1_peer_certificate", "SSL_get_peer_certificate", as: Peer.self)
        certificateKey = try symbol("X509_get_X509_PUBKEY", as: Peer.self)
        encodeKey = try symbol("i2d_X509_PUBKEY", as: Encode.self)
        certificateFree = try symbol("X509_free", as: Free.self)
    }
}

/// One TLS connection over a connected socket: the handshake, the server key's SHA-256, reads and writes.
final class TLSConnection {
    static let verifyPeer: Int32 = 1
    static let setMinimumVersion: Int32 = 123  // SSL_CTRL_SET_MIN_PROTO_VERSION
    static let tls12: Int = 0x0303
    static let setHostName: Int32 = 55  // SSL_CTRL_SET_TLSEXT_HOSTNAME

    let library: SystemTLS
    let context: OpaquePointer
    let session: OpaquePointer
    /// Lowercase hex SHA-256 of the server certificate's DER SubjectPublicKeyInfo.
    private(set) var serverKeySHA256 = ""

    /// Handshakes over `descriptor`; with a CA file, OpenSSL verifies the chain and that the certificate
    /// names `url`'s host. The pin is the caller's check (`serverKeySHA256`).
    init(descriptor: Int32, url: ServerURL, caFile: String?) throws(ServerClientError) {
        library = try SystemTLS.shared.get()
        guard let context = library.contextNew(library.clientMethod()) else { throw .local("cannot set up TLS") }
        // The context is configured before SSL_new, which copies its verify mode.
        _ = library.contextControl(context, Self.setMinimumVersion, Self.tls12, nil)
        if let caFile {
            guard library.loadVerify(context, caFile, nil) == 1 else {
                library.contextFree(context)
                throw .usage("--ca-file \(caFile) is not a readable PEM file of CA certificates")
            }
            library.setVerify(context, Self.verifyPeer, nil)
        }
        self.context = context
        guard let session = library.sslNew(context) else {
            library.contextFree(context)
            throw .local("cannot set up TLS")
        }
        self.session = session
        if caFile != nil && library.setHost(session, url.host) != 1 {
            throw .usage("\(url): cannot check its host name against the certificate")
        }
        if !url.host.contains(":") && !url.host.allSatisfy({ $0.isNumber || $0 == "." }) {
            _ = url.host.withCString {
                library.control(session, Self.setHostName, 0, UnsafeMutableRawPointer(mutating: $0))
            }
        }
        _ = library.setDescriptor(session, descriptor)
        try handshake(url: url, verifying: caFile != nil)
    }

    deinit {
        _ = library.shutdown(session)
        library.sslFree(session)
        library.contextFree(context)
    }

    private func handshake(url: ServerURL, verifying: Bool) throws(ServerClientError) {
        let result = library.connect(session)
        guard result == 1 else {
            let verify = library.verifyResult(session)
            if verifying && verify != 0 {
                let text = library.verifyText(verify).map { String(cString: $0) } ?? "code \(verify)"
                throw .untrusted(
                    "the TLS certificate of \(url) does not verify against the CA file: \(text); check --ca-file, "
                        + "or pin the server's key with --server-pin sha256:HEX from the vendor")
            }
            throw .network("the TLS handshake with \(url) failed (is it an https:// server?)")
        }
        guard let certificate = library.peerCertificate(session) else {
            throw .untrusted("\(url) presented no TLS certificate")
        }
        defer { library.certificateFree(certificate) }
        let publicKey = library.certificateKey(certificate)
        let length = library.encodeKey(publicKey, nil)
        guard length > 0 else { throw .untrusted("cannot read the public key of \(url)'s TLS certificate") }
        var der = [UInt8](repeating: 0, count: Int(length))
        der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = library.encodeKey(publicKey, &cursor)
        }
        serverKeySHA256 = Hex.encode(SHA256.hash(data: der))
    }

    /// Writes all of `bytes`.
    func send(_ bytes: [UInt8], url: ServerURL) throws(ServerClientError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes {
                library.write(session, UnsafeMutableRawPointer(mutating: $0.baseAddress), Int32($0.count))
            }
            guard count > 0 else { throw .network("sending to \(url) over TLS failed") }
            offset += Int(count)
        }
    }

    /// Reads up to `buffer.count` bytes; 0 at the end of the stream.
    func receive(_ buffer: inout [UInt8], url: ServerURL) throws(ServerClientError) -> Int {
        let count = buffer.withUnsafeMutableBytes { library.read(session, $0.baseAddress, Int32($0.count)) }
        if count > 0 { return Int(count) }
        let error = library.getError(session, count)
        if error == 6 { return 0 }  // SSL_ERROR_ZERO_RETURN: the server closed the TLS stream
        if error == 5 && count == 0 { return 0 }  // SSL_ERROR_SYSCALL at EOF without close_notify
        throw .network("no answer from \(url) over TLS (error \(error))")
    }
}
