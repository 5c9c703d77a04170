import ModelSealCore

/// Reading checkpoints: the zip format (torch ≥ 1.6) and the legacy format, without executing anything.
extension TorchCheckpoint {
    /// Caps on what a checkpoint may declare.
    public enum Limits {
        /// Largest pickle we read (`data.pkl` or a legacy pickle).
        public static let maxPickleBytes = 256 << 20
        /// Largest small record (`byteorder`, `version`, ...).
        public static let maxRecordBytes = 4096
        /// Most objects visited while interpreting the pickle (shared subtrees count each time).
        public static let maxVisitedNodes = 1 << 22
        /// Most tensor dimensions.
        public static let maxRank = 64
    }

    /// The magic number that starts a legacy checkpoint (a pickled LONG1), little-endian.
    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// Reads a checkpoint from `source`, choosing the format from its first bytes.
    public static func read(from source: any ByteSource, allowlist: PickleAllowlist = .torchWeightsOnly) throws
        -> TorchCheckpoint
    {
        let prefix = try source.read(at: 0, count: min(4, source.size))
        if ZipArchive.looksLikeZip(prefix) {
            return try readZip(ZipArchive(source: source), allowlist: allowlist)
        }
        if prefix.first == PickleOpcode.proto.rawValue || prefix.first == PickleOpcode.long1.rawValue {
            return try readLegacy(from: source, allowlist: allowlist)
        }
        throw ModelFormatsError.malformed(
            what: "PyTorch checkpoint", offset: 0, reason: "neither a zip archive nor a legacy pickle stream")
    }

    /// Reads the zip format from an archive already walked.
    public static func readZip(_ archive: ZipArchive, allowlist: PickleAllowlist = .torchWeightsOnly) throws
        -> TorchCheckpoint
    {
        let pickles = archive.entries.filter { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }
        guard pickles.count == 1, let pickleEntry = pickles.first else {
            throw ModelFormatsError.zip(
                offset: 0, member: nil,
                reason: pickles.isEmpty
                    ? "no data.pkl record: not a PyTorch checkpoint" : "more than one data.pkl record")
        }
        let prefix = String(pickleEntry.name.dropLast("data.pkl".count))
        guard !prefix.dropLast().contains("/") else {
            throw ModelFormatsError.zip(
                offset: pickleEntry.localHeaderOffset, member: pickleEntry.name,
                reason: "data.pkl is nested more than one folder deep")
        }
        for entry in archive.entries where !entry.name.hasPrefix(prefix) {
            throw ModelFormatsError.zip(
                offset: entry.localHeaderOffset, member: entry.name,
                reason: "record outside the archive folder \(prefix)")
        }
        func record(_ name: String) throws -> String? {
            guard let entry = archive.entry(named: prefix + name) else { return nil }
            let bytes = try archive.read(entry, limit: Limits.maxRecordBytes)
            return String(decoding: bytes, as: UTF8.self)
        }
        let byteOrder = try record("byteorder") ?? "little"
        guard byteOrder == "little" || byteOrder == "big" else {
            throw ModelFormatsError.malformed(
                what: "byteorder record", offset: 0, reason: "unknown endianness \"\(byteOrder)\"")
        }
        let version = try record("version") ?? record(".data/version")
        let pickleBytes = try archive.read(pickleEntry, limit: Limits.maxPickleBytes)
        let result = try PickleMachine(allowlist: allowlist).run(pickleBytes)

        var interpreter = TorchInterpreter(heap: result.heap)
        interpreter.resolveStorage = { key, dtype, elementCount, location in
            guard let entry = archive.entry(named: prefix + "data/" + key) else {
                throw ModelFormatsError.storageOutOfBounds(tensor: key, reason: "storage record data/\(key) is missing")
            }
            guard entry.method == 0 else {
                throw ModelFormatsError.unsupported("storage record data/\(key) is compressed")
            }
            let (bytes, overflow) = elementCount.multipliedReportingOverflow(by: dtype.elementSize)
            guard !overflow, elementCount >= 0 else {
                throw ModelFormatsError.overflow(what: "storage \(key) size", offset: entry.dataOffset)
            }
            guard bytes == entry.uncompressedSize else {
                throw ModelFormatsError.storageOutOfBounds(
                    tensor: key,
                    reason: "storage declares \(bytes) bytes but its record data/\(key) holds \(entry.uncompressedSize)"
                )
            }
            return TorchStorage(
                key: key, dtype: dtype, byteCount: bytes, location: location, dataOffset: entry.dataOffset)
        }
        try interpreter.walk(result.root)
        return TorchCheckpoint(
            format: .zip(recordPrefix: String(prefix.dropLast())), tensors: interpreter.tensors,
            storages: interpreter.storages, metadata: interpreter.metadata, pickle: result,
            zipDiagnostics: archive.diagnostics, byteOrder: byteOrder,
            formatVersion: version?.trimmingSpaces())
    }

    /// Reads the legacy format: magic, protocol version, system info, the object, the storage keys,
    /// then for each key an 8-byte element count and the raw bytes.
    public static func readLegacy(from source: any ByteSource, allowlist: PickleAllowlist = .torchWeightsOnly) throws
        -> TorchCheckpoint
    {
        // The pickles are small and at the front; read a growing prefix until all five parse.
        var prefixLength = min(source.size, 1 << 20)
        while true {
            let prefix = try source.read(at: 0, count: prefixLength)
            do {
                return try readLegacy(prefix: prefix, source: source, allowlist: allowlist)
            } catch let ModelFormatsError.truncated(what, offset, needed) where what.hasPrefix("pickle") {
                guard prefixLength < source.size, prefixLength < Limits.maxPickleBytes else {
                    throw ModelFormatsError.truncated(what: what, offset: offset, needed: needed)
                }
                prefixLength = min(source.size, prefixLength * 4, Limits.maxPickleBytes)
            }
        }
    }

    static func readLegacy(prefix: [UInt8], source: any ByteSource, allowlist: PickleAllowlist) throws
        -> TorchCheckpoint
    {
        let machine = PickleMachine(allowlist: allowlist)
        let magic = try machine.run(prefix)
        guard magic.root == .bigInt(legacyMagic) else {
            throw ModelFormatsError.malformed(what: "legacy checkpoint", offset: 0, reason: "invalid magic number")
        }
        let protocolVersion = try machine.run(
            prefix, range: magic.endOffset..<prefix.count, baseOffset: magic.endOffset)
        guard protocolVersion.root == .int(1001) else {
            throw ModelFormatsError.unsupported("legacy checkpoint protocol version \(protocolVersion.root)")
        }
        let systemInfo = try machine.run(
            prefix, range: protocolVersion.endOffset..<prefix.count, baseOffset: protocolVersion.endOffset)
        if case let .object(id) = systemInfo.root, case let .dict(info) = systemInfo.heap[id],
            info[.string("little_endian")] == .bool(false)
        {
            throw ModelFormatsError.unsupported("big-endian legacy checkpoints")
        }
        let main = try machine.run(prefix, range: systemInfo.endOffset..<prefix.count, baseOffset: systemInfo.endOffset)
        let keysPickle = try machine.run(prefix, range: main.endOffset..<prefix.count, baseOffset: main.endOffset)
        guard let keyValues = keysPickle.heap.sequence(keysPickle.root) else {
            throw ModelFormatsError.malformed(
                what: "legacy storage key list", offset: main.endOffset, reason: "not a list")
        }
        let keys = try keyValues.map { value -> String in
            guard let key = legacyKey(value) else {
                throw ModelFormatsError.malformed(
                    what: "legacy storage key list", offset: main.endOffset, reason: "a key is not a string")
            }
            return key
        }

        // Storage data follows, in key order; collect declarations from the main pickle first.
        var declared: [String: LegacyStorageDeclaration] = [:]
        var interpreter = TorchInterpreter(heap: main.heap)
        interpreter.resolveStorage = { key, dtype, count, location in
            if let existing = declared[key], existing.dtype.elementSize * existing.count != dtype.elementSize * count {
                throw ModelFormatsError.malformed(
                    what: "legacy storage \(key)", offset: 0, reason: "declared with two sizes")
            }
            if declared[key] == nil { declared[key] = (dtype, count, location) }
            // Data offsets are filled in below once the layout is known.
            return TorchStorage(
                key: key, dtype: dtype, byteCount: dtype.elementSize * count, location: location, dataOffset: -1)
        }
        try interpreter.walk(main.root)
        // torch's legacy loader registers every persistent id while unpickling, reachable from the result or
        // not (an overwritten entry, a storage kept elsewhere), and then reads every listed key.
        for case let .persistent(id, _) in main.heap.objects {
            if let declaration = legacyDeclaration(id, heap: main.heap), declared[declaration.key] == nil {
                declared[declaration.key] = (declaration.dtype, declaration.count, declaration.location)
            }
        }

        let offsets = try placeLegacyStorages(keys, declared: declared, from: keysPickle.endOffset, in: source)
        let storages = interpreter.storages.map { storage -> TorchStorage in
            var placed = storage
            placed.dataOffset = offsets[storage.key] ?? -1
            return placed
        }
        return TorchCheckpoint(
            format: .legacy, tensors: interpreter.tensors, storages: storages, metadata: interpreter.metadata,
            pickle: main, zipDiagnostics: [], byteOrder: "little", formatVersion: "1001")
    }

    /// What the main pickle of a legacy checkpoint declares about one storage.
    typealias LegacyStorageDeclaration = (dtype: DType, count: Int, location: String)

    /// Each legacy storage's data is preceded by its element count, 8 bytes little-endian.
    static let legacyStorageHeaderLength = 8

    /// Lays out the storages that follow the pickles from `start`, in `keys` order, checking each
    /// against its declaration, and returns where each one's data starts. The file must end
    /// exactly after the last storage.
    static func placeLegacyStorages(
        _ keys: [String], declared: [String: LegacyStorageDeclaration], from start: Int, in source: any ByteSource
    ) throws -> [String: Int] {
        var offsets: [String: Int] = [:]
        var cursor = start
        for key in keys {
            guard let declaration = declared[key] else {
                throw ModelFormatsError.malformed(
                    what: "legacy storage list", offset: cursor, reason: "storage \(key) is not used by the object")
            }
            guard offsets[key] == nil else {
                throw ModelFormatsError.malformed(
                    what: "legacy storage list", offset: cursor, reason: "storage \(key) listed twice")
            }
            var header = ByteReader(
                try source.read(cursor..<(cursor + legacyStorageHeaderLength), what: "legacy storage header"))
            guard let count = header.readLittleEndian(UInt64.self) else {
                throw ModelFormatsError.truncated(
                    what: "legacy storage header", offset: cursor, needed: legacyStorageHeaderLength)
            }
            let (bytes, overflow) = Int(clamping: count).multipliedReportingOverflow(by: declaration.dtype.elementSize)
            guard count <= UInt64(Int.max), !overflow else {
                throw ModelFormatsError.overflow(what: "legacy storage \(key) size", offset: cursor)
            }
            guard Int(count) == declaration.count else {
                throw ModelFormatsError.malformed(
                    what: "legacy storage \(key)", offset: cursor,
                    reason: "file holds \(count) elements, the pickle declares \(declaration.count)")
            }
            let dataStart = cursor + legacyStorageHeaderLength
            let (dataEnd, overflow2) = dataStart.addingReportingOverflow(bytes)
            guard !overflow2, dataEnd <= source.size else {
                throw ModelFormatsError.truncated(
                    what: "legacy storage \(key)", offset: dataStart, needed: max(1, dataEnd &- source.size))
            }
            offsets[key] = dataStart
            cursor = dataEnd
        }
        if let missing = declared.keys.first(where: { offsets[$0] == nil }) {
            throw ModelFormatsError.malformed(
                what: "legacy checkpoint", offset: cursor, reason: "storage \(missing) has no data")
        }
        if cursor != source.size {
            throw ModelFormatsError.malformed(
                what: "legacy checkpoint", offset: cursor,
                reason: "\(source.size - cursor) unexpected byte(s) after the last storage")
        }
        return offsets
    }

    /// ('storage', storage_type, key, location, numel, …) as torch's persistent_load reads it; nil otherwise.
    static func legacyDeclaration(_ id: PickleValue, heap: PickleHeap) -> (
        key: String, dtype: DType, count: Int, location: String
    )? {
        guard let fields = heap.sequence(id), fields.count >= 5,
            fields[0] == .string("storage") || fields[0] == .bytes(Array("storage".utf8)),
            let type = heap.global(fields[1]), let dtype = DType.fromStorageClass(module: type.module, name: type.name),
            let key = legacyKey(fields[2]), let count = fields[4].intValue.flatMap({ Int(exactly: $0) }), count >= 0
        else { return nil }
        return (key, dtype, count, fields[3].stringValue ?? "cpu")
    }

    static func legacyKey(_ value: PickleValue) -> String? {
        switch value {
        case let .string(text): return text
        case let .bytes(bytes): return String(validating: bytes, as: UTF8.self)
        case let .int(number): return String(number)
        default: return nil
        }
    }
}
