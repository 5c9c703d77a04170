import ModelSealCore
import ModelSealKit
import ModelSealLicensing
import ModelSealServerClient
import ModelSealServerProtocol
import Synchronization

/// A `server_request`: one signed key-release request for one sealed file (docs/SERVER.md §Client).
///
/// The caller (the Python package) sends it over its own HTTP client and hands back the answer, or
/// says the server was unreachable; the library verifies the release (server signature, nonce, file,
/// machine), opens the wrapped file key with the machine key (software or TPM) and adds it to a
/// keyring. The file key never leaves the library. Every rule is `KeyRequest`'s, the CLI's own.
final class ServerRequest: Sendable {
    struct State: @unchecked Sendable {
        let url: ServerURL
        let fileID: String
        /// The signed request, made by the first `modelseal_server_request_http`.
        var pending: KeyRequest.Pending?
        var answered = false
        var note: String?
        var leaseExpiresAt: Int64?
        var failure: ServerClientError?
    }

    let state: Mutex<State>

    init(url: ServerURL, fileID: String) { state = Mutex(State(url: url, fileID: fileID)) }

    /// The signed request (signed once: asking again gives the same request, a retry).
    func prepared() throws -> KeyRequest.Pending {
        try state.withLock { state in
            guard !state.answered else { throw StatusError(.usage, "the server request was already answered") }
            if let pending = state.pending { return pending }
            do throws(ServerClientError) {
                let pending = try KeyRequest.prepare(
                    url: state.url, fileID: state.fileID, directory: .fromEnvironment(), now: LicenseClock.now())
                state.pending = pending
                return pending
            } catch {
                state.failure = error
                throw error.statusError
            }
        }
    }

    /// Runs the answer step once: records the outcome, adds the key to `ring`, rethrows a failure.
    func finish(into ring: Keyring, _ step: (KeyRequest.Pending) throws(ServerClientError) -> KeyRequest.Outcome)
        throws
    {
        try state.withLock { state in
            guard !state.answered else {
                throw StatusError(
                    .usage, "the server request was already answered: make a new one (its nonce is spent)")
            }
            guard let pending = state.pending else {
                throw StatusError(.usage, "the server request was not sent: call modelseal_server_request_http first")
            }
            state.answered = true
            do throws(ServerClientError) {
                let outcome = try step(pending)
                state.note = outcome.note
                // A cached lease (a note says so) is usable until its offline grace ends.
                state.leaseExpiresAt = outcome.note == nil ? outcome.lease.expiresAt : outcome.lease.graceEnd
                ring.add(identity: ReleasedKey(fileKey: outcome.fileKey))
            } catch {
                state.failure = error
                throw error.statusError
            }
        }
    }
}

func serverRequest(_ handle: OpaquePointer?) throws -> ServerRequest {
    try Handles.lookup(handle, as: ServerRequest.self, "server request")
}

/// A key-release request for the sealed `file` to the server at `url` (signed by
/// `modelseal_server_request_http`).
@_cdecl("modelseal_server_request_new")
public func serverRequestNew(
    _ file: OpaquePointer?, _ url: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        let file = try openedFile(file)
        let text = try Argument.string(url, "url")
        let out = try Argument.output(out, "out")
        let fileID = try file.state.withLock { state in
            guard case .sealed(let sealed) = state.content else {
                throw StatusError(.inputError, "a key server releases keys of sealed files (.mseal), not Fernet tokens")
            }
            return sealed.fileID
        }
        let parsed: ServerURL
        do throws(ServerClientError) { parsed = try ServerURL(text) } catch { throw error.statusError }
        out.pointee = Handles.register(ServerRequest(url: parsed, fileID: fileID))
    }
}

/// The HTTP request to send, as JSON: `scheme`, `host`, `port`, `method`, `target` (the path with the
/// URL's prefix), `headers` (an object), `body` (the JSON text to send as is) and, for https, `tls_spki_sha256`
/// (the pinned key the server must present before anything is sent). The first call signs it
/// with this machine's activation with the URL (the licensing folder: `$MODELSEAL_LICENSE_DIR` or its
/// default); later calls give the same request (a retry, same nonce).
@_cdecl("modelseal_server_request_http")
public func serverRequestHTTP(
    _ request: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt>?
) -> Int32 {
    boundary {
        let pending = try serverRequest(request).prepared()
        let headers = JSONObject(pending.headers.map { ($0.0, JSONValue.string($0.1)) })
        var fields: [(String, JSONValue)] = [
            ("scheme", .string(pending.url.isTLS ? "https" : "http")), ("host", .string(pending.url.host)),
            ("port", .integer(Int64(pending.url.port))), ("method", .string(pending.method)),
            ("target", .string(pending.url.basePath + pending.path)), ("headers", .object(headers)),
            ("body", .string(String(decoding: pending.body, as: UTF8.self))),
        ]
        if let pin = pending.tlsPin { fields.append(("tls_spki_sha256", .string(pin))) }
        let value: JSONValue = .object(JSONObject(fields))
        try handOut(Array(JSONWriter.serialize(value).utf8), out, outLength)
    }
}

/// The server answered with HTTP `status` and `body`: on a release, verified and opened, the file key
/// is added to `ring`; a refusal deletes the cached lease and fails (revoked 30, expired 31, over
/// quota 35, ...; `modelseal_server_request_result` names it).
@_cdecl("modelseal_keyring_add_server_answer")
public func keyringAddServerAnswer(
    _ ring: OpaquePointer?, _ request: OpaquePointer?, _ status: Int32, _ body: UnsafePointer<UInt8>?,
    _ length: UInt
) -> Int32 {
    boundary {
        let ring = try keyring(ring)
        let request = try serverRequest(request)
        let bytes = Array(try Argument.bytes(body, length, "body", limit: 1 << 20))
        guard (100...599).contains(status) else { throw Argument.usage("status \(status) is not an HTTP status") }
        try request.finish(into: ring) { pending throws(ServerClientError) in
            try KeyRequest.finish(pending, answer: PlainHTTP.Answer(status: Int(status), body: bytes))
        }
    }
}

/// The server did not answer (`reason`: the network error): the cached release, if its lease still
/// runs, is added to `ring` (`modelseal_server_request_result` gives the warning to show); else it fails
/// with status 16.
@_cdecl("modelseal_keyring_add_server_unreachable")
public func keyringAddServerUnreachable(
    _ ring: OpaquePointer?, _ request: OpaquePointer?, _ reason: UnsafePointer<CChar>?
) -> Int32 {
    boundary {
        let ring = try keyring(ring)
        let request = try serverRequest(request)
        let reason = try Argument.string(reason, "reason")
        try request.finish(into: ring) { pending throws(ServerClientError) in
            try KeyRequest.finishUnreachable(pending, reason: reason)
        }
    }
}

/// After an answer step, as JSON: `note` (the warning when a cached lease was used, else null),
/// `lease_expires_at` (Unix seconds, or null; for a cached lease the end of its offline grace), and `failure` (null, or `kind` — `unreachable`,
/// `refused`, `protocol`, `not_activated`, `local`, `usage` — with `http_status` and `code` for a refusal).
@_cdecl("modelseal_server_request_result")
public func serverRequestResult(
    _ request: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt>?
) -> Int32 {
    boundary {
        let state = try serverRequest(request).state.withLock { $0 }
        var failure: JSONValue = .null
        if let error = state.failure {
            var fields: [String: JSONValue] = ["kind": .string(error.kind)]
            if case .refused(let status, let code, _) = error {
                fields["http_status"] = .integer(Int64(status))
                fields["code"] = .string(code)
            }
            failure = .object(JSONObject(fields))
        }
        let value: JSONValue = .object([
            "note": state.note.map { .string($0) } ?? .null,
            "lease_expires_at": state.leaseExpiresAt.map { .integer($0) } ?? .null, "failure": failure,
        ])
        try handOut(Array(JSONWriter.serialize(value).utf8), out, outLength)
    }
}

@_cdecl("modelseal_server_request_free")
public func serverRequestFree(_ request: OpaquePointer?) {
    Handles.remove(request, as: ServerRequest.self)
}

/// The TLS pin of a DER certificate: lowercase hex SHA-256 of its SubjectPublicKeyInfo, 64 characters
/// and a NUL written to `out` (at least 65 bytes).
@_cdecl("modelseal_tls_spki_sha256")
public func tlsSPKISHA256(
    _ der: UnsafePointer<UInt8>?, _ length: UInt, _ out: UnsafeMutablePointer<CChar>?, _ outLength: UInt
) -> Int32 {
    boundary {
        let bytes = Array(try Argument.bytes(der, length, "certificate", limit: CertificatePin.maximumLength))
        let out = try Argument.output(out, "out")
        guard outLength >= 65 else { throw Argument.usage("out holds \(outLength) bytes; the pin needs 65") }
        let pin: String
        do throws(ServerClientError) {
            pin = try CertificatePin.spkiSHA256(certificate: bytes)
        } catch { throw error.statusError }
        for (index, byte) in pin.utf8.enumerated() { out[index] = CChar(bitPattern: byte) }
        out[64] = 0
    }
}
