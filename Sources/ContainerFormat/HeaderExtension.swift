/// One header extension (spec/CONTAINER.md §4).
///
/// Byte layout: `type(2, big-endian; bit 15 = critical) || body_length(4, big-endian) || body`.
public struct HeaderExtension: Sendable, Equatable {
    /// The extension type, critical bit included.
    public var type: ExtensionType
    /// The body; covered by the header MAC whether or not the reader understands it.
    public var body: [UInt8]

    /// An extension of the given type and body.
    public init(type: ExtensionType, body: [UInt8]) {
        self.type = type
        self.body = body
    }
}

/// The 16-bit extension type; bit 15 marks extensions a reader must understand.
public struct ExtensionType: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The value in the file.
    public var rawValue: UInt16
    /// Wraps a type value.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Readers that do not implement a critical extension must refuse the file.
    public var isCritical: Bool { rawValue & 0x8000 != 0 }

    /// Encrypted key/value metadata (original name, content type).
    public static let sealedMetadata = ExtensionType(rawValue: 0x0001)
    /// Reserved: encrypted per-tensor index.
    public static let sealedIndex = ExtensionType(rawValue: 0x0002)
    /// Reserved: key ids of signers that must have signed the file.
    public static let signatureRequired = ExtensionType(rawValue: 0x8003)
    /// Reserved: license reference and policy.
    public static let license = ExtensionType(rawValue: 0x8004)
    /// Environment contract: the environment the model was tested in and the policy (ModelSealEnvironment).
    public static let environmentContract = ExtensionType(rawValue: 0x8005)

    /// Types this implementation understands.
    public static let implemented: Set<ExtensionType> = [.sealedMetadata, .signatureRequired, .environmentContract]

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The type as four hex digits, `0x8003`.
    public var hex: String {
        let digits = String(rawValue, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The name shown by `inspect`.
    public var description: String {
        switch self {
        case .sealedMetadata: "sealed-metadata (\(hex))"
        case .sealedIndex: "sealed-index (\(hex))"
        case .signatureRequired: "signature-required (\(hex))"
        case .license: "license (\(hex))"
        case .environmentContract: "environment-contract (\(hex))"
        default: "unknown (\(hex)\(isCritical ? ", critical" : ""))"
        }
    }
}
