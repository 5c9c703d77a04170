import Testing

@testable import ModelFormats

@Suite("Pickle machine")
struct PickleMachineTests {
    let machine = PickleMachine()

    func run(_ bytes: [UInt8]) throws -> PickleResult { try machine.run(bytes) }

    /// A small structural rendering to compare results across protocols.
    func render(_ value: PickleValue, _ heap: PickleHeap, depth: Int = 0) -> String {
        guard depth < 20 else { return "…" }
        switch value {
        case .none: return "None"
        case let .bool(flag): return flag ? "True" : "False"
        case let .int(number): return String(number)
        case let .bigInt(bytes): return "big" + Vectors.hex(bytes)
        case let .float(number): return String(number)
        case let .string(text): return "'\(text)'"
        case let .bytes(bytes): return "b" + Vectors.hex(bytes)
        case .object:
            switch heap.object(value) {
            case let .list(items)?:
                return "[" + items.map { render($0, heap, depth: depth + 1) }.joined(separator: ",") + "]"
            case let .tuple(items)?:
                return "(" + items.map { render($0, heap, depth: depth + 1) }.joined(separator: ",") + ")"
            case let .set(items)?:
                return "{" + items.map { render($0, heap, depth: depth + 1) }.sorted().joined(separator: ",") + "}"
            case let .dict(dict)?:
                return "{"
                    + dict.entries.map {
                        render($0.key, heap, depth: depth + 1) + ":" + render($0.value, heap, depth: depth + 1)
                    }.joined(separator: ",") + "}"
            case let .instance(instance)?:
                return "call(" + (heap.global(instance.callee)?.fullName ?? "?") + ";"
                    + render(instance.args, heap, depth: depth + 1) + ";"
                    + instance.items.map { render($0, heap, depth: depth + 1) }.joined(separator: ",") + ")"
            case let .global(reference)?: return reference.fullName
            default: return "?"
            }
        }
    }

    @Test("Python's pickles of one object agree in every protocol", arguments: 0...5)
    func everyProtocol(protocolVersion: Int) throws {
        let result = try run(try Vectors.bytes("pickle/plain_p\(protocolVersion).pkl"))
        let text = render(result.root, result.heap)
        // Protocols 0-1 spell sets as builtins.set([...]) and bytes through _codecs.encode; 2+ natively.
        #expect(text.hasPrefix("{'a':[1,-2,3.5,None,True],'b':('x',"))
        #expect(text.contains("big" + "000000000000000040"))  // 2**70 little-endian
        #expect(text.contains(String(Int64.min)))
        if protocolVersion >= 4 { #expect(text.hasSuffix("'c':{'nested':{1,2}}}")) }
        #expect(result.globals.allSatisfy { $0.status != .blocked })
    }

    @Test("protocol 0 text opcodes decode like CPython")
    func textOpcodes() throws {
        let result = try run(try Vectors.bytes("pickle/text_protocol0.pkl"))
        #expect(render(result.root, result.heap) == "[42,1.5,'a'b','€',bigd20a3f4eeee073c3f60fe98e01,(True,False)]")
    }

    @Test("STACK_GLOBAL operands from the memo are resolved and reported, nothing runs")
    func stackGlobalThroughMemo() throws {
        let result = try run(try Vectors.bytes("pickle/stack_global_memo.pkl"))
        let stackGlobal = try #require(result.events.first { $0.opcode == .stackGlobal })
        #expect(stackGlobal.global?.fullName == "posix.system")
        #expect(stackGlobal.global?.status == .blocked)
        let reduce = try #require(result.events.first { $0.opcode == .reduce })
        #expect(reduce.global?.fullName == "posix.system")
        #expect(reduce.offset > stackGlobal.offset)
    }

    @Test("INST and OBJ are reported with their globals")
    func instAndObj() throws {
        let result = try run(try Vectors.bytes("pickle/inst_obj.pkl"))
        let kinds = result.events.map {
            "\($0.opcode.name) \($0.global?.fullName ?? "-") \($0.global?.status.rawValue ?? "-")"
        }
        #expect(kinds == ["INST os.system blocked", "GLOBAL builtins.exec unknown", "OBJ builtins.exec unknown"])
        #expect(result.events.map(\.offset) == [7, 19, 39])
    }

    @Test("a list that contains itself is modelled, not followed forever")
    func cyclicMemo() throws {
        let result = try run(try Vectors.bytes("pickle/cyclic_memo.pkl"))
        guard case let .object(id) = result.root, case let .list(items) = result.heap[id] else {
            Issue.record("root is not a list")
            return
        }
        #expect(items == [result.root])
    }

    @Test(
        "hostile pickles fail with a clear error",
        arguments: [
            ("frame_overrun.pkl", "past the end of its frame"), ("no_stop.pkl", "no STOP"),
            ("stop_inside_frame.pkl", "STOP before the end of its frame"),
            ("reduce_on_tuple.pkl", "not callable"),
            ("huge_binunicode.pkl", "truncated"), ("huge_binbytes8.pkl", "truncated"), ("deep_marks.pkl", "MARK depth"),
            ("memo_missing.pkl", "never stored"), ("underflow.pkl", "underflow"),
            ("unknown_opcode.pkl", "unknown opcode"),
        ])
    func hostile(name: String, message: String) throws {
        let bytes = try Vectors.bytes("pickle/" + name)
        let error = #expect(throws: ModelFormatsError.self) { try self.run(bytes) }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }

    @Test("lenient machine reads past a lying FRAME like CPython and reports it once")
    func lenientFrame() throws {
        let bytes = try Vectors.bytes("pickle/frame_overrun.pkl")
        let lenient = PickleMachine(leniency: .likeCPython)
        let result = try lenient.run(bytes)
        #expect(result.root == .string("hello"))
        let anomalies = result.events.filter { $0.anomaly == .frameBoundary }
        #expect(anomalies.count == 1)
        #expect(anomalies.first?.offset == 2)  // the FRAME opcode
        // STOP inside its frame: the strict machine refuses, the lenient one reports the frame (found by FuzzPickle).
        let early = try lenient.run(try Vectors.bytes("pickle/stop_inside_frame.pkl"))
        #expect(early.root == .bool(false))
        #expect(early.events.filter { $0.anomaly == .frameBoundary }.count == 1)
        // A frame whose bytes are not there fails in both modes, as in CPython.
        #expect(throws: ModelFormatsError.self) { try lenient.run([0x80, 4, 0x95, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0x2E]) }
    }

    @Test("lenient machine goes on past STACK_GLOBAL operands built by a call")
    func computedGlobal() throws {
        // PROTO 4; GLOBAL operator add; MARK "o" "s" TUPLE REDUCE; "system" STACK_GLOBAL; "x" TUPLE1 REDUCE STOP
        let call: [UInt8] = Array("coperator\nadd\n(X\u{1}\0\0\0oX\u{1}\0\0\0stR".utf8)
        let bytes: [UInt8] =
            [0x80, 4] + call + [0x8C, 6] + Array("system".utf8) + [0x93, 0x8C, 1, 0x78, 0x85, 0x52, 0x2E]
        #expect(throws: ModelFormatsError.self) { try self.run(bytes) }
        let result = try PickleMachine(leniency: .likeCPython).run(bytes)
        let computed = try #require(result.events.first { $0.anomaly == .computedGlobal })
        #expect(computed.global?.fullName == "<computed>.system")
        #expect(computed.global?.status == .unknown)
        #expect(result.events.last?.opcode == .reduce)  // the call after it is still seen
    }

    @Test("memo: dense and sparse keys behave as one dictionary")
    func memo() {
        var memo = PickleMemo()
        memo.set(0, .int(0))
        memo.set(1, .int(1))
        memo.set(1_000_000, .int(2))
        memo.set(2, .int(3))
        memo.set(1, .int(4))  // overwrite: count unchanged
        #expect(memo.count == 4)
        #expect(memo[0] == .int(0) && memo[1] == .int(4) && memo[2] == .int(3) && memo[1_000_000] == .int(2))
        #expect(memo[3] == nil && memo[999_999] == nil)
        var sparseFirst = PickleMemo()
        sparseFirst.set(1, .int(1))  // not next in order: sparse
        sparseFirst.set(0, .int(0))  // dense
        sparseFirst.set(1, .int(5))  // still found where it was stored
        #expect(sparseFirst.count == 2 && sparseFirst[1] == .int(5) && sparseFirst[0] == .int(0))
    }

    @Test("every truncation of a real pickle errors cleanly")
    func truncations() throws {
        let bytes = try Vectors.bytes("pickle/plain_p4.pkl")
        for length in 0..<bytes.count {
            #expect(throws: ModelFormatsError.self) { try self.run(Array(bytes[0..<length])) }
        }
    }

    @Test("caps stop memory growth")
    func caps() throws {
        var limits = PickleLimits.default
        limits.maxContainerElements = 10
        let small = PickleMachine(limits: limits)
        // EMPTY_LIST MARK 11×(BININT1 1) APPENDS STOP
        let bytes: [UInt8] =
            [0x80, 2, 0x5D, 0x28] + Array(repeating: [0x4B, 1], count: 11).flatMap { $0 } + [0x65, 0x2E]
        #expect(throws: ModelFormatsError.self) { try small.run(bytes) }
        limits = .default
        limits.maxAllocationBytes = 1000
        let tight = PickleMachine(limits: limits)
        let big: [UInt8] = [0x80, 3, 0x42] + [0, 8, 0, 0] + Array(repeating: 0, count: 2048) + [0x2E]
        #expect(throws: ModelFormatsError.self) { try tight.run(big) }
    }

    @Test("user-extended allowlist; blocked modules stay blocked")
    func allowlist() {
        let list = PickleAllowlist.torchWeightsOnly.adding(["my.Model", "os.system"])
        #expect(list.status(module: "my", name: "Model") == .userAllowed)
        #expect(list.status(module: "os", name: "system") == .blocked)
        #expect(list.status(module: "torch._utils", name: "_rebuild_tensor_v2") == .allowed)
        #expect(list.status(module: "builtins", name: "eval") == .unknown)
        #expect(PickleAllowlist.mapLegacyName(module: "__builtin__", name: "set") == ("builtins", "set"))
    }

    @Test("POP with an empty frame pops the MARK, as pickle.py does")
    func popMark() throws {
        let result = try run([0x80, 2, 0x4B, 7, 0x28, 0x30, 0x2E])
        #expect(result.root == .int(7))
    }

    @Test("trace keeps the events of a pickle that breaks part-way")
    func traceOfBrokenPickle() {
        // GLOBAL os system, BINUNICODE 'id', TUPLE1, REDUCE, then a memo miss.
        var pickle: [UInt8] = [0x80, 0x02, 0x63] + Array("os\nsystem\n".utf8) + [0x58, 2, 0, 0, 0] + Array("id".utf8)
        pickle += [0x85, 0x52, 0x68, 0x09, 0x2E]
        let trace = PickleMachine().trace(pickle)
        #expect(trace.result == nil)
        #expect(trace.error != nil)
        #expect(trace.events.map(\.opcode) == [.global, .reduce])
        #expect(trace.globals.first?.status == .blocked)
    }

    @Test("BUILD on a class is recorded, as Python would set its attributes")
    func buildOnGlobal() throws {
        let pickle: [UInt8] = [0x80, 0x02, 0x63] + Array("sys\nmodules\n".utf8) + [0x7D, 0x62, 0x2E]
        let result = try PickleMachine().run(pickle)
        #expect(result.events.map(\.opcode) == [.global, .build])
        #expect(result.events.last?.global?.fullName == "sys.modules")
    }
}
