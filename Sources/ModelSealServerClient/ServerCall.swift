import Crypto
import ModelSealCore
import ModelSealServerProtocol

/// One call to the key server: signing, and the answer as JSON or as the server's refusal.
enum ServerCall {
    /// A signed POST; `machineID` is sent in `x-modelseal-machine` once activated.
    static func signed(
        _ url: ServerURL, path: String, body: JSONValue, key: any RequestSigningKey, machineID: String?,
        now: Int64, nonce: String = RequestSignature.newNonce(), trust: TLSTrust? = nil
    ) throws(ServerClientError) -> (value: JSONValue, bytes: [UInt8]) {
        let request = try signedRequest(
            url, path: path, body: body, key: key, machineID: machineID, now: now, nonce: nonce)
        let answer = try PlainHTTP.send(
            "POST", url, path: path, headers: request.headers, body: request.body, trust: trust)
        return (try json(answer), answer.body)
    }

    /// The headers and body of a signed POST to `path` (after the URL's base path).
    static func signedRequest(
        _ url: ServerURL, path: String, body: JSONValue, key: any RequestSigningKey, machineID: String?,
        now: Int64, nonce: String
    ) throws(ServerClientError) -> (headers: [(String, String)], body: [UInt8]) {
        let bytes = Array(JSONWriter.serialize(body).utf8)
        let signature: RequestSignature
        do {
            signature = try RequestSignature.sign(
                method: "POST", path: url.basePath + path, body: bytes, key: key, time: now, nonce: nonce)
        } catch let error as ServerClientError {
            throw error
        } catch { throw .local("cannot sign the request: \(error)") }
        var headers = signature.headers
        if let machineID { headers.append((RequestSignature.machineHeader, machineID)) }
        return (headers, bytes)
    }

    /// The body of a 2xx answer as JSON; any other status is the server's refusal.
    static func json(_ answer: PlainHTTP.Answer) throws(ServerClientError) -> JSONValue {
        let value = try? JSONParser.parse(answer.body)
        guard (200..<300).contains(answer.status) else {
            throw .refused(
                status: answer.status, code: value?["error"]?.stringValue ?? "http_\(answer.status)",
                message: value?["message"]?.stringValue ?? "HTTP status \(answer.status)")
        }
        guard let value else { throw .protocolError("the answer is not JSON") }
        return value
    }
}
