import ModelSealCore

/// One opcode that imports or calls something, as a scanner reports it.
public struct PickleEvent: Sendable {
    /// Byte offset of the opcode (relative to the pickle's start, plus the run's `baseOffset`).
    public let offset: Int
    public let opcode: PickleOpcode
    /// The global imported, or the global being called or built (when the callee is one).
    public let global: GlobalReference?
    /// Set when the opcode is a construct only a lenient machine accepts (`PickleMachine.Leniency`).
    public var anomaly: PickleAnomaly? = nil
}

/// A construct CPython's unpickler accepts that a strict reader refuses; a lenient machine goes on
/// past it and reports it, so a scanner still sees what the rest of the pickle does.
public enum PickleAnomaly: String, Sendable {
    /// An opcode crossed the end of its FRAME, or a FRAME began inside another. CPython's C unpickler
    /// only checks that a frame's bytes exist; a disassembler that trusts frame lengths misreads what follows.
    case frameBoundary = "frame-boundary"
    /// STACK_GLOBAL operands that are not string literals (built by a call at load time): what is
    /// imported cannot be known without running the pickle. The reference names `<computed>` parts.
    case computedGlobal = "computed-global"
}

/// What one pickle run built, with every import and call it asked for.
public struct PickleResult: Sendable {
    /// The value STOP returned.
    public var root: PickleValue
    public var heap: PickleHeap
    /// GLOBAL, STACK_GLOBAL, INST, OBJ, REDUCE, NEWOBJ, NEWOBJ_EX, BUILD and EXT* in order.
    public var events: [PickleEvent]
    /// Distinct globals in order of first appearance.
    public var globals: [GlobalReference]
    /// The protocol PROTO declared (0 when absent) and the highest protocol any opcode needs.
    public var declaredProtocol: Int
    public var highestOpcodeProtocol: Int
    /// Offset one past STOP, in the same frame of reference as event offsets.
    public var endOffset: Int
}

/// A pickle virtual machine that models every opcode of protocols 0–5 and executes nothing.
///
/// Stack, MARK metastack and memo behave as in CPython's `_pickle.c` (the stack fence at the
/// last MARK included); FRAME bounds are enforced unless the machine is lenient; globals are looked
/// up in a `PickleAllowlist` and kept as opaque references; REDUCE and friends record the call
/// instead of making it.
public struct PickleMachine: Sendable {
    /// What the machine does with constructs CPython accepts but a strict reader refuses.
    public enum Leniency: Sendable {
        /// Refuse them (readers whose result is loaded).
        case strict
        /// Go on as CPython would and report each one as an event with an `anomaly` (scanners).
        case likeCPython
    }

    public var allowlist: PickleAllowlist
    public var limits: PickleLimits
    public var leniency: Leniency

    public init(
        allowlist: PickleAllowlist = .torchWeightsOnly, limits: PickleLimits = .default, leniency: Leniency = .strict
    ) {
        self.allowlist = allowlist
        self.limits = limits
        self.leniency = leniency
    }

    /// Runs the pickle that starts at `range.lowerBound` (default: the start) of `bytes` up to
    /// its STOP; bytes after STOP are left alone (legacy torch files hold several pickles).
    public func run(_ bytes: [UInt8], range: Range<Int>? = nil, baseOffset: Int = 0) throws -> PickleResult {
        let window = range ?? 0..<bytes.count
        guard let reader = ByteReader(bytes, range: window) else {
            throw ModelFormatsError.truncated(what: "pickle", offset: baseOffset, needed: 1)
        }
        var run = PickleRun(machine: self, reader: reader, baseOffset: baseOffset - window.lowerBound)
        return try run.execute()
    }

    /// Like `run`, but never throws: a pickle that breaks part-way still reports the imports and
    /// calls it made before the failure (what a scanner needs from hostile input).
    public func trace(_ bytes: [UInt8], range: Range<Int>? = nil, baseOffset: Int = 0) -> PickleTrace {
        let window = range ?? 0..<bytes.count
        guard let reader = ByteReader(bytes, range: window) else {
            return PickleTrace(
                events: [], globals: [], result: nil, error: .truncated(what: "pickle", offset: baseOffset, needed: 1))
        }
        var run = PickleRun(machine: self, reader: reader, baseOffset: baseOffset - window.lowerBound)
        do {
            let result = try run.execute()
            return PickleTrace(events: result.events, globals: result.globals, result: result, error: nil)
        } catch let error as ModelFormatsError {
            return PickleTrace(events: run.events, globals: run.globals, result: nil, error: error)
        } catch {
            return PickleTrace(events: run.events, globals: run.globals, result: nil, error: .unsupported("\(error)"))
        }
    }
}

/// The outcome of `PickleMachine.trace`: events always, a result or an error.
public struct PickleTrace: Sendable {
    public var events: [PickleEvent]
    public var globals: [GlobalReference]
    public var result: PickleResult?
    public var error: ModelFormatsError?
}

/// The state of one run; a separate type so the public machine stays a value of settings.
struct PickleRun {
    let allowlist: PickleAllowlist
    let limits: PickleLimits
    let lenient: Bool
    var reader: ByteReader
    /// Added to reader positions to report offsets.
    let baseOffset: Int

    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo = PickleMemo()
    var heap = PickleHeap()
    var events: [PickleEvent] = []
    var globals: [GlobalReference] = []
    var seenGlobals: Set<GlobalReference> = []
    var allocated = 0
    var declaredProtocol = 0
    var highestOpcodeProtocol = 0
    var frameEnd: Int?
    /// Offset of the FRAME opcode that set `frameEnd`.
    var frameStart = 0
    var opcodeStart = 0
    var opcode: PickleOpcode = .stop

    init(machine: PickleMachine, reader: ByteReader, baseOffset: Int) {
        self.allowlist = machine.allowlist
        self.limits = machine.limits
        self.lenient = machine.leniency == .likeCPython
        self.reader = reader
        self.baseOffset = baseOffset
    }

    var offset: Int { opcodeStart + baseOffset }

    func fail(_ reason: String) -> ModelFormatsError {
        .pickle(offset: offset, opcode: opcode.name, reason: reason)
    }

    // MARK: - Main loop

    mutating func execute() throws -> PickleResult {
        while true {
            opcodeStart = reader.position
            if let end = frameEnd, opcodeStart >= end { frameEnd = nil }
            guard let byte = reader.readUInt8() else {
                throw ModelFormatsError.truncated(what: "pickle (no STOP opcode)", offset: offset, needed: 1)
            }
            guard let code = PickleOpcode(rawValue: byte) else {
                throw ModelFormatsError.pickle(
                    offset: offset, opcode: "0x" + String(byte, radix: 16), reason: "unknown opcode")
            }
            opcode = code
            highestOpcodeProtocol = max(highestOpcodeProtocol, code.introducedIn)
            if code == .stop {
                let root = try pop()
                try checkFrame()
                return PickleResult(
                    root: root, heap: heap, events: events, globals: globals,
                    declaredProtocol: declaredProtocol, highestOpcodeProtocol: highestOpcodeProtocol,
                    endOffset: reader.position + baseOffset)
            }
            try step(code)
            try checkFrame()
        }
    }

    /// An opcode that started inside a frame must end inside it.
    mutating func checkFrame() throws {
        if let end = frameEnd, reader.position > end {
            try frameViolation("opcode runs past the end of its frame (frame ends at \(end + baseOffset))")
        }
    }

    /// Strict: fails. Lenient: reports the frame once and stops checking it, as CPython never does.
    mutating func frameViolation(_ reason: String) throws {
        guard lenient else { throw fail(reason) }
        events.append(
            PickleEvent(offset: frameStart + baseOffset, opcode: .frame, global: nil, anomaly: .frameBoundary))
        frameEnd = nil
    }

    // Operands are read into locals before a non-mutating helper runs: `helper(try read())` would
    // copy the whole run (stack, memo, heap) to keep `self` stable while `read` mutates it.
    mutating func step(_ code: PickleOpcode) throws {
        switch code {
        case .stop: break
        case .proto:
            let version = try readByte()
            guard version <= 5 else { throw fail("unsupported pickle protocol \(version)") }
            declaredProtocol = Int(version)
        case .frame:
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

        // Stack and marks.
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
        case .dup: try push(try top())

        // Scalars.
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
            if line == [0x30, 0x30] {
                try push(.bool(false))
            } else if line == [0x30, 0x31] {
                try push(.bool(true))
            } else {
                try push(try parseInteger(line))
            }
        case .long:
            var line = try readLine()
            if line.last == UInt8(ascii: "L") { line.removeLast() }
            try push(try parseInteger(line))
        case .long1:
            let payload = try readPayload(Int(try readByte()))
            try push(decodeLong(payload))
        case .long4:
            let raw = Int32(bitPattern: try readUInt32())
            guard raw >= 0 else { throw fail("negative byte count") }
            guard Int(raw) <= limits.maxLongBytes else {
                throw ModelFormatsError.limitExceeded(what: "LONG4 length", limit: limits.maxLongBytes, offset: offset)
            }
            let payload = try readPayload(Int(raw))
            try push(decodeLong(payload))
        case .float:
            let line = try readLine()
            guard let text = String(strictUTF8: line),
                let value = Double(text.trimmingSpaces())
            else { throw fail("not a float literal") }
            try push(.float(value))
        case .binFloat:
            try push(.float(Double(bitPattern: try readUInt64BigEndian())))

        // Strings and bytes.
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
        case .readonlyBuffer:
            _ = try top()

        // Containers.
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
        case .frozenSet: try push(try allocate(.frozenSet(try popMark())))
        case .dict:
            let items = try popMark()
            guard items.count % 2 == 0 else { throw fail("odd number of items for a dict") }
            var dict = PickleDict()
            for index in stride(from: 0, to: items.count, by: 2) { dict.set(items[index], items[index + 1]) }
            try push(try allocate(.dict(dict)))
        case .append:
            let item = try pop()
            try extend(try top(), with: [item])
        case .appends:
            let items = try popMark()
            try extend(try top(), with: items)
        case .addItems:
            let items = try popMark()
            try addToSet(try top(), items)
        case .setItem:
            let value = try pop()
            let key = try pop()
            try setItems(try top(), [key, value])
        case .setItems:
            let items = try popMark()
            guard items.count % 2 == 0 else { throw fail("odd number of items for SETITEMS") }
            try setItems(try top(), items)

        // Memo.
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
        case .memoize: try memoize(UInt64(memo.count))

        // Imports and calls: recorded, never performed.
        case .global:
            let moduleLine = try readLine()
            let module = try utf8(moduleLine)
            let nameLine = try readLine()
            let name = try utf8(nameLine)
            let reference = resolve(module: module, name: name)
            record(reference)
            try push(try allocate(.global(reference)))
        case .stackGlobal:
            let nameValue = try pop()
            let moduleValue = try pop()
            guard case let .string(name) = nameValue, case let .string(module) = moduleValue else {
                guard lenient else { throw fail("STACK_GLOBAL requires two str operands") }
                let reference = GlobalReference(
                    module: moduleValue.stringValue ?? "<computed>", name: nameValue.stringValue ?? "<computed>",
                    status: .unknown)
                record(reference, anomaly: .computedGlobal)
                try push(try allocate(.global(reference)))
                return
            }
            let reference = resolve(module: module, name: name)
            record(reference)
            try push(try allocate(.global(reference)))
        case .inst:
            let moduleLine = try readLine()
            let module = try utf8(moduleLine)
            let nameLine = try readLine()
            let name = try utf8(nameLine)
            let reference = resolve(module: module, name: name)
            record(reference)
            let args = try popMark()
            let callee = try allocate(.global(reference))
            try pushInstance(callee, args: try allocate(.tuple(args)), construction: .inst)
        case .obj:
            let items = try popMark()
            guard let callee = items.first else { throw fail("OBJ needs a class after MARK") }
            record(callee: callee)
            try pushInstance(callee, args: try allocate(.tuple(Array(items.dropFirst()))), construction: .obj)
        case .reduce, .newObj:
            let args = try pop()
            let callee = try pop()
            record(callee: callee)
            try pushInstance(callee, args: args, construction: code == .reduce ? .reduce : .newObj)
        case .newObjEx:
            let kwargs = try pop()
            let args = try pop()
            let callee = try pop()
            record(callee: callee)
            try pushInstance(callee, args: args, kwargs: kwargs, construction: .newObjEx)
        case .build:
            let state = try pop()
            let target = try top()
            if let reference = heap.global(target) {
                // Python sets attributes on the class or module itself (`__dict__.update`): record it.
                events.append(PickleEvent(offset: offset, opcode: .build, global: reference))
                return
            }
            guard case let .object(id) = target, case var .instance(instance) = heap.objects[id.index] else {
                events.append(PickleEvent(offset: offset, opcode: .build, global: nil))
                throw fail("BUILD applies state to something that is not an object built by the pickle")
            }
            events.append(PickleEvent(offset: offset, opcode: .build, global: heap.global(instance.callee)))
            instance.state = state
            heap.objects[id.index] = .instance(instance)
        case .ext1, .ext2, .ext4:
            let extensionCode: Int
            switch code {
            case .ext1: extensionCode = Int(try readByte())
            case .ext2: extensionCode = Int(try readUInt16())
            default: extensionCode = Int(Int32(bitPattern: try readUInt32()))
            }
            guard extensionCode > 0 else { throw fail("extension code must be positive") }
            events.append(PickleEvent(offset: offset, opcode: code, global: nil))
            try push(try allocate(.extensionCode(extensionCode)))
        case .persID:
            let line = try readLine()
            let id: PickleValue = String(strictUTF8: line).map { .string($0) } ?? .bytes(line)
            try push(try allocate(.persistent(id: id, offset: offset)))
        case .binPersID:
            let id = try pop()
            try push(try allocate(.persistent(id: id, offset: offset)))
        }
    }

    /// The object a call would have made (INST, OBJ, REDUCE, NEWOBJ, NEWOBJ_EX), recorded, never made.
    mutating func pushInstance(
        _ callee: PickleValue, args: PickleValue, kwargs: PickleValue? = nil, construction: PickleConstruction
    ) throws {
        let instance = PickleInstance(
            callee: callee, args: args, kwargs: kwargs, construction: construction, offset: offset)
        try push(try allocate(.instance(instance)))
    }

    // MARK: - Stack

    var fence: Int { marks.last ?? 0 }

    mutating func push(_ value: PickleValue) throws {
        guard stack.count < limits.maxStackSize else {
            throw ModelFormatsError.limitExceeded(what: "pickle stack size", limit: limits.maxStackSize, offset: offset)
        }
        stack.append(value)
    }

    mutating func pop() throws -> PickleValue {
        guard stack.count > fence else { throw fail("stack underflow") }
        return stack.removeLast()
    }

    func top() throws -> PickleValue {
        guard stack.count > fence, let last = stack.last else { throw fail("stack underflow") }
        return last
    }

    mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail("could not find MARK") }
        let items = Array(stack[mark...])
        stack.removeLast(stack.count - mark)
        return items
    }

    // MARK: - Heap

    mutating func charge(_ bytes: Int) throws {
        allocated += bytes
        guard allocated <= limits.maxAllocationBytes else {
            throw ModelFormatsError.limitExceeded(
                what: "pickle allocations (bytes)", limit: limits.maxAllocationBytes, offset: offset)
        }
    }

    mutating func allocate(_ object: consuming PickleObject) throws -> PickleValue {
        guard heap.objects.count < limits.maxObjects else {
            throw ModelFormatsError.limitExceeded(what: "pickle objects", limit: limits.maxObjects, offset: offset)
        }
        let elements = Self.elementCount(object)
        try checkContainer(elements)
        try charge(PickleLimits.valueCost * (1 + elements))
        heap.objects.append(object)
        return .object(PickleObjectID(index: heap.objects.count - 1))
    }

    /// What an object holds, for the allocation caps (read in place, not copied out).
    static func elementCount(_ object: borrowing PickleObject) -> Int {
        switch object {
        case .list(let items), .tuple(let items), .set(let items), .frozenSet(let items): items.count
        case .dict(let dict): dict.count * 2
        case .byteArray(let bytes): bytes.count / PickleLimits.valueCost
        default: 0
        }
    }

    func checkContainer(_ elements: Int) throws {
        guard elements <= limits.maxContainerElements else {
            throw ModelFormatsError.limitExceeded(
                what: "pickle container elements", limit: limits.maxContainerElements, offset: offset)
        }
    }

    /// Mutates a heap object in place (taking it out first so its storage is uniquely referenced).
    mutating func mutate(_ id: PickleObjectID, _ body: (inout PickleObject) throws -> Void) rethrows {
        var object = heap.objects[id.index]
        heap.objects[id.index] = .extensionCode(0)
        defer { heap.objects[id.index] = object }
        try body(&object)
    }

    func describe(_ value: PickleValue) -> String {
        switch heap.object(value) {
        case .list?: "list"
        case .tuple?: "tuple"
        case .dict?: "dict"
        case .set?: "set"
        case .frozenSet?: "frozenset"
        case .byteArray?: "bytearray"
        case let .global(reference)?: "global \(reference.fullName)"
        case .instance?: "object"
        case .persistent?: "persistent reference"
        case .extensionCode?: "extension"
        case nil: "scalar"
        }
    }

    /// Adds `items` to the object `target` refers to (APPEND(S), ADDITEMS, SETITEM(S)), after charging
    /// them and checking the container cap: `update` changes the object in place and returns false
    /// for an object of another kind, which is refused as "`verb` a `kind`".
    mutating func updateContainer(
        _ target: PickleValue, adding items: [PickleValue], verb: String,
        _ update: (inout PickleObject, _ cap: Int, _ tooMany: ModelFormatsError) throws -> Bool
    ) throws {
        guard case let .object(id) = target else { throw fail("\(verb) a \(describe(target))") }
        try charge(PickleLimits.valueCost * items.count)
        let cap = limits.maxContainerElements
        let tooMany = ModelFormatsError.limitExceeded(what: "pickle container elements", limit: cap, offset: offset)
        var matched = true  // the message is built only when needed: it costs more than the update
        try mutate(id) { object in matched = try update(&object, cap, tooMany) }
        if !matched { throw fail("\(verb) a \(describe(target))") }
    }

    mutating func extend(_ target: PickleValue, with items: [PickleValue]) throws {
        try updateContainer(target, adding: items, verb: "cannot append to") { object, cap, tooMany in
            switch object {
            case var .list(existing):
                guard existing.count + items.count <= cap else { throw tooMany }
                object = .tuple([])
                existing.append(contentsOf: items)
                object = .list(existing)
            case .instance: try Self.appendToInstance(&object, items, cap: cap, tooMany: tooMany)
            default: return false
            }
            return true
        }
    }

    mutating func addToSet(_ target: PickleValue, _ items: [PickleValue]) throws {
        try updateContainer(target, adding: items, verb: "cannot add items to") { object, cap, tooMany in
            switch object {
            case var .set(existing):
                guard existing.count + items.count <= cap else { throw tooMany }
                object = .tuple([])
                for item in items where !existing.contains(item) { existing.append(item) }
                object = .set(existing)
            case .instance: try Self.appendToInstance(&object, items, cap: cap, tooMany: tooMany)
            default: return false
            }
            return true
        }
    }

    /// APPENDS or ADDITEMS on an object a call made: the items join its list-like state.
    static func appendToInstance(
        _ object: inout PickleObject, _ items: [PickleValue], cap: Int, tooMany: ModelFormatsError
    ) throws {
        guard case var .instance(instance) = object else { return }
        guard instance.items.count + items.count <= cap else { throw tooMany }
        object = .tuple([])
        instance.items.append(contentsOf: items)
        object = .instance(instance)
    }

    mutating func setItems(_ target: PickleValue, _ items: [PickleValue]) throws {
        try updateContainer(target, adding: items, verb: "cannot set items on") { object, cap, tooMany in
            switch object {
            case var .dict(dict):
                guard dict.count + items.count / 2 <= cap else { throw tooMany }
                object = .tuple([])
                dict.reserveCapacity(dict.count + items.count / 2)
                for index in stride(from: 0, to: items.count, by: 2) { dict.set(items[index], items[index + 1]) }
                object = .dict(dict)
            case var .instance(instance):
                guard instance.entries.count + items.count / 2 <= cap else { throw tooMany }
                object = .tuple([])
                for index in stride(from: 0, to: items.count, by: 2) {
                    instance.entries.append((items[index], items[index + 1]))
                }
                object = .instance(instance)
            default: return false
            }
            return true
        }
    }

    // MARK: - Memo

    func memoValue(_ key: UInt64) throws -> PickleValue {
        guard let value = memo[key] else { throw fail("memo key \(key) was never stored") }
        return value
    }

    mutating func memoize(_ key: UInt64) throws {
        let value = try top()
        if memo[key] == nil {
            guard memo.count < limits.maxMemoEntries else {
                throw ModelFormatsError.limitExceeded(
                    what: "pickle memo entries", limit: limits.maxMemoEntries, offset: offset)
            }
            try charge(PickleLimits.valueCost)
        }
        memo.set(key, value)
    }

    func parseMemoKey(_ line: [UInt8]) throws -> UInt64 {
        guard !line.isEmpty, line.count <= 20, line.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let text = String(strictUTF8: line), let key = UInt64(text)
        else { throw fail("memo key is not a non-negative decimal integer") }
        return key
    }

    // MARK: - Globals

    func resolve(module: String, name: String) -> GlobalReference {
        let mapped = PickleAllowlist.mapLegacyName(module: module, name: name)
        return GlobalReference(
            module: mapped.module, name: mapped.name,
            status: allowlist.status(module: mapped.module, name: mapped.name))
    }

    mutating func record(_ reference: GlobalReference, anomaly: PickleAnomaly? = nil) {
        events.append(PickleEvent(offset: offset, opcode: opcode, global: reference, anomaly: anomaly))
        if seenGlobals.insert(reference).inserted { globals.append(reference) }
    }

    mutating func record(callee: PickleValue) {
        events.append(PickleEvent(offset: offset, opcode: opcode, global: heap.global(callee)))
    }

    // MARK: - Reading operands

    mutating func readByte() throws -> UInt8 {
        guard let value = reader.readUInt8() else { throw truncated(1) }
        return value
    }

    mutating func readUInt16() throws -> UInt16 {
        guard let value = reader.readLittleEndian(UInt16.self) else { throw truncated(2) }
        return value
    }

    mutating func readUInt32() throws -> UInt32 {
        guard let value = reader.readLittleEndian(UInt32.self) else { throw truncated(4) }
        return value
    }

    mutating func readUInt64() throws -> UInt64 {
        guard let value = reader.readLittleEndian(UInt64.self) else { throw truncated(8) }
        return value
    }

    mutating func readUInt64BigEndian() throws -> UInt64 {
        guard let value = reader.readBigEndian(UInt64.self) else { throw truncated(8) }
        return value
    }

    /// A 64-bit length, checked against the bytes left before anything is allocated.
    mutating func readLength64() throws -> Int {
        let length = try readUInt64()
        guard length <= UInt64(reader.remaining) else {
            throw truncated(Int(clamping: length) - reader.remaining)
        }
        return Int(length)
    }

    mutating func readPayload(_ count: Int) throws -> [UInt8] {
        guard count <= reader.remaining else { throw truncated(count - reader.remaining) }
        try charge(count)
        guard let slice = reader.readBytes(count) else { throw truncated(count) }
        return Array(slice)
    }

    /// A UTF-8 payload as a string, decoded straight from the input (no intermediate array).
    mutating func readText(_ count: Int) throws -> String {
        guard count <= reader.remaining else { throw truncated(count - reader.remaining) }
        try charge(count)
        guard let slice = reader.readBytes(count) else { throw truncated(count) }
        guard let text = String(strictUTF8: slice) else { throw fail("string is not valid UTF-8") }
        return text
    }

    /// A text line without its newline; CPython requires the newline.
    mutating func readLine() throws -> [UInt8] {
        let start = reader.position
        let limit = min(reader.end, start + limits.maxLineLength + 1)
        var index = start
        while index < limit, reader.bytes[index] != 0x0A { index += 1 }
        guard index < limit else {
            if limit == reader.end { throw truncated(1) }
            throw ModelFormatsError.limitExceeded(what: "pickle text line", limit: limits.maxLineLength, offset: offset)
        }
        let line = Array(reader.bytes[start..<index])
        _ = reader.skip(index - start + 1)
        try charge(line.count)
        return line
    }

    func truncated(_ needed: Int) -> ModelFormatsError {
        .truncated(what: "pickle \(opcode.name) operand", offset: offset, needed: max(1, needed))
    }

    // MARK: - Decoding

    func utf8(_ bytes: [UInt8]) throws -> String {
        guard let text = String(strictUTF8: bytes) else { throw fail("string is not valid UTF-8") }
        return text
    }

    /// Python 2 `str` payloads: text when they are UTF-8 (torch loads with encoding="utf-8"), bytes otherwise.
    func byteString(_ bytes: [UInt8]) -> PickleValue {
        String(strictUTF8: bytes).map { .string($0) } ?? .bytes(bytes)
    }

    /// `int(text, 0)` for the forms pickle writers produce: decimal, or 0x/0o/0b prefixed.
    func parseInteger(_ line: [UInt8]) throws -> PickleValue {
        guard let text = String(strictUTF8: line) else { throw fail("not an integer literal") }
        var digits = Substring(text.trimmingSpaces())
        var negative = false
        if digits.first == "-" || digits.first == "+" {
            negative = digits.first == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        let lower = digits.lowercased()
        if lower.hasPrefix("0x") {
            radix = 16
        } else if lower.hasPrefix("0o") {
            radix = 8
        } else if lower.hasPrefix("0b") {
            radix = 2
        }
        if radix != 10 { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isHexDigit && Int(String($0), radix: radix) != nil }) else {
            throw fail("not an integer literal")
        }
        guard digits.count <= limits.maxIntegerDigits else {
            throw ModelFormatsError.limitExceeded(
                what: "integer digits", limit: limits.maxIntegerDigits, offset: offset)
        }
        if let magnitude = UInt64(digits, radix: radix) {
            if !negative, magnitude <= UInt64(Int64.max) { return .int(Int64(magnitude)) }
            if negative, magnitude <= UInt64(Int64.max) + 1 {
                return .int(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
            }
        }
        // Arbitrary precision: little-endian base-256 magnitude, then two's complement.
        var magnitude: [UInt8] = [0]
        for character in digits {
            guard let digit = Int(String(character), radix: radix) else { throw fail("not an integer literal") }
            var carry = digit
            for index in magnitude.indices {
                let value = Int(magnitude[index]) * radix + carry
                magnitude[index] = UInt8(value & 0xFF)
                carry = value >> 8
            }
            while carry > 0 {
                magnitude.append(UInt8(carry & 0xFF))
                carry >>= 8
            }
        }
        magnitude.append(0)  // sign byte
        if negative {
            var carry = 1
            for index in magnitude.indices {
                let value = Int(~magnitude[index]) + carry
                magnitude[index] = UInt8(value & 0xFF)
                carry = value >> 8
            }
        }
        return .bigInt(minimalTwosComplement(magnitude))
    }

    /// Drops redundant sign bytes so equal integers compare equal whatever opcode spelled them.
    func minimalTwosComplement(_ bytes: [UInt8]) -> [UInt8] {
        var trimmed = bytes
        while trimmed.count > 1, let last = trimmed.last {
            let previousNegative = trimmed[trimmed.count - 2] & 0x80 != 0
            guard (last == 0x00 && !previousNegative) || (last == 0xFF && previousNegative) else { break }
            trimmed.removeLast()
        }
        return trimmed
    }

    /// pickle's `decode_long`: little-endian two's complement.
    func decodeLong(_ bytes: [UInt8]) -> PickleValue {
        if bytes.isEmpty { return .int(0) }
        if bytes.count <= 8 {
            var value: UInt64 = 0
            for (index, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
            let shift = UInt64(64 - 8 * bytes.count)
            return .int(Int64(bitPattern: value << shift) >> Int64(shift))
        }
        // Longer encodings that still fit (redundant sign bytes) are normalised.
        let negative = (bytes.last ?? 0) & 0x80 != 0
        let filler: UInt8 = negative ? 0xFF : 0x00
        if bytes[8...].allSatisfy({ $0 == filler }) && ((bytes[7] & 0x80 != 0) == negative) {
            return decodeLong(Array(bytes[0..<8]))
        }
        return .bigInt(minimalTwosComplement(bytes))
    }

    /// Decodes a protocol-0 STRING literal (`'...'` or `"..."` with Python escapes).
    func unquoteStringLiteral(_ line: [UInt8]) throws -> [UInt8] {
        guard line.count >= 2, let quote = line.first, quote == 0x27 || quote == 0x22, line.last == quote else {
            throw fail("the STRING opcode argument must be quoted")
        }
        let body = line[1..<(line.count - 1)]
        var output: [UInt8] = []
        output.reserveCapacity(body.count)
        var index = body.startIndex
        while index < body.endIndex {
            let byte = body[index]
            index += 1
            guard byte == 0x5C else {
                output.append(byte)
                continue
            }
            guard index < body.endIndex else { throw fail("trailing backslash in STRING") }
            let escape = body[index]
            index += 1
            switch escape {
            case 0x5C: output.append(0x5C)
            case 0x27: output.append(0x27)
            case 0x22: output.append(0x22)
            case 0x6E: output.append(0x0A)  // n
            case 0x74: output.append(0x09)  // t
            case 0x72: output.append(0x0D)  // r
            case 0x61: output.append(0x07)  // a
            case 0x62: output.append(0x08)  // b
            case 0x66: output.append(0x0C)  // f
            case 0x76: output.append(0x0B)  // v
            case 0x0A: break  // line continuation
            case 0x78:  // xhh
                guard index + 2 <= body.endIndex,
                    let value = UInt8(String(decoding: body[index..<(index + 2)], as: UTF8.self), radix: 16)
                else { throw fail("invalid \\x escape in STRING") }
                output.append(value)
                index += 2
            case 0x30...0x37:  // up to three octal digits
                var value = Int(escape - 0x30)
                var taken = 1
                while taken < 3, index < body.endIndex, (0x30...0x37).contains(body[index]) {
                    value = value * 8 + Int(body[index] - 0x30)
                    index += 1
                    taken += 1
                }
                output.append(UInt8(truncatingIfNeeded: value))
            default:
                output.append(0x5C)
                output.append(escape)
            }
        }
        return output
    }

    /// Decodes `raw-unicode-escape`: bytes are Latin-1 except `\uXXXX` and `\UXXXXXXXX`.
    func decodeRawUnicodeEscape(_ line: [UInt8]) throws -> String {
        var scalars = String.UnicodeScalarView()
        var index = 0
        while index < line.count {
            let byte = line[index]
            if byte == 0x5C, index + 1 < line.count, line[index + 1] == 0x75 || line[index + 1] == 0x55 {
                let width = line[index + 1] == 0x75 ? 4 : 8
                guard index + 2 + width <= line.count,
                    let code = UInt32(
                        String(decoding: line[(index + 2)..<(index + 2 + width)], as: UTF8.self), radix: 16),
                    let scalar = Unicode.Scalar(code)
                else { throw fail("invalid \\u escape in UNICODE") }
                scalars.append(scalar)
                index += 2 + width
            } else {
                scalars.append(Unicode.Scalar(byte))
                index += 1
            }
        }
        return String(scalars)
    }
}

extension String {
    /// The string without leading and trailing ASCII whitespace (Python's `int()`/`float()` accept it).
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
