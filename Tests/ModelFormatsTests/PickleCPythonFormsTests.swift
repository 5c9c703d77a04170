import ModelFormats
import Testing

/// Text forms and container operations CPython's `_pickle.c` accepts (issue 14, class 2). The same bytes
/// are loaded by CPython itself in python/tests/test_scan_oracle.py, which checks the values used here.
@Suite("Pickle machine: what CPython accepts")
struct PickleCPythonFormsTests {
    static let lenient = PickleMachine(leniency: .likeCPython)

    static func root(_ body: [UInt8]) throws -> PickleValue {
        try lenient.run(body + [0x2E]).root
    }

    @Test(
        "INT reads like strtol(s, &end, 0), then int(s, 0)",
        arguments: [
            ("I017\n", PickleValue.int(15)), ("I0x10\n", .int(16)), ("I  42\n", .int(42)), ("I1_000\n", .int(1000)),
            ("I00\n", .bool(false)), ("I01\n", .bool(true)), ("I 1\n", .bool(true)), ("I-0\n", .bool(false)),
            ("I-12\n", .int(-12)), ("I0b11\n", .int(3)),
            ("I99999999999999999999\n", .bigInt([0xFF, 0xFF, 0x0F, 0x63, 0x2D, 0x5E, 0xC7, 0x6B, 0x05])),
        ])
    func intForms(_ text: String, _ expected: PickleValue) throws {
        #expect(try Self.root(Array(text.utf8)) == expected)
    }

    @Test("INT forms CPython refuses", arguments: ["I\n", "I0x\n", "I08\n", "I1__0\n", "I_1\n", "Iabc\n"])
    func intRefused(_ text: String) {
        #expect(Self.lenient.trace(Array(text.utf8) + [0x2E]).result == nil)
    }

    @Test(
        "LONG reads like int(s, 0) after dropping one L",
        arguments: [("L0x_ff\n", 255), ("L 12L\n", 12), ("L1_0\n", 10)])
    func longForms(_ text: String, _ expected: Int64) throws {
        #expect(try Self.root(Array(text.utf8)) == .int(expected))
    }

    @Test(
        "FLOAT reads like PyOS_string_to_double: the longest prefix, then end of line or a NUL",
        arguments: [
            ("F3.5\u{0}junk\n", 3.5), ("F.5\n", 0.5), ("F5.\n", 5.0), ("F+1e5\n", 100_000.0),
            ("F-Infinity\n", -Double.infinity), ("Finfinity\u{0}x\n", Double.infinity),
        ])
    func floatForms(_ text: String, _ expected: Double) throws {
        #expect(try Self.root(Array(text.utf8)) == .float(expected))
    }

    @Test(
        "FLOAT forms CPython refuses",
        arguments: ["F 3.5\n", "F3.5 \n", "F1_0\n", "F0x10\n", "F1e\n", "F3.5abc\n", "F1e999\n", "F\t1\n", "F1.5\r\n"])
    func floatRefused(_ text: String) {
        #expect(Self.lenient.trace(Array(text.utf8) + [0x2E]).result == nil)
    }

    @Test(
        "calls and keys CPython refuses stop the machine: OBJ of a tuple, NEWOBJ_EX of a str, an unhashable key",
        arguments: [
            [0x28, 0x29, 0x6F],  // MARK EMPTY_TUPLE OBJ: ().__call__
            [0x58, 1, 0, 0, 0, 0x61, 0x29, 0x7D, 0x92],  // 'a' () {} NEWOBJ_EX
            [0x7D, 0x5D, 0x4B, 1, 0x73],  // EMPTY_DICT [] 1 SETITEM: a list as a key
            [0x28, 0x5D, 0x4B, 1, 0x64],  // MARK [] 1 DICT
            [0x8F, 0x28, 0x5D, 0x85, 0x90],  // EMPTY_SET MARK ([],) ADDITEMS: a tuple holding a list
            [0x28, 0x7D, 0x91],  // MARK {} FROZENSET
        ])
    func refusedCalls(_ body: [UInt8]) {
        #expect(Self.lenient.trace(body + [0x2E]).result == nil)
    }

    @Test("APPENDS, ADDITEMS and SETITEMS with nothing after MARK do nothing, even on a global")
    func emptyFills() throws {
        for code: UInt8 in [0x65, 0x90, 0x75] {
            #expect(Self.lenient.trace(Array("cos\nsystem\n(".utf8) + [code, 0x2E]).result != nil)
        }
        #expect(Self.lenient.trace([0x28, 0x65, 0x2E]).result == nil)  // MARK APPENDS: nothing below the mark
    }

    @Test("INST decodes its names as ASCII, GLOBAL as UTF-8")
    func instNames() {
        #expect(Self.lenient.trace(Array("(ios\u{FF}\nsystem\n.".utf8)).result == nil)
        #expect(Self.lenient.trace(Array("cos\u{FF}\nsystem\n.".utf8)).result != nil)
    }

    @Test("memo keys are base-10 ints with blanks, signs, underscores and leading zeros")
    func memoKeys() throws {
        // EMPTY_LIST, PUT ' 0', POP, GET '00'
        let value = try Self.root(Array("]p 0\n0g00\n".utf8))
        guard case .object = value else { Issue.record("expected the list back, got \(value)"); return }
    }

    @Test("BUILD with a None state, SETITEM on a list, APPEND on a bytearray, lone surrogates")
    func containerForms() throws {
        _ = try Self.root([0x5D, 0x4E, 0x62])  // EMPTY_LIST NONE BUILD
        _ = try Self.root([0x5D, 0x4B, 5, 0x61, 0x4B, 0, 0x4B, 7, 0x73])  // list[0] = 7
        _ = try Self.root([0x96, 1, 0, 0, 0, 0, 0, 0, 0, 0x61, 0x4B, 0x41, 0x61])  // bytearray(b"a").append(65)
        #expect(try Self.root([0x58, 3, 0, 0, 0, 0xED, 0xA0, 0x80]) == .string("\u{FFFD}"))
        #expect(try Self.root(Array("V\\ud800\n".utf8)) == .string("\u{FFFD}"))
        #expect(Self.lenient.trace([0x5D, 0x4B, 1, 0x4B, 7, 0x73, 0x2E]).result == nil)  // index out of range
    }

    @Test("a module that is not a dotted identifier cannot be imported: the load stops there, unrecorded")
    func moduleNames() {
        let trace = Self.lenient.trace(Array("cos \nsystem\n.".utf8))
        #expect(trace.result == nil && trace.events.isEmpty)
        #expect(Self.lenient.trace(Array("cos.path\njoin\n.".utf8)).result != nil)
    }

    @Test("protocol < 3 applies _compat_pickle (commands → subprocess); protocol 3+ does not")
    func compatMapping() throws {
        let old = try Self.lenient.run([0x80, 2] + Array("ccommands\ngetoutput\n.".utf8))
        #expect(old.globals.first?.fullName == "subprocess.getoutput")
        let new = try Self.lenient.run([0x80, 3] + Array("ccommands\ngetoutput\n.".utf8))
        #expect(new.globals.first?.fullName == "commands.getoutput")
    }

    @Test("a set built with ADDITEMS costs linear time: 200,000 ints take about 4× the time of 50,000")
    func largeSet() throws {
        func pickle(_ count: Int) -> [UInt8] {
            var bytes: [UInt8] = [0x80, 4, 0x8F]
            for start in stride(from: 0, to: count, by: 1000) {
                bytes.append(0x28)
                for value in start..<(start + 1000) {
                    bytes.append(0x4A)
                    withUnsafeBytes(of: Int32(value).littleEndian) { bytes += $0 }
                }
                bytes.append(0x90)
            }
            return bytes + [0x2E]
        }
        let clock = ContinuousClock()
        let small = pickle(50_000)
        let large = pickle(200_000)
        // The fastest of three runs each, so a busy machine (tests run in parallel) does not decide.
        func fastest(_ bytes: [UInt8]) throws -> Duration {
            var best = Duration.seconds(3600)
            for _ in 0..<3 { best = min(best, try clock.measure { _ = try Self.lenient.run(bytes) }) }
            return best
        }
        let smallTime = try fastest(small)
        let largeTime = try fastest(large)
        // Quadratic membership (the old array) makes this 16× and more; hashing keeps it near 4×.
        #expect(largeTime < smallTime * 12, "50k: \(smallTime), 200k: \(largeTime)")
    }
}
