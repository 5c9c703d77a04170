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
    /// Where a following `pickle.load` starts: past the end of the FRAME that STOP sat in, when the frame
    /// runs on past STOP (CPython's unpickler has consumed the whole frame), else `endOffset`.
    public var resumeOffset: Int = 0
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
        } catch {
            return PickleTrace(events: run.events, globals: run.globals, result: nil, error: error)
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
    /// Hash indexes of the sets ADDITEMS has filled, by object (built on first use).
    var setIndexes: [PickleObjectID: Set<PickleValue>] = [:]
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

    // MARK: - Main loop (opcodes: PickleMachine+Opcodes.swift; stack and memo: +Stack; heap: +Heap;
    // operands: +Operands; protocol-0 text forms: +Text)

    mutating func execute() throws(ModelFormatsError) -> PickleResult {
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
                if !lenient, let end = frameEnd, end > reader.position {
                    // No pickler stops inside a frame (CPython's framer ends the frame at STOP): the strict
                    // machine refuses what the lenient one reports as a frame trick (FuzzPickle's cross-check).
                    throw fail("STOP before the end of its frame (frame ends at \(end + baseOffset))")
                }
                if lenient, let end = frameEnd, end > reader.position {
                    // STOP before its FRAME ends: CPython's unpickler has consumed the whole frame, so the next
                    // load starts after it, where a linear reader would start at STOP. Reported as a frame trick.
                    events.append(
                        PickleEvent(
                            offset: frameStart + baseOffset, opcode: .frame, global: nil, anomaly: .frameBoundary))
                }
                var result = PickleResult(
                    root: root, heap: heap, events: events, globals: globals,
                    declaredProtocol: declaredProtocol, highestOpcodeProtocol: highestOpcodeProtocol,
                    endOffset: reader.position + baseOffset)
                result.resumeOffset = max(reader.position, frameEnd ?? 0) + baseOffset
                return result
            }
            do {
                try step(code)
            } catch {
                // An opcode that fails after reading past its FRAME: CPython's buffered reader may have read
                // something else there, so the frame trick is reported before the failure.
                if lenient, let end = frameEnd, reader.position > end {
                    events.append(
                        PickleEvent(
                            offset: frameStart + baseOffset, opcode: .frame, global: nil, anomaly: .frameBoundary))
                }
                throw error
            }
            try checkFrame()
        }
    }

    /// An opcode that started inside a frame must end inside it.
    mutating func checkFrame() throws(ModelFormatsError) {
        if let end = frameEnd, reader.position > end {
            try frameViolation("opcode runs past the end of its frame (frame ends at \(end + baseOffset))")
        }
    }

    /// Strict: fails. Lenient: reports the frame once and stops checking it, as CPython never does.
    mutating func frameViolation(_ reason: String) throws(ModelFormatsError) {
        guard lenient else { throw fail(reason) }
        events.append(
            PickleEvent(offset: frameStart + baseOffset, opcode: .frame, global: nil, anomaly: .frameBoundary))
        frameEnd = nil
    }
}
