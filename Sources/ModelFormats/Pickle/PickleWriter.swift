import ModelSealCore

/// Emits protocol-2 pickle opcodes, memoizing globals the way CPython's pickler does.
///
/// Only what our writers need (dicts, tuples, ints, strings, globals, persistent ids, REDUCE):
/// the output is plain data that `torch.load(weights_only=True)` accepts.
struct PickleWriter {
    var output = ByteWriter()
    private var memo: [String: UInt32] = [:]
    private var nextMemo: UInt32 = 0

    init() {
        op(.proto)
        output.writeUInt8(2)
    }

    mutating func op(_ code: PickleOpcode) { output.writeUInt8(code.rawValue) }

    mutating func put() {
        if nextMemo < 256 {
            op(.binPut)
            output.writeUInt8(UInt8(nextMemo))
        } else {
            op(.longBinPut)
            output.writeLittleEndian(nextMemo)
        }
        nextMemo += 1
    }

    mutating func get(_ index: UInt32) {
        if index < 256 {
            op(.binGet)
            output.writeUInt8(UInt8(index))
        } else {
            op(.longBinGet)
            output.writeLittleEndian(index)
        }
    }

    /// GLOBAL `module name`, emitted once and fetched from the memo afterwards.
    mutating func global(_ module: String, _ name: String) {
        let key = module + "\n" + name
        if let index = memo[key] { return get(index) }
        op(.global)
        output.writeBytes(Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A])
        memo[key] = nextMemo
        put()
    }

    mutating func string(_ text: String) {
        let bytes = Array(text.utf8)
        op(.binUnicode)
        output.writeLittleEndian(UInt32(bytes.count))
        output.writeBytes(bytes)
    }

    mutating func int(_ value: Int) {
        if value >= 0 && value < 256 {
            op(.binInt1)
            output.writeUInt8(UInt8(value))
        } else if value >= 0 && value < 65536 {
            op(.binInt2)
            output.writeLittleEndian(UInt16(value))
        } else if value >= Int(Int32.min) && value <= Int(Int32.max) {
            op(.binInt)
            output.writeLittleEndian(UInt32(bitPattern: Int32(value)))
        } else {
            op(.long1)
            output.writeUInt8(8)
            output.writeLittleEndian(UInt64(bitPattern: Int64(value)))
        }
    }

    mutating func bool(_ value: Bool) { op(value ? .newTrue : .newFalse) }

    /// A tuple of ints (sizes and strides).
    mutating func intTuple(_ values: [Int]) {
        switch values.count {
        case 0: op(.emptyTuple)
        case 1...3:
            for value in values { int(value) }
            op(values.count == 1 ? .tuple1 : values.count == 2 ? .tuple2 : .tuple3)
        default:
            op(.mark)
            for value in values { int(value) }
            op(.tuple)
        }
    }

    /// `collections.OrderedDict()`.
    mutating func emptyOrderedDict() {
        global("collections", "OrderedDict")
        op(.emptyTuple)
        op(.reduce)
    }

    mutating func stop() { op(.stop) }
}
