import ModelSealCore

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal HTTP/1.1 client over a POSIX socket, for the key server's JSON API (docs/SERVER.md §Client).
///
/// It needs nothing but libc, so the `modelseal` command stays statically linkable into the wheel;
/// `https://` goes through the system's OpenSSL loaded with dlopen (`SystemTLS`), the server's key
/// checked against a `TLSTrust` before the request is sent. One request per connection
/// (`Connection: close`), a bounded answer (1 MiB), 30 s send/receive timeouts.
public enum PlainHTTP {
    /// An answer: the status code and the body.
    public struct Answer: Sendable {
        public let status: Int
        public let body: [UInt8]
        /// Over TLS: the hex SHA-256 of the server certificate's SubjectPublicKeyInfo.
        public var tlsKey: String? = nil

        public init(status: Int, body: [UInt8]) {
            self.status = status
            self.body = body
        }
    }

    static let maximumAnswer = 1 << 20

    /// Sends one request; throws `.network` when no answer came back, `.untrusted` when an `https://`
    /// server's key fails `trust` (nothing is sent to it then). `https://` needs a `trust`.
    public static func send(
        _ method: String, _ url: ServerURL, path: String, headers: [(String, String)] = [], body: [UInt8] = [],
        trust: TLSTrust? = nil, timeoutSeconds: Int = 30
    ) throws(ServerClientError) -> Answer {
        let descriptor = try connect(url, timeoutSeconds: timeoutSeconds)
        defer { close(descriptor) }
        var head = "\(method) \(url.basePath)\(path) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nConnection: close\r\n"
        head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\nUser-Agent: modelseal\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let request = Array((head + "\r\n").utf8) + body
        guard url.isTLS else {
            try sendAll(descriptor, request, url: url)
            return try parse(try receiveAll(descriptor, url: url), url: url)
        }
        guard let trust else {
            throw .usage("\(url): say how to trust its TLS key (--server-pin sha256:HEX or --ca-file FILE)")
        }
        let connection = try secure(descriptor, url: url, trust: trust)
        try connection.send(request, url: url)
        var answer = try parse(
            try receiveAll(url: url) { buffer throws(ServerClientError) in
                try connection.receive(&buffer, url: url)
            }, url: url)
        answer.tlsKey = connection.serverKeySHA256
        return answer
    }

    /// The TLS handshake over `descriptor` and the check of the server's key against `trust`.
    static func secure(_ descriptor: Int32, url: ServerURL, trust: TLSTrust) throws(ServerClientError)
        -> TLSConnection
    {
        var caFile: String? = nil
        if case .certificateAuthorities(let file) = trust { caFile = file }
        let connection = try TLSConnection(descriptor: descriptor, url: url, caFile: caFile)
        if case .pinned(let pin) = trust, connection.serverKeySHA256 != pin {
            throw .untrusted(
                "\(url) presented TLS key sha256:\(connection.serverKeySHA256), not the key sha256:\(pin) this machine "
                    + "pinned: someone may be intercepting the connection, so nothing was sent. If the vendor says "
                    + "the server's TLS key changed, get the new pin from the vendor and run `modelseal activate "
                    + "--server \(url) --token-file FILE --server-pin sha256:NEW`")
        }
        return connection
    }

    static func connect(_ url: ServerURL, timeoutSeconds: Int) throws(ServerClientError) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(url.host, String(url.port), &hints, &list) == 0, let first = list else {
            throw .network("cannot resolve \(url.host)")
        }
        defer { freeaddrinfo(list) }
        var failure = "no address"
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            cursor = entry.pointee.ai_next
            let descriptor = socket(entry.pointee.ai_family, entry.pointee.ai_socktype, entry.pointee.ai_protocol)
            guard descriptor >= 0 else { continue }
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            if Glibc.connect(descriptor, entry.pointee.ai_addr, entry.pointee.ai_addrlen) == 0 { return descriptor }
            failure = String(cString: strerror(errno))
            close(descriptor)
        }
        throw .network("cannot connect to \(url): \(failure)")
    }

    static func sendAll(_ descriptor: Int32, _ bytes: [UInt8], url: ServerURL) throws(ServerClientError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { throw .network("sending to \(url) failed: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    static func receiveAll(_ descriptor: Int32, url: ServerURL) throws(ServerClientError) -> [UInt8] {
        try receiveAll(url: url) { buffer throws(ServerClientError) in
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { throw .network("no answer from \(url): \(String(cString: strerror(errno)))") }
                return count
            }
        }
    }

    /// Reads with `receive` (bytes into the buffer, 0 at the end) until the answer is complete.
    static func receiveAll(
        url: ServerURL, _ receive: (inout [UInt8]) throws(ServerClientError) -> Int
    ) throws(ServerClientError) -> [UInt8] {
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = try receive(&buffer)
            if count == 0 { return answer }
            answer += buffer[0..<count]
            guard answer.count <= maximumAnswer else { throw .protocolError("the answer from \(url) is over 1 MiB") }
            if let complete = completeLength(answer), answer.count >= complete { return Array(answer[0..<complete]) }
        }
    }

    /// The whole message's length once the head is in and names a Content-Length.
    static func completeLength(_ bytes: [UInt8]) -> Int? {
        guard let end = headEnd(bytes) else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self).lowercased()
        for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
            guard let length = Int(line.dropFirst("content-length:".count).trimmingSpaces) else { return nil }
            return end + 4 + length
        }
        return nil
    }

    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    static func parse(_ bytes: [UInt8], url: ServerURL) throws(ServerClientError) -> Answer {
        guard let end = headEnd(bytes) else { throw .network("the connection to \(url) closed before an answer") }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .protocolError("\(url) did not answer HTTP/1.1")
        }
        if head.lowercased().contains("transfer-encoding: chunked") {
            throw .protocolError("\(url) answered with a chunked body, which this client does not read")
        }
        return Answer(status: status, body: Array(bytes[(end + 4)...]))
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text
    }
}
