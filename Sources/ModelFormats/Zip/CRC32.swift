/// CRC-32 (IEEE 802.3, the zip checksum), slicing-by-16 so writers keep up with the disk.
public struct CRC32: Sendable {
    public private(set) var value: UInt32 = 0

    public init() {}

    /// Resumes from a finished value (e.g. computed on another thread).
    public init(value: UInt32) { self.value = value }

    /// Checksum of `bytes` in one call.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32()
        bytes.withUnsafeBytes { crc.update($0) }
        return crc.value
    }

    /// Feeds `buffer` into the running checksum.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        var crc = ~value
        var index = 0
        let count = buffer.count
        Self.tables.withUnsafeBufferPointer { table in
            guard let base = buffer.baseAddress else { return }
            while count - index >= 16 {
                let first = UInt64(littleEndian: (base + index).loadUnaligned(as: UInt64.self))
                let second = UInt64(littleEndian: (base + index + 8).loadUnaligned(as: UInt64.self))
                let a = crc ^ UInt32(truncatingIfNeeded: first)
                let b = UInt32(truncatingIfNeeded: first >> 32)
                let c = UInt32(truncatingIfNeeded: second)
                let d = UInt32(truncatingIfNeeded: second >> 32)
                crc =
                    table[15 * 256 + Int(a & 0xFF)] ^ table[14 * 256 + Int((a >> 8) & 0xFF)]
                    ^ table[13 * 256 + Int((a >> 16) & 0xFF)] ^ table[12 * 256 + Int(a >> 24)]
                    ^ table[11 * 256 + Int(b & 0xFF)] ^ table[10 * 256 + Int((b >> 8) & 0xFF)]
                    ^ table[9 * 256 + Int((b >> 16) & 0xFF)] ^ table[8 * 256 + Int(b >> 24)]
                    ^ table[7 * 256 + Int(c & 0xFF)] ^ table[6 * 256 + Int((c >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((c >> 16) & 0xFF)] ^ table[4 * 256 + Int(c >> 24)]
                    ^ table[3 * 256 + Int(d & 0xFF)] ^ table[2 * 256 + Int((d >> 8) & 0xFF)]
                    ^ table[1 * 256 + Int((d >> 16) & 0xFF)] ^ table[Int(d >> 24)]
                index += 16
            }
            while index < count {
                crc = table[Int((crc ^ UInt32(buffer[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
        }
        value = ~crc
    }

    /// Sixteen 256-entry tables: table k advances the CRC over k further zero bytes.
    static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 16 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            tables[byte] = crc
        }
        for byte in 0..<256 {
            var crc = tables[byte]
            for slice in 1..<16 {
                crc = tables[Int(crc & 0xFF)] ^ (crc >> 8)
                tables[slice * 256 + byte] = crc
            }
        }
        return tables
    }()
}
