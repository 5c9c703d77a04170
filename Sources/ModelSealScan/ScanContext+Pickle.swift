import ModelFormats
import ModelSealCore

extension ScanContext {
    /// Scans pickles back to back (bare streams, legacy torch files, concatenated payloads).
    ///
    /// The first pickle must parse; a later one that does not is trailing data (a legacy file's raw
    /// storages) and only its dangerous events count, since Python would have run them before failing.
    mutating func scanPickleStream(_ source: any ByteSource, member: String?, maxPickles: Int, legacy: Bool) {
        // Read a window and widen it only when a pickle runs past it: a legacy checkpoint's pickles
        // are small and its raw storages (possibly gigabytes) are never read.
        var window = min(source.size, Scanner.Limits.initialWindowBytes)
        var bytes: [UInt8]
        do {
            bytes = try source.read(at: 0, count: window)
        } catch {
            add("unreadable", .cannotScan, "\(error)", member: member)
            return
        }
        var offset = 0
        var index = 0
        while offset < bytes.count, index < maxPickles {
            let label = index == 0 && member != nil ? member : join(member, "pickle[\(index)]")
            let trace = machine.trace(
                bytes, range: offset..<bytes.count, baseOffset: offset)
            if trace.result == nil, window < source.size, case .truncated? = trace.error {
                guard window < Scanner.Limits.maxPickleBytes else {
                    add(
                        "too-large", .cannotScan, "pickle larger than \(Scanner.Limits.maxPickleBytes) bytes",
                        member: label)
                    return
                }
                window = min(source.size, Scanner.Limits.maxPickleBytes, window &* 8)
                guard let wider = try? source.read(at: 0, count: window) else {
                    add("unreadable", .cannotScan, "stream cannot be read", member: label)
                    return
                }
                bytes = wider
                continue
            }
            let parsed = trace.result != nil
            record(trace, bytes: bytes, member: label, onlyDangerous: !parsed && index > 0, nestedDepth: 0)
            guard let result = trace.result else {
                if index == 0 {
                    add(
                        "unparseable-pickle", .cannotScan,
                        "pickle does not parse: \(trace.error.map { "\($0)" } ?? "?")",
                        member: label, offset: offset)
                }
                return
            }
            offset = result.endOffset
            index += 1
        }
        if legacy, index < 5 {
            add(
                "legacy-layout", .cannotScan, "legacy torch file with \(index) pickle(s) instead of 5", member: member)
        }
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
