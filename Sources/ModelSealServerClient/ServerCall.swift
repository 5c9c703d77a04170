import Crypto
import ModelSealCore
import ModelSealServerProtocol

/// One call to the key server: signing, and the answer as JSON or as the server's refusal.
enum ServerCall {
    /// A signed POST; `machineID` is sent in `x-modelseal-machine` once activated.
    static func signed(
        _ url: ServerURL, path: String, body: JSONValue, key: Curve25519.Signing.PrivateKey, machineID: String?,
        now: Int64, nonce: String = RequestSignature.newNonce(), trust: TLSTrust? = nil
    ) throws(ServerClientError) -> (value: JSONValue, bytes: [UInt8]) {
        let bytes = Array(JSONWriter.serialize(body).utf8)
        let signature: RequestSignature
        do {
            signature = try RequestSignature.sign(
                method: "POST", path: url.basePath + path, body: bytes, key: key, time: now, nonce: nonce)
        } catch { throw .local(error.description) }
        var headers = signature.headers
        if let machineID { headers.append((RequestSignature.machineHeader, machineID)) }
        let answer = try PlainHTTP.send("POST", url, path: path, headers: headers, body: bytes, trust: trust)
        return (try json(answer), answer.body)
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
