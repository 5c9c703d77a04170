import ModelFormats
import ModelSealCore

extension ScanContext {
    /// How far a pickle stream got.
    struct StreamOutcome {
        /// Some pickle reached a global, a call or a persistent id, or the first one ran to STOP.
        var reached = false
        /// The first pickle is torch's legacy magic number.
        var legacy = false
    }

    /// torch's legacy magic number 0x1950a86a20f9469cfc6c, as the machine holds it (two's complement, LE).
    static let legacyMagic = PickleValue.bigInt([0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19])

    /// Scans pickles back to back from byte 0 (bare pickles, legacy torch files, concatenated payloads),
    /// each as far as CPython would get: every event before a failure counts. A failure after something
    /// was reached is `loader-error` (never clean); one before anything was reached ends this reading
    /// silently (the bytes are not a pickle); a cap of ours is `cannot-scan`. A legacy file (magic number
    /// first) is read for its five pickles, as torch does; its raw storages after them never are.
    @discardableResult
    mutating func scanPickleStream(
        _ source: any ByteSource, member: String?, maxPickles: Int
    ) -> StreamOutcome {
        var outcome = StreamOutcome()
        // Read a window and widen it only when a pickle runs past it: a legacy checkpoint's pickles
        // are small and its raw storages (possibly gigabytes) are never read.
        var window = min(source.size, Scanner.Limits.initialWindowBytes)
        var bytes: [UInt8]
        do {
            bytes = try source.read(at: 0, count: window)
        } catch {
            add("unreadable", .cannotScan, "\(error)", member: member)
            outcome.reached = true
            return outcome
        }
        var offset = 0
        var index = 0
        var limit = maxPickles
        while offset < bytes.count, index < limit {
            let label = index == 0 && member != nil ? member : join(member, "pickle[\(index)]")
            let trace = machine.trace(bytes, range: offset..<bytes.count, baseOffset: offset)
            // Widen only when the bytes the pickle asks for exist: a length past the end fails in CPython too.
            if trace.result == nil, window < source.size, case let .truncated(_, _, needed)? = trace.error,
                needed <= source.size - window
            {
                guard window < Scanner.Limits.maxPickleBytes else {
                    add(
                        "oversized", .cannotScan, "pickle larger than \(Scanner.Limits.maxPickleBytes) bytes",
                        member: label)
                    outcome.reached = true
                    return outcome
                }
                window = min(source.size, Scanner.Limits.maxPickleBytes, window &* 8)
                guard let wider = try? source.read(at: 0, count: window) else {
                    add("unreadable", .cannotScan, "stream cannot be read", member: label)
                    outcome.reached = true
                    return outcome
                }
                bytes = wider
                continue
            }
            guard let result = trace.result else {
                if recordFailure(trace, bytes: bytes, member: label, offset: offset) { outcome.reached = true }
                break
            }
            outcome.reached = true
            record(trace, bytes: bytes, member: label, onlyDangerous: false, nestedDepth: 0)
            if index == 0, result.root == Self.legacyMagic {
                outcome.legacy = true
                limit = min(limit, 5)
            }
            offset = result.resumeOffset
            index += 1
        }
        if outcome.legacy, index < 5 {
            add(
                "legacy-layout", .cannotScan, "legacy torch file with \(index) pickle(s) instead of 5", member: member)
        }
        return outcome
    }

    /// Whether a failed pickle got as far as importing a global, calling or building one, loading a
    /// persistent id, or a frame trick (an EXT code alone is not: copyreg's registry is empty by default).
    static func reachesLoaderCode(_ trace: PickleTrace) -> Bool {
        trace.events.contains { $0.global != nil || $0.opcode == .binPersID || $0.anomaly != nil }
    }

    /// A pickle that stopped before STOP: what it reached counts; returns whether it reached anything.
    mutating func recordFailure(_ trace: PickleTrace, bytes: [UInt8], member: String?, offset: Int) -> Bool {
        let reason = trace.error.map { "\($0)" } ?? "?"
        if case .limitExceeded? = trace.error {
            // Our cap, not the loader's: CPython would go on, so what follows is unseen.
            record(trace, bytes: bytes, member: member, onlyDangerous: false, nestedDepth: 0)
            add("too-large", .cannotScan, "pickle exceeds a scan limit: \(reason)", member: member, offset: offset)
            return true
        }
        guard Self.reachesLoaderCode(trace) else { return false }
        record(trace, bytes: bytes, member: member, onlyDangerous: false, nestedDepth: 0)
        add(
            "loader-error", .notWeightsOnly,
            "the loader raises part-way (\(reason)); what ran before that is reported, the file does not load",
            member: member, offset: offset)
        return true
    }

    /// Turns one trace into findings; follows bytes handed to pickle-loading callables.
    mutating func record(
        _ trace: PickleTrace, bytes: [UInt8], member: String?, onlyDangerous: Bool, nestedDepth: Int
    ) {
        // Globals called or instantiated so far; built at the first BUILD on a global (most pickles
        // have none, and hashing every call cost more than the rest of a small checkpoint's scan).
        var called: Set<GlobalReference>? = nil
        for (position, event) in trace.events.enumerated() {
            let opcode = event.opcode.name
            if called != nil, Self.isCall(event.opcode), let global = event.global { called?.insert(global) }
            if let anomaly = event.anomaly {
                recordAnomaly(anomaly, event: event, member: member)
                continue
            }
            if event.opcode == .build {
                // BUILD on a global itself (no call made it) sets attributes on a module or class:
                // the `sys.modules` / `torch._utils.__dict__` override.
                if let global = event.global {
                    if called == nil {
                        called = Set(trace.events[..<position].compactMap { Self.isCall($0.opcode) ? $0.global : nil })
                    }
                    guard called?.contains(global) == false else { continue }
                    add(
                        "build-on-global", .dangerous,
                        "BUILD sets attributes on the global \(global.fullName) itself, overriding what later lookups resolve",
                        member: member, offset: event.offset, opcode: opcode, global: global.fullName,
                        advisory: "picklescan tests/data/sys_module_override_sploit.pkl")
                }
                continue
            }
            if event.opcode == .ext1 || event.opcode == .ext2 || event.opcode == .ext4 {
                if !onlyDangerous {
                    add(
                        "extension-code", .notWeightsOnly, "EXT opcode: resolved through copyreg's extension registry",
                        member: member, offset: event.offset, opcode: opcode)
                }
                continue
            }
            guard let global = event.global else { continue }
            recordGlobal(global, event: event, member: member, onlyDangerous: onlyDangerous)
        }
        if let result = trace.result, nestedDepth < Scanner.Limits.maxNestedPickleDepth {
            scanNestedPickles(result, member: member, nestedDepth: nestedDepth)
        }
    }

    /// A construct CPython runs past but no linear reading can follow: always dangerous.
    mutating func recordAnomaly(_ anomaly: PickleAnomaly, event: PickleEvent, member: String?) {
        let opcode = event.opcode.name
        switch anomaly {
        case .frameBoundary:
            // CPython's C unpickler (before 3.13.15 / 3.14.7) reads across the boundary through its
            // own buffer, so what runs need not be what any linear reading, ours included, shows.
            add(
                "frame-boundary", .dangerous,
                "an opcode straddles its FRAME or a FRAME opens inside another: CPython may run opcodes that no disassembly shows",
                member: member, offset: event.offset, opcode: opcode,
                advisory: "python/cpython#154848: the C unpickler ignored FRAME bounds before 3.13.15 / 3.14.7")
        case .computedGlobal:
            add(
                "computed-global", .dangerous,
                "STACK_GLOBAL operands are built by a call at load time: what gets imported cannot be known without running the pickle",
                member: member, offset: event.offset, opcode: opcode, global: event.global?.fullName,
                advisory: "scanner bypass: STACK_GLOBAL operands built by string concatenation (no literal to check)")
        }
    }

    /// What importing or calling `global` means for the verdict.
    mutating func recordGlobal(_ global: GlobalReference, event: PickleEvent, member: String?, onlyDangerous: Bool) {
        let opcode = event.opcode.name
        let isImport = event.opcode == .global || event.opcode == .stackGlobal || event.opcode == .inst
        // torch's own defaults hold no danger-list name; user additions are still checked.
        if global.status == .allowed {
            if Scanner.isRefused(event.opcode), !onlyDangerous {
                add(
                    "refused-opcode", .notWeightsOnly,
                    "\(opcode) is refused by torch's weights-only unpickler even for allowed names", member: member,
                    offset: event.offset, opcode: opcode, global: global.fullName)
            }
            return
        }
        guard isImport else { return }
        if let entry = DangerList.match(module: global.module, name: global.name) {
            if isImport {
                add(
                    "dangerous-global", .dangerous, "\(global.fullName): \(entry.capability)", member: member,
                    offset: event.offset, opcode: opcode, global: global.fullName, advisory: entry.source)
            }
            return
        }
        if DangerList.pivotsThroughDunder(name: global.name) {
            if isImport {
                add(
                    "attribute-pivot", .dangerous,
                    "\(global.fullName) walks through a dunder attribute to reach other objects", member: member,
                    offset: event.offset, opcode: opcode, global: global.fullName,
                    advisory: "modelscan tests malicious13_gen")
            }
            return
        }
        if onlyDangerous { return }
        if global.status == .blocked || global.status == .unknown {
            if isImport {
                add(
                    "unknown-global", .notWeightsOnly, "\(global.fullName) is not on the weights-only allowlist",
                    member: member, offset: event.offset, opcode: opcode, global: global.fullName)
            }
            return
        }
        if Scanner.isRefused(event.opcode) {
            add(
                "refused-opcode", .notWeightsOnly,
                "\(opcode) is refused by torch's weights-only unpickler even for allowed names", member: member,
                offset: event.offset, opcode: opcode, global: global.fullName)
        }
    }

    /// Opcodes that call or instantiate their global (a later BUILD then applies to that object's
    /// state, not to the global itself).
    static func isCall(_ opcode: PickleOpcode) -> Bool {
        switch opcode {
        case .reduce, .newObj, .newObjEx, .obj, .inst: true
        default: false
        }
    }

    /// Follows `bytes` arguments of calls to pickle-loading callables (`pickle.loads(b"...")`).
    mutating func scanNestedPickles(_ result: PickleResult, member: String?, nestedDepth: Int) {
        // Only a call to a pickle-loading callable can carry a nested pickle; most pickles make none.
        let loadsPickles = result.events.contains { event in
            guard let global = event.global, global.status != .allowed else { return false }
            return DangerList.match(module: global.module, name: global.name)?.loadsPickles ?? false
        }
        guard loadsPickles else { return }
        for object in result.heap.objects {
            guard case let .instance(instance) = object, let callee = result.heap.global(instance.callee),
                callee.status != .allowed, let entry = DangerList.match(module: callee.module, name: callee.name),
                entry.loadsPickles
            else { continue }
            for argument in result.heap.sequence(instance.args) ?? [] {
                let payload: [UInt8]
                switch argument {
                case let .bytes(data): payload = data
                case let .string(text): payload = Array(text.utf8)
                default:
                    if case let .byteArray(data)? = result.heap.object(argument) { payload = data } else { continue }
                }
                guard !payload.isEmpty else { continue }
                let label = join(member, "nested@\(instance.offset)")
                let trace = machine.trace(payload)
                record(trace, bytes: payload, member: label, onlyDangerous: false, nestedDepth: nestedDepth + 1)
            }
        }
    }

    func join(_ outer: String?, _ inner: String) -> String {
        guard let outer else { return inner }
        return outer + "!" + inner
    }
}

extension ScanContext {
    /// A pre-1.0 tar checkpoint (torch loads it with weights_only=False only): the object pickle whole;
    /// `storages` and `tensors` for their count and first record pickles (raw data follows, whose length
    /// only the storage type tells).
    mutating func scanTar(_ tar: TarArchive, source: any ByteSource) -> Bool {
        var reached = false
        for name in ["storages", "tensors", "pickle"] {
            guard let member = tar.member(named: name), let slice = SliceSource(source, range: member.dataRange)
            else { continue }
            scanPickleStream(slice, member: name, maxPickles: name == "pickle" ? 1 : 2)
            reached = true  // a tar checkpoint is scanned, never skipped as "not a model"
        }
        return reached
    }
}
