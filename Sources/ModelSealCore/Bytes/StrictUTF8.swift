extension String {
    /// The text of `bytes` when they are valid UTF-8, else `nil` (nothing is repaired).
    ///
    /// Same result as `String(validating:as: UTF8.self)`, which goes through an unspecialised
    /// generic path costing about a thousand instructions for a short name; parsers decode
    /// hundreds of names per file. `String(decoding:)` is the specialised fast path but repairs
    /// invalid input with U+FFFD: it was repaired exactly when its bytes differ from the input
    /// (a replaced span is invalid, so it can never equal the valid bytes EF BF BD that replace it).
    @inlinable
    public init?(strictUTF8 bytes: ArraySlice<UInt8>) {
        let decoded: String? = bytes.withUnsafeBufferPointer { buffer in
            let text = String(decoding: buffer, as: UTF8.self)
            // ASCII (nearly every name in a model file) cannot have been repaired.
            if buffer.allSatisfy({ $0 < 0x80 }) { return text }
            return text.utf8.elementsEqual(buffer) ? text : nil
        }
        guard let decoded else { return nil }
        self = decoded
    }

    /// `init?(strictUTF8:)` for a whole array.
    @inlinable
    public init?(strictUTF8 bytes: [UInt8]) {
        self.init(strictUTF8: bytes[...])
    }
}
