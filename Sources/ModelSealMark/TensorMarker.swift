import ModelSealCore

/// What marking one tensor did, measured on the rounded values actually delivered.
public struct TensorMarkStats: Sendable, Equatable {
    public var name: String
    public var dtype: MarkDType
    public var shape: [Int]
    /// ‖ΔW‖/‖W‖ over the whole tensor, after rounding to the delivery dtype.
    public var relativeChange: Double
    /// Largest change of one element of a 16-bit tensor, in units in the last place (0 for fp32 tensors).
    public var maxUlps: Int
    /// Elements whose delivered value differs from the original.
    public var changedElements: Int
    /// Rows left unmarked because their RMS is zero or not finite.
    public var skippedRows: Int
}

/// Applies the Tier B pattern to one tensor's bytes in place (spec/MARK.md §3).
enum TensorMarker {
    /// Elements per work item: a multiple of 512 (one ChaCha20 block of pattern bits).
    static let chunkElements = 1 << 20

    /// Marks the row-major tensor in `bytes` (shape `[rows, ...]`) with `key`'s pattern.
    static func mark(
        _ bytes: UnsafeMutableRawBufferPointer, name: String, dtype: MarkDType, shape: [Int], key: MarkKey,
        alpha: Double, workers: Int = Parallel.workerCount
    ) throws(MarkError) -> TensorMarkStats {
        let count = bytes.count / dtype.elementSize
        guard let rows = shape.first, rows > 0, count % rows == 0, let base = bytes.baseAddress else {
            throw .unsupported("tensor \(name) has no rows to mark")
        }
        let columns = count / rows
        let (amplitudes, squares) = rowAmplitudes(
            UnsafeRawPointer(base), dtype: dtype, rows: rows, columns: columns, alpha: alpha, workers: workers)
        let nonce = MarkKey.nonce(tensor: name)
        let chunks = (count + chunkElements - 1) / chunkElements
        let partials = try Parallel.map(chunks, workers: workers) { (chunk: Int) throws(MarkError) -> ChunkStats in
            let first = chunk * chunkElements
            let end = min(count, first + chunkElements)
            let pattern = try key.patternBytes(nonce: nonce, firstElement: first, count: end - first)
            return applyPattern(
                pattern, to: base, dtype: dtype, range: first..<end, columns: columns, amplitudes: amplitudes)
        }
        var total = ChunkStats()
        for partial in partials { total.add(partial) }
        return TensorMarkStats(
            name: name, dtype: dtype, shape: shape,
            relativeChange: squares > 0 ? (total.changeSquares / squares).squareRoot() : 0,
            maxUlps: Int(total.maxUlps), changedElements: total.changed,
            skippedRows: amplitudes.lazy.filter { $0 == 0 }.count)
    }

    /// `Float(α · sqrt(Σ w² / columns))` per row, the sum in binary64 in index order; 0 where not finite.
    /// Also ‖W‖² (the rows' sums added), for the relative change.
    static func rowAmplitudes(
        _ base: UnsafeRawPointer, dtype: MarkDType, rows: Int, columns: Int, alpha: Double, workers: Int
    ) -> (amplitudes: [Float], squares: Double) {
        let rowsPerTask = max(1, chunkElements / max(1, columns))
        let tasks = (rows + rowsPerTask - 1) / rowsPerTask
        let parts = Parallel.map(tasks, workers: workers) { (task: Int) -> [(Float, Double)] in
            let range = (task * rowsPerTask)..<min(rows, (task + 1) * rowsPerTask)
            return range.map { row in
                var sum = 0.0
                let start = row * columns
                if dtype == .float32 {
                    for index in start..<(start + columns) {
                        let bits = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
                        let value = Double(Float(bitPattern: bits))
                        sum += value * value
                    }
                } else {
                    for index in start..<(start + columns) {
                        let value = Double(dtype.load(base, index))
                        sum += value * value
                    }
                }
                let amplitude = Float(alpha * (sum / Double(columns)).squareRoot())
                return (amplitude.isFinite ? amplitude : 0, sum)
            }
        }
        let all = parts.flatMap { $0 }
        return (all.map(\.0), all.reduce(0) { $0 + $1.1 })
    }

    /// Partial sums of one work item.
    struct ChunkStats {
        var changeSquares = 0.0
        var maxUlps: Int64 = 0
        var changed = 0

        mutating func add(_ other: ChunkStats) {
            changeSquares += other.changeSquares
            maxUlps = max(maxUlps, other.maxUlps)
            changed += other.changed
        }
    }

    /// Moves each element of `range` by ± its row's amplitude, rounds it to `dtype`, and measures the change.
    static func applyPattern(
        _ pattern: [UInt8], to base: UnsafeMutableRawPointer, dtype: MarkDType, range: Range<Int>, columns: Int,
        amplitudes: [Float]
    ) -> ChunkStats {
        if dtype == .float32 {
            return applyPattern32(pattern, to: base, range: range, columns: columns, amplitudes: amplitudes)
        }
        var stats = ChunkStats()
        var row = range.lowerBound / columns
        var rowEnd = (row + 1) * columns
        pattern.withUnsafeBufferPointer { bits in
            for index in range {
                if index == rowEnd {
                    row += 1
                    rowEnd += columns
                }
                let original = dtype.load(base, index)
                let offset = index - range.lowerBound
                let up = bits[offset >> 3] & (1 << UInt8(offset & 7)) != 0
                let amplitude = amplitudes[row]
                guard amplitude != 0, original.isFinite else { continue }
                let before = dtype.bits(base, index)
                dtype.store(original + (up ? amplitude : -amplitude), base, index)
                // 16-bit: at most one step to the adjacent value (spec/MARK.md §3), never to a non-finite one.
                let after = dtype.bits(base, index)
                if dtype.ulpDistance(before, after) > 1 || !dtype.load(base, index).isFinite {
                    dtype.storeBits(dtype.adjacent(before, up: up), base, index)
                    if !dtype.load(base, index).isFinite { dtype.storeBits(before, base, index) }
                }
                stats.maxUlps = max(stats.maxUlps, dtype.ulpDistance(before, dtype.bits(base, index)))
                let change = Double(dtype.load(base, index)) - Double(original)
                stats.changeSquares += change * change
                if change != 0 { stats.changed += 1 }
            }
        }
        return stats
    }

    /// The float32 case of `applyPattern`, without the per-element type dispatch, a row stretch at a time.
    static func applyPattern32(
        _ pattern: [UInt8], to base: UnsafeMutableRawPointer, range: Range<Int>, columns: Int, amplitudes: [Float]
    ) -> ChunkStats {
        var stats = ChunkStats()
        pattern.withUnsafeBufferPointer { bits in
            var start = range.lowerBound
            while start < range.upperBound {
                let row = start / columns
                let end = min(range.upperBound, (row + 1) * columns)
                let amplitude = amplitudes[row]
                if amplitude != 0 {
                    let (squares, changed) = markStretch32(
                        base, bits: bits, from: start, to: end, patternStart: range.lowerBound, amplitude: amplitude)
                    stats.changeSquares += squares
                    stats.changed += changed
                }
                start = end
            }
        }
        return stats
    }

    /// Marks elements `from..<to` of one row; returns Σ change² and the count of changed elements. A row with a
    /// non-finite element has amplitude 0 and never gets here. Eight elements (one pattern byte) at a time.
    @inline(__always)
    static func markStretch32(
        _ base: UnsafeMutableRawPointer, bits: UnsafeBufferPointer<UInt8>, from: Int, to: Int, patternStart: Int,
        amplitude: Float
    ) -> (Double, Int) {
        var squares = 0.0
        var changed = 0
        var index = from
        func one(_ index: Int) {
            let original = Float(
                bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self)))
            let offset = index - patternStart
            let up = bits[offset >> 3] & (1 << UInt8(offset & 7)) != 0
            let marked = original + (up ? amplitude : -amplitude)
            base.storeBytes(of: marked.bitPattern.littleEndian, toByteOffset: index &* 4, as: UInt32.self)
            let change = marked - original
            squares += Double(change * change)
            changed &+= change != 0 ? 1 : 0
        }
        while index < to && (index - patternStart) & 7 != 0 {
            one(index)
            index += 1
        }
        let lanes = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        let signBit = SIMD8<UInt32>(repeating: 1 << 31)
        let magnitude = SIMD8<UInt32>(repeating: amplitude.bitPattern)
        var blockSquares = SIMD8<Float>(repeating: 0)
        var blockChanged = SIMD8<Int32>(repeating: 0)
        var blocks = 0
        while index + 8 <= to {
            let byte = SIMD8<UInt32>(repeating: UInt32(bits[(index - patternStart) >> 3]))
            // Bit 1: +amplitude; bit 0: −amplitude (the sign bit set).
            let down = ((byte &>> lanes) & 1) ^ 1
            let step = unsafeBitCast(magnitude | (down &* signBit), to: SIMD8<Float>.self)
            let original = base.loadUnaligned(fromByteOffset: index &* 4, as: SIMD8<Float>.self)
            let marked = original + step
            base.storeBytes(of: marked, toByteOffset: index &* 4, as: SIMD8<Float>.self)
            let change = marked - original
            blockSquares += change * change
            blockChanged &+= SIMD8<Int32>(repeating: 0).replacing(with: 1, where: change .!= 0)
            blocks += 1
            if blocks == 64 {
                squares += Double(blockSquares.sum())
                changed &+= Int(blockChanged.wrappedSum())
                blockSquares = .zero
                blockChanged = .zero
                blocks = 0
            }
            index += 8
        }
        squares += Double(blockSquares.sum())
        changed &+= Int(blockChanged.wrappedSum())
        while index < to {
            one(index)
            index += 1
        }
        return (squares, changed)
    }
}
