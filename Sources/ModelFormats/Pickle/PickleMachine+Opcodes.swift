import ModelSealCore

/// The opcodes, one small function per concern; `step` only dispatches.
extension PickleRun {
    // Operands are read into locals before a non-mutating helper runs: `helper(try read())` would
    // copy the whole run (stack, memo, heap) to keep `self` stable while `read` mutates it.
    mutating func step(_ code: PickleOpcode) throws(ModelFormatsError) {
        switch code {
        case .stop: break
        case .proto, .frame: try executeFraming(code)
        case .mark, .pop, .popMark, .dup: try executeStack(code)
        case .none, .newTrue, .newFalse, .binInt, .binInt1, .binInt2, .int, .long, .long1, .long4, .float, .binFloat:
            try executeScalar(code)
        case .string, .binString, .shortBinString, .unicode, .shortBinUnicode, .binUnicode, .binUnicode8,
            .shortBinBytes, .binBytes, .binBytes8, .byteArray8, .nextBuffer, .readonlyBuffer:
            try executeStringOrBytes(code)
        case .emptyList, .emptyTuple, .emptyDict, .emptySet, .list, .tuple, .tuple1, .tuple2, .tuple3, .frozenSet,
            .dict:
            try executeNewContainer(code)
        case .append, .appends, .addItems, .setItem, .setItems: try executeFillContainer(code)
        case .get, .binGet, .longBinGet, .put, .binPut, .longBinPut, .memoize: try executeMemo(code)
        case .global, .stackGlobal, .inst: try executeImport(code)
        case .obj, .reduce, .newObj, .newObjEx: try executeCall(code)
        case .build: try executeBuild()
        case .ext1, .ext2, .ext4, .persID, .binPersID: try executeReference(code)
        }
    }

    /// PROTO and FRAME.
    mutating func executeFraming(_ code: PickleOpcode) throws(ModelFormatsError) {
        if code == .proto {
            let version = try readByte()
            guard version <= 5 else { throw fail("unsupported pickle protocol \(version)") }
            declaredProtocol = Int(version)
            return
        }
        let length = try readUInt64()
        if let end = frameEnd, opcodeStart < end {
            try frameViolation("a new frame begins before the current frame ends")
        }
        // CPython too refuses a frame whose bytes are not there.
        guard length <= UInt64(reader.remaining) else {
            throw ModelFormatsError.truncated(
                what: "pickle frame", offset: offset, needed: Int(clamping: length) - reader.remaining)
        }
        frameEnd = reader.position + Int(length)
        frameStart = opcodeStart
    }

    /// MARK, POP, POP_MARK and DUP.
    mutating func executeStack(_ code: PickleOpcode) throws(ModelFormatsError) {
        switch code {
        case .mark:
            guard marks.count < limits.maxMarkDepth else {
                throw ModelFormatsError.limitExceeded(
                    what: "pickle MARK depth", limit: limits.maxMarkDepth, offset: offset)
            }
            marks.append(stack.count)
        case .pop:
            if stack.count > fence {
                stack.removeLast()
            } else if !marks.isEmpty {
                _ = try popMark()
            } else {
                throw fail("stack underflow")
            }
        case .popMark: _ = try popMark()
        default: try push(try top())  // DUP
        }
    }

    /// None, booleans, integers and floats.
    mutating func executeScalar(_ code: PickleOpcode) throws(ModelFormatsError) {
        switch code {
        case .none: try push(.none)
        case .newTrue: try push(.bool(true))
        case .newFalse: try push(.bool(false))
        case .binInt:
            let raw = try readUInt32()
            try push(.int(Int64(Int32(bitPattern: raw))))
        case .binInt1: try push(.int(Int64(try readByte())))
        case .binInt2: try push(.int(Int64(try readUInt16())))
        case .int:
            let line = try readLine()
            try push(try parseIntOpcode(line))
        case .long:
            let line = try readLine()
            try push(try parseLongOpcode(line))
        case .long1:
            let payload = try readPayload(Int(try readByte()))
            try push(decodeLong(payload))
        case .long4:
            let raw = Int32(bitPattern: try readUInt32())
            guard raw >= 0 else { throw fail("negative byte count") }
            guard Int(raw) <= reader.remaining else { throw truncated(Int(raw) - reader.remaining) }
            guard Int(raw) <= limits.maxLongBytes else {
                throw ModelFormatsError.limitExceeded(what: "LONG4 length", limit: limits.maxLongBytes, offset: offset)
            }
            let payload = try readPayload(Int(raw))
            try push(decodeLong(payload))
        case .float:
            guard let value = PickleFloatText.parse(try readLine()) else { throw fail("not a float literal") }
            try push(.float(value))
        default:  // BINFLOAT
            try push(.float(Double(bitPattern: try readUInt64BigEndian())))
        }
    }

    /// Strings, bytes, bytearrays and out-of-band buffers.
    mutating func executeStringOrBytes(_ code: PickleOpcode) throws(ModelFormatsError) {
        switch code {
        case .string:
            let line = try readLine()
            try push(byteString(try unquoteStringLiteral(line)))
        case .binString:
            let raw = Int32(bitPattern: try readUInt32())
            guard raw >= 0 else { throw fail("negative byte count") }
            let payload = try readPayload(Int(raw))
            try push(byteString(payload))
        case .shortBinString:
            let payload = try readPayload(Int(try readByte()))
            try push(byteString(payload))
        case .unicode:
            let line = try readLine()
            try push(.string(try decodeRawUnicodeEscape(line)))
        case .shortBinUnicode: try push(.string(try readText(Int(try readByte()))))
        case .binUnicode: try push(.string(try readText(Int(try readUInt32()))))
        case .binUnicode8: try push(.string(try readText(try readLength64())))
        case .shortBinBytes:
            try push(.bytes(try readPayload(Int(try readByte()))))
        case .binBytes:
            try push(.bytes(try readPayload(Int(try readUInt32()))))
        case .binBytes8:
            try push(.bytes(try readPayload(try readLength64())))
        case .byteArray8:
            try push(try allocate(.byteArray(try readPayload(try readLength64()))))
        case .nextBuffer:
            throw fail("out-of-band buffer requested but none were provided")
        default:  // READONLY_BUFFER: a memoryview of the top, which must be bytes-like
            let value = try top()
            guard case .bytes = value else {
                if case .byteArray? = heap.object(value) { return }
                throw fail("READONLY_BUFFER needs a bytes-like object")
            }
        }
    }

    /// Opcodes that make a list, tuple, dict, set or frozenset.
    mutating func executeNewContainer(_ code: PickleOpcode) throws(ModelFormatsError) {
        switch code {
        case .emptyList: try push(try allocate(.list([])))
        case .emptyTuple: try push(try allocate(.tuple([])))
        case .emptyDict: try push(try allocate(.dict(PickleDict())))
        case .emptySet: try push(try allocate(.set([])))
        case .list: try push(try allocate(.list(try popMark())))
        case .tuple: try push(try allocate(.tuple(try popMark())))
        case .tuple1, .tuple2, .tuple3:
            let count = code == .tuple1 ? 1 : (code == .tuple2 ? 2 : 3)
            guard stack.count - fence >= count else { throw fail("stack underflow") }
            let items = Array(stack.suffix(count))
            stack.removeLast(count)
            try push(try allocate(.tuple(items)))
        case .frozenSet:
            let items = try popMark()
            try requireHashable(items, code)
            try push(try allocate(.frozenSet(items)))
        default:  // DICT
            let items = try popMark()
            guard items.count % 2 == 0 else { throw fail("odd number of items for a dict") }
            try requireHashable(stride(from: 0, to: items.count, by: 2).map { items[$0] }, code)
            var dict = PickleDict()
            for index in stride(from: 0, to: items.count, by: 2) { dict.set(items[index], items[index + 1]) }
            try push(try allocate(.dict(dict)))
        }
    }

    /// APPEND(S), ADDITEMS and SETITEM(S): items added to the container on the stack.
    mutating func executeFillContainer(_ code: PickleOpcode) throws(ModelFormatsError) {
        switch code {
        case .append:
            let item = try pop()
            try extend(try top(), with: [item])
        case .appends:
            let items = try popMark()
            // CPython: with nothing after MARK, APPENDS, ADDITEMS and SETITEMS do nothing, whatever is below.
            let target = try top()
            if !items.isEmpty { try extend(target, with: items) }
        case .addItems:
            let items = try popMark()
            let target = try top()
            if !items.isEmpty { try addToSet(target, items) }
        case .setItem:
            let value = try pop()
            let key = try pop()
            try setItems(try top(), [key, value])
        default:  // SETITEMS
            let items = try popMark()
            let target = try top()
            guard !items.isEmpty else { return }
            guard items.count % 2 == 0 else { throw fail("odd number of items for SETITEMS") }
            try setItems(target, items)
        }
    }

    /// GET, PUT and MEMOIZE in their text and binary forms.
    mutating func executeMemo(_ code: PickleOpcode) throws(ModelFormatsError) {
        switch code {
        case .get:
            let line = try readLine()
            let key = try parseMemoKey(line)
            try push(try memoValue(key))
        case .binGet:
            let key = UInt64(try readByte())
            try push(try memoValue(key))
        case .longBinGet:
            let key = UInt64(try readUInt32())
            try push(try memoValue(key))
        case .put:
            let line = try readLine()
            try memoize(try parseMemoKey(line))
        case .binPut: try memoize(UInt64(try readByte()))
        case .longBinPut: try memoize(UInt64(try readUInt32()))
        default: try memoize(UInt64(memo.count))  // MEMOIZE
        }
    }

    /// GLOBAL, STACK_GLOBAL and INST: imports, recorded and looked up, never performed.
    mutating func executeImport(_ code: PickleOpcode) throws(ModelFormatsError) {
        if code == .stackGlobal {
            try executeStackGlobal()
            return
        }
        // CPython's INST finds its MARK before reading anything; an empty module or name line is "pickle data
        // was truncated" (bad_readline).
        if code == .inst, marks.isEmpty { throw fail("could not find MARK") }
        let moduleLine = try readLine()
        guard !moduleLine.isEmpty else { throw truncated(1) }
        // CPython decodes GLOBAL's lines as UTF-8 but INST's as ASCII (strict): a byte over 0x7F raises there.
        if code == .inst, moduleLine.contains(where: { $0 > 0x7F }) { throw fail("INST module name is not ASCII") }
        let module = try utf8(moduleLine)
        let nameLine = try readLine()
        guard !nameLine.isEmpty else { throw truncated(1) }
        if code == .inst, nameLine.contains(where: { $0 > 0x7F }) { throw fail("INST class name is not ASCII") }
        let name = try utf8(nameLine)
        let reference = try resolve(module: module, name: name)
        record(reference)
        if code == .global {
            try push(try allocate(.global(reference)))
            return
        }
        let args = try popMark()
        let callee = try allocate(.global(reference))
        try pushInstance(callee, args: try allocate(.tuple(args)), construction: .inst)
    }

    /// STACK_GLOBAL; operands that are not string literals are an anomaly a lenient machine reports.
    mutating func executeStackGlobal() throws(ModelFormatsError) {
        let nameValue = try pop()
        let moduleValue = try pop()
        guard case let .string(name) = nameValue, case let .string(module) = moduleValue else {
            // Only a value a call made can be a str at load time; anything else makes CPython raise.
            let computed = [nameValue, moduleValue].allSatisfy { value in
                if case .string = value { return true }
                return mayBeCallable(value) && heap.global(value) == nil
            }
            guard lenient, computed else { throw fail("STACK_GLOBAL requires two str operands") }
            let reference = GlobalReference(
                module: moduleValue.stringValue ?? "<computed>", name: nameValue.stringValue ?? "<computed>",
                status: .unknown)
            record(reference, anomaly: .computedGlobal)
            try push(try allocate(.global(reference)))
            return
        }
        let reference = try resolve(module: module, name: name)
        record(reference)
        try push(try allocate(.global(reference)))
    }

    /// Whether calling `value` could do anything in CPython: a global, an object a call made, a persistent
    /// reference or an extension code may be callable; None, numbers, strings and plain containers raise.
    func mayBeCallable(_ value: PickleValue) -> Bool {
        switch heap.object(value) {
        case .global?, .instance?, .persistent?, .extensionCode?: true
        default: false
        }
    }

    /// A dict, or an object a call, persistent_load or an extension code made (which may be one).
    func isDictLike(_ value: PickleValue) -> Bool {
        switch heap.object(value) {
        case .dict?, .instance?, .persistent?, .extensionCode?: true
        default: false
        }
    }

    func isTuple(_ value: PickleValue) -> Bool {
        if case .tuple? = heap.object(value) { return true }
        return false
    }

    /// OBJ, REDUCE, NEWOBJ and NEWOBJ_EX: calls, recorded, never made.
    mutating func executeCall(_ code: PickleOpcode) throws(ModelFormatsError) {
        switch code {
        case .obj:
            let items = try popMark()
            guard let callee = items.first else { throw fail("OBJ needs a class after MARK") }
            // CPython's instantiate() calls the first item after MARK: anything else raises there.
            if !mayBeCallable(callee) { throw fail("OBJ calls something that is not callable") }
            record(callee: callee)
            try pushInstance(callee, args: try allocate(.tuple(Array(items.dropFirst()))), construction: .obj)
        case .reduce, .newObj:
            let args = try pop()
            let callee = try pop()
            // Both machines stop where CPython raises (the strict one accepting more was found by FuzzPickle).
            if !mayBeCallable(callee) { throw fail("\(code.name) calls something that is not callable") }
            // CPython: REDUCE's "argument list must be a tuple", NEWOBJ's "expected an arg tuple".
            if !isTuple(args) { throw fail("\(code.name) needs an argument tuple") }
            record(callee: callee)
            try pushInstance(callee, args: args, construction: code == .reduce ? .reduce : .newObj)
        default:  // NEWOBJ_EX
            let kwargs = try pop()
            let args = try pop()
            let callee = try pop()
            // CPython: "NEWOBJ_EX class argument must be a type", "args argument must be a tuple", "kwargs
            // argument must be a dict".
            if !mayBeCallable(callee) { throw fail("NEWOBJ_EX calls something that is not callable") }
            if !isTuple(args) { throw fail("NEWOBJ_EX needs an argument tuple") }
            if !isDictLike(kwargs) { throw fail("NEWOBJ_EX needs a keyword-argument dict") }
            record(callee: callee)
            try pushInstance(callee, args: args, kwargs: kwargs, construction: .newObjEx)
        }
    }

    /// BUILD: the state is kept on the object a call made; on a global it is recorded.
    mutating func executeBuild() throws(ModelFormatsError) {
        let state = try pop()
        let target = try top()
        if let reference = heap.global(target) {
            // Python sets attributes on the class or module itself (`__dict__.update`): record it.
            events.append(PickleEvent(offset: offset, opcode: .build, global: reference))
            return
        }
        guard case let .object(id) = target, case var .instance(instance) = heap.objects[id.index] else {
            // CPython's default __setstate__ does nothing with a None state (or (None, None)), whatever
            // the object; an object from persistent_load or an extension code may have any __setstate__.
            if Self.isEmptyState(state, heap: heap) || (lenient && Self.isOpaque(heap.object(target))) { return }
            events.append(PickleEvent(offset: offset, opcode: .build, global: nil))
            throw fail("BUILD applies state to something that is not an object built by the pickle")
        }
        events.append(PickleEvent(offset: offset, opcode: .build, global: heap.global(instance.callee)))
        instance.state = state
        heap.objects[id.index] = .instance(instance)
    }

    /// A tuple whose first item is `storage` or `module` (str or bytes): what torch's persistent_load takes.
    func isTorchPersistentID(_ id: PickleValue) -> Bool {
        guard case let .tuple(items)? = heap.object(id), let first = items.first else { return false }
        switch first {
        case .string(let text): return text == "storage" || text == "module"
        case .bytes(let bytes): return bytes == Array("storage".utf8) || bytes == Array("module".utf8)
        default: return false
        }
    }

    /// `None` or `(None, None)`: a BUILD state CPython's default `__setstate__` ignores.
    static func isEmptyState(_ state: PickleValue, heap: PickleHeap) -> Bool {
        if state == .none { return true }
        if case let .tuple(items)? = heap.object(state), items.count == 2, items.allSatisfy({ $0 == .none }) {
            return true
        }
        return false
    }

    /// Objects whose type the pickle does not decide (persistent references, extension codes).
    static func isOpaque(_ object: PickleObject?) -> Bool {
        switch object {
        case .persistent?, .extensionCode?: true
        default: false
        }
    }

    /// EXT1/2/4 (extension registry codes) and PERSID/BINPERSID (persistent references).
    mutating func executeReference(_ code: PickleOpcode) throws(ModelFormatsError) {
        switch code {
        case .ext1, .ext2, .ext4:
            let extensionCode: Int
            switch code {
            case .ext1: extensionCode = Int(try readByte())
            case .ext2: extensionCode = Int(try readUInt16())
            default: extensionCode = Int(Int32(bitPattern: try readUInt32()))
            }
            guard extensionCode > 0 else { throw fail("extension code must be positive") }
            events.append(PickleEvent(offset: offset, opcode: code, global: nil))
            // copyreg's extension registry is empty unless something registered codes: CPython raises.
            if lenient { throw fail("unregistered extension code \(extensionCode)") }
            try push(try allocate(.extensionCode(extensionCode)))
        case .persID:
            let line = try readLine()
            // A str id: pickle.load has no persistent_load, torch's asserts a tuple. Either raises here.
            if lenient { throw fail("PERSID: a str persistent id, which no loader's persistent_load accepts") }
            let id: PickleValue = String(strictUTF8: line).map { .string($0) } ?? .bytes(line)
            try push(try allocate(.persistent(id: id, offset: offset)))
        default:  // BINPERSID
            let id = try pop()
            if lenient {
                guard isTorchPersistentID(id) else {
                    throw fail("BINPERSID: only torch's ('storage', …) / ('module', …) ids are loaded")
                }
                events.append(PickleEvent(offset: offset, opcode: code, global: nil))
            }
            try push(try allocate(.persistent(id: id, offset: offset)))
        }
    }

    /// The object a call would have made (INST, OBJ, REDUCE, NEWOBJ, NEWOBJ_EX), recorded, never made.
    mutating func pushInstance(
        _ callee: PickleValue, args: PickleValue, kwargs: PickleValue? = nil, construction: PickleConstruction
    ) throws(ModelFormatsError) {
        let instance = PickleInstance(
            callee: callee, args: args, kwargs: kwargs, construction: construction, offset: offset)
        try push(try allocate(.instance(instance)))
    }

    // MARK: - Globals

    /// The global as CPython's `find_class` imports it: Python 2 names mapped through `_compat_pickle` when
    /// the protocol so far is below 3 (`fix_imports`); the allowlist status as torch's weights-only
    /// unpickler decides it (its own mapping, applied always). A module that is not a dotted identifier
    /// cannot be imported: the load raises there, before anything is imported.
    func resolve(module: String, name: String) throws(ModelFormatsError) -> GlobalReference {
        let imported =
            declaredProtocol < 3 ? CompatPickleMapping.map(module: module, name: name) : (module: module, name: name)
        guard Self.isDottedIdentifier(imported.module) else {
            throw fail("module \"\(imported.module)\" cannot be imported (not a dotted identifier)")
        }
        let mapped = PickleAllowlist.mapLegacyName(module: module, name: name)
        return GlobalReference(
            module: imported.module, name: imported.name,
            status: allowlist.status(module: mapped.module, name: mapped.name))
    }

    /// The ASCII case on the UTF-8 bytes (what nearly every module name is); nil when a byte is not ASCII.
    static func asciiDottedIdentifier(_ text: String) -> Bool? {
        var text = text
        return text.withUTF8 { bytes -> Bool? in
            var atStart = true
            for byte in bytes {
                guard byte < 0x80 else { return nil }
                if byte == UInt8(ascii: ".") {
                    if atStart { return false }
                    atStart = true
                    continue
                }
                let isLetter = byte == UInt8(ascii: "_") || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
                guard isLetter || (!atStart && byte >= 0x30 && byte <= 0x39) else { return false }
                atStart = false
            }
            return !atStart
        }
    }

    /// `a.b_c.d`: every dotted part a Python identifier (`str.isidentifier`: XID_Start or `_`, then XID_Continue).
    static func isDottedIdentifier(_ text: String) -> Bool {
        if let ascii = asciiDottedIdentifier(text) { return ascii }
        var atStart = true
        for scalar in text.unicodeScalars {
            if scalar == "." {
                if atStart { return false }
                atStart = true
                continue
            }
            let fits = atStart ? (scalar == "_" || scalar.properties.isXIDStart) : scalar.properties.isXIDContinue
            guard fits else { return false }
            atStart = false
        }
        return !atStart
    }

    mutating func record(_ reference: GlobalReference, anomaly: PickleAnomaly? = nil) {
        events.append(PickleEvent(offset: offset, opcode: opcode, global: reference, anomaly: anomaly))
        if seenGlobals.insert(reference).inserted { globals.append(reference) }
    }

    mutating func record(callee: PickleValue) {
        events.append(PickleEvent(offset: offset, opcode: opcode, global: heap.global(callee)))
    }
}
