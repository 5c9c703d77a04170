import ModelSealCore

/// The members of a tar archive, as Python's `tarfile.open(mode="r:")` finds them: 512-byte headers
/// whose checksum holds (unsigned or signed sum, as tarfile accepts), sizes in octal (or base-256),
/// data padded to 512 bytes, a zero block or the end of the file to finish. PAX (`x`, `g`) and GNU long-name
/// (`L`) headers name the member that follows. torch's pre-1.0 checkpoints are such archives
/// (`sys_info`, `pickle`, `storages`, `tensors`).
public struct TarArchive: Sendable {
    public struct Member: Sendable {
        public let name: String
        public let dataRange: Range<Int>
    }

    /// Members in archive order.
    public let members: [Member]

    /// Headers read at most (a hostile archive of empty members stops here).
    public static let maxMembers = 4096

    /// nil when the first header is not a valid tar header (tarfile raises ReadError: torch goes on to
    /// read the file as pickles).
    public init?(_ source: any ByteSource) {
        var members: [Member] = []
        var offset = 0
        var pendingName: String?
        while offset + 512 <= source.size, members.count < Self.maxMembers {
            guard let header = try? source.read(at: offset, count: 512) else { break }
            if header.allSatisfy({ $0 == 0 }) { break }
            guard Self.checksumHolds(header), let size = Self.size(header) else {
                if offset == 0 { return nil }
                break
            }
            let dataStart = offset + 512
            let dataEnd = dataStart + size
            guard dataEnd <= source.size else {
                if offset == 0 { return nil }
                break
            }
            let type = header[156]
            if type == UInt8(ascii: "L"), let long = try? source.read(at: dataStart, count: min(size, 4096)) {
                pendingName = String(decoding: long.prefix { $0 != 0 }, as: UTF8.self)
            } else if type == UInt8(ascii: "x"), let pax = try? source.read(at: dataStart, count: min(size, 65536)) {
                pendingName = Self.paxPath(pax) ?? pendingName
            } else if type != UInt8(ascii: "g") {
                let name = pendingName ?? Self.field(header, 0, 100)
                members.append(Member(name: name, dataRange: dataStart..<dataEnd))
                pendingName = nil
            }
            offset = dataStart + (size + 511) / 512 * 512
        }
        guard !members.isEmpty || offset > 0 else { return nil }
        self.members = members
    }

    /// The member tarfile's `getmember` returns: the last one with that name.
    public func member(named name: String) -> Member? {
        members.last { $0.name == name }
    }

    static func field(_ header: [UInt8], _ start: Int, _ length: Int) -> String {
        String(decoding: header[start..<(start + length)].prefix { $0 != 0 }, as: UTF8.self)
    }

    static func checksumHolds(_ header: [UInt8]) -> Bool {
        let stored = header[148..<156].prefix { $0 != 0 && $0 != 0x20 }
        guard let text = String(validating: stored.drop { $0 == 0x20 }, as: UTF8.self), let value = Int(text, radix: 8)
        else { return false }
        var unsigned = 0
        var signed = 0
        for (index, byte) in header.enumerated() {
            let counted = (148..<156).contains(index) ? 0x20 : byte
            unsigned += Int(counted)
            signed += Int(Int8(bitPattern: counted))
        }
        return value == unsigned || value == signed
    }

    static func size(_ header: [UInt8]) -> Int? {
        let raw = header[124..<136]
        if raw.first == 0x80 {  // base-256 (GNU): big-endian after the marker byte
            var value = 0
            for byte in raw.dropFirst() {
                guard value < Int.max >> 9 else { return nil }
                value = value << 8 | Int(byte)
            }
            return value
        }
        let digits = raw.prefix { $0 != 0 && $0 != 0x20 }.drop { $0 == 0x20 }
        if digits.isEmpty { return 0 }
        guard let text = String(validating: digits, as: UTF8.self), let value = Int(text, radix: 8), value >= 0 else {
            return nil
        }
        return value
    }

    /// The `path` record of a PAX extended header (`LEN path=VALUE\n` records).
    static func paxPath(_ bytes: [UInt8]) -> String? {
        var path: String?
        for record in bytes.split(separator: 0x0A) {
            guard let space = record.firstIndex(of: 0x20) else { continue }
            let body = record[(space + 1)...]
            if body.starts(with: Array("path=".utf8)) {
                path = String(decoding: body.dropFirst(5), as: UTF8.self)
            }
        }
        return path
    }
}
