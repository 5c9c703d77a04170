/// Appends big- and little-endian integers and byte strings to a growing buffer.
///
/// The symmetric partner of `ByteReader`: every `write*` here has a `read*` there, so
/// encoders and decoders of the same format read alike.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// Starts an empty buffer, reserving `capacity` bytes.
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Number of bytes written.
    public var count: Int { bytes.count }

    /// Appends one byte.
    public mutating func writeUInt8(_ value: UInt8) {
        bytes.append(value)
    }

    /// Appends a big-endian unsigned integer of `T`'s width.
    public mutating func writeBigEndian<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        let width = T.bitWidth / 8
        for shift in stride(from: (width - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }

    /// Appends a little-endian unsigned integer of `T`'s width.
    public mutating func writeLittleEndian<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        let width = T.bitWidth / 8
        for shift in stride(from: 0, to: width * 8, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }

    /// Appends raw bytes.
    public mutating func writeBytes<S: Sequence>(_ data: S) where S.Element == UInt8 {
        bytes.append(contentsOf: data)
    }
}
