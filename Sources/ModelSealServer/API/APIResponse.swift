import Hummingbird
import ModelSealCore
import ModelSealServerProtocol

/// An API error: a status and a JSON body `{"error": CODE, "message": TEXT}` (docs/SERVER.md §Errors).
struct APIError: Error {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    /// Seconds for Retry-After (429).
    var retryAfter: Int? = nil

    static func limited(_ seconds: Double) -> APIError {
        let whole = max(1, Int(seconds.rounded(.up)))
        return APIError(
            status: .tooManyRequests, code: "rate_limited", message: "too many requests: retry in \(whole) s",
            retryAfter: whole)
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(status: .badRequest, code: "bad_request", message: message)
    }
    static func unauthorized(_ message: String) -> APIError {
        APIError(status: .unauthorized, code: "unauthorized", message: message)
    }
    static func notFound(_ message: String) -> APIError {
        APIError(status: .notFound, code: "not_found", message: message)
    }
}

/// JSON responses and the mapping of every error to one.
enum APIResponse {
    static let maximumBody = 64 * 1024

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        let bytes = Array(JSONWriter.serialize(value).utf8) + [0x0A]
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ error: APIError) -> Response {
        var response = json(
            .object(["error": .string(error.code), "message": .string(error.message)]), status: error.status)
        if let seconds = error.retryAfter { response.headers[.retryAfter] = String(seconds) }
        return response
    }

    /// Runs a handler, turning what it throws into the documented error responses.
    static func handle(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as APIError {
            return self.error(error)
        } catch let error as StoreError {
            return self.error(map(error))
        } catch let error as ServerProtocolError {
            return self.error(APIError(status: .unauthorized, code: "bad_signature", message: error.description))
        } catch {
            return self.error(APIError(status: .internalServerError, code: "internal", message: "internal error"))
        }
    }

    static func map(_ error: StoreError) -> APIError {
        switch error {
        case .notFound(let what): APIError(status: .notFound, code: "not_found", message: "not found: \(what)")
        case .conflict(let what): APIError(status: .conflict, code: "conflict", message: "already exists: \(what)")
        case .refused(let code, let message): APIError(status: .forbidden, code: code, message: message)
        case .database: APIError(status: .internalServerError, code: "internal", message: "internal error")
        }
    }

    /// The request body as JSON, at most 64 KiB.
    static func body(_ request: Request, allowEmpty: Bool = false) async throws -> (bytes: [UInt8], value: JSONValue) {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumBody)
        } catch {
            throw APIError(status: .contentTooLarge, code: "too_large", message: "the body is over 64 KiB")
        }
        let bytes = Array(buffer.readableBytesView)
        if allowEmpty && bytes.isEmpty { return (bytes, .object([:])) }
        do {
            let value = try JSONParser.parse(bytes)
            guard case .object = value else { throw APIError.badRequest("the body must be a JSON object") }
            return (bytes, value)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.badRequest("the body is not JSON: \(error)")
        }
    }
}

extension JSONValue {
    /// A required string member, else a 400 naming it.
    func required(_ name: String) throws -> String {
        guard let value = self[name]?.stringValue, !value.isEmpty else {
            throw APIError.badRequest("missing string field \"\(name)\"")
        }
        return value
    }

    /// A required name: 1 to 256 characters.
    func name(_ member: String) throws -> String {
        let value = try required(member)
        guard value.count <= 256 else { throw APIError.badRequest("\"\(member)\" is at most 256 characters") }
        return value
    }

    /// An optional integer member, else a 400 naming it.
    func optionalInteger(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let member = self[name], member != .null else { return nil }
        guard let value = member.int64Value, range.contains(value) else {
            throw APIError.badRequest("\"\(name)\" must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }
}
