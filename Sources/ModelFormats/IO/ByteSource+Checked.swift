import ModelSealCore

extension ByteSource {
    /// Reads `range`, checked against `size` first so a hostile length never allocates; failures
    /// name `what` was being read.
    public func read(_ range: Range<Int>, what: String) throws(ModelFormatsError) -> [UInt8] {
        guard range.lowerBound >= 0, range.upperBound <= size else {
            throw .truncated(what: what, offset: range.lowerBound, needed: max(0, range.upperBound - size))
        }
        do throws(IOError) {
            return try read(at: range.lowerBound, count: range.count)
        } catch {
            throw ModelFormatsError(error, what: what)
        }
    }
}

extension ModelFormatsError {
    /// The model-format view of an I/O failure while reading `what`.
    public init(_ error: IOError, what: String) {
        switch error {
        case .system(let path, let operation, let code): self = .io(path: path, operation: operation, errno: code)
        case .shortRead(_, let offset, let needed): self = .truncated(what: what, offset: offset, needed: needed)
        case .refused, .failed: self = .unsupported("\(what): \(error)")
        }
    }
}
