/// Dead Simple Signing Envelope v1: the signature covers PAE(payloadType, payload), never the payload alone.
enum DSSEEnvelope {
    /// Pre-Authentication Encoding: `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`, lengths in decimal
    /// ASCII bytes (the encoding `model_signing` signs since 1.0).
    static func pae(payloadType: String, payload: [UInt8]) -> [UInt8] {
        let type = Array(payloadType.utf8)
        return Array("DSSEv1 \(type.count) ".utf8) + type + Array(" \(payload.count) ".utf8) + payload
    }
}
