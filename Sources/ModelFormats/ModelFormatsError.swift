import ModelSealCore

/// Everything that can go wrong while reading or writing a model file.
///
/// Cases carry the byte offset (absolute, in the file or member being read) and enough
/// context for a user to act; `description` is the message the CLI prints.
public enum ModelFormatsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Fewer bytes than a structure needs: the file is cut short.
    case truncated(what: String, offset: Int, needed: Int)
    /// A structure breaks its format's rules.
    case malformed(what: String, offset: Int, reason: String)
    /// A number read from the file exceeds one of our named caps.
    case limitExceeded(what: String, limit: Int, offset: Int)
    /// Arithmetic on numbers read from the file would overflow.
    case overflow(what: String, offset: Int)
    /// The pickle machine stopped: `opcode` at `offset` could not be modelled.
    case pickle(offset: Int, opcode: String, reason: String)
    /// A zip archive rule was broken (see docs/FOREIGN-FORMATS.md, "zip walker").
    case zip(offset: Int, member: String?, reason: String)
    /// A tensor or storage refers to bytes outside its storage or file.
    case storageOutOfBounds(tensor: String, reason: String)
    /// A valid file using a feature we do not model.
    case unsupported(String)
    /// The bytes are not any model format we know.
    case unrecognizedFormat(path: String)
    /// An operating-system call failed.
    case io(path: String, operation: String, errno: Int32)
    /// The content cannot be converted faithfully without an explicit choice by the user.
    case conversionRefused(String)

    public var description: String {
        switch self {
        case let .truncated(what, offset, needed):
            return "truncated \(what) at offset \(offset): \(needed) more byte(s) needed; the file is cut short"
        case let .malformed(what, offset, reason):
            return "malformed \(what) at offset \(offset): \(reason)"
        case let .limitExceeded(what, limit, offset):
            return "\(what) at offset \(offset) exceeds the limit of \(limit)"
        case let .overflow(what, offset):
            return "\(what) at offset \(offset) overflows: the file declares impossible sizes"
        case let .pickle(offset, opcode, reason):
            return "pickle opcode \(opcode) at offset \(offset): \(reason)"
        case let .zip(offset, member, reason):
            let at = member.map { " (member \"\($0)\")" } ?? ""
            return "zip archive at offset \(offset)\(at): \(reason)"
        case let .storageOutOfBounds(tensor, reason):
            return "tensor \"\(tensor)\": \(reason)"
        case let .unsupported(reason):
            return "unsupported: \(reason)"
        case let .unrecognizedFormat(path):
            return "\(path): not a recognised model file (expected a PyTorch checkpoint, safetensors, .npy or .npz)"
        case let .io(path, operation, errno):
            return "\(path): \(operation) failed: \(IOError.text(of: errno))"
        case let .conversionRefused(reason):
            return "refusing to convert: \(reason)"
        }
    }
}

extension ModelFormatsError {
    /// Parses JSON found at file offset `base` (a safetensors header), naming the failure's file offset.
    static func parseJSON(_ bytes: [UInt8], at base: Int) throws(ModelFormatsError) -> JSONValue {
        do throws(JSONError) {
            return try JSONParser.parse(bytes)
        } catch {
            throw .malformed(what: "JSON", offset: base + error.offset, reason: error.reason)
        }
    }
}
