/// The suspect's evidence on one segment, as bit vectors (bit `i % 64` of word `i / 64` is element `first + i`):
/// the sign of the residual after alignment, which residuals count, and which are the largest of their block.
struct ResidualBits: Sendable {
    /// 1 where the residual is positive (agrees with a +1 pattern bit).
    var positive: [UInt64]
    /// 1 where the element is scored: the suspect is finite and non-zero (zeros are pruned), the residual non-zero.
    var valid: [UInt64]
    /// 1 for the `tailPerBlock` largest |residuals| among the valid ones of each aligned block of `blockElements`.
    var tail: [UInt64]
    var validCount: Int
    var tailCount: Int

    static let blockElements = 128
    static let tailPerBlock = 8

    /// Aligns suspect `x` to original `o` row by row (least-squares scale over the suspect's non-zero
    /// elements) and packs the residual `x − c·o` of `segment`.
    static func make(original o: [Float], suspect x: [Float], columns: Int, segment: TraceSegment) -> ResidualBits {
        let words = (segment.count + 63) / 64
        var bits = ResidualBits(
            positive: [UInt64](repeating: 0, count: words), valid: [UInt64](repeating: 0, count: words),
            tail: [UInt64](repeating: 0, count: words), validCount: 0, tailCount: 0)
        let firstRow = segment.first / columns
        let lastRow = (segment.first + segment.count - 1) / columns
        let scales = (firstRow...lastRow).map { rowScale(o, x, from: $0 * columns, count: columns) }
        var residuals = [Float](repeating: 0, count: segment.count)
        var isValid = [Bool](repeating: false, count: segment.count)
        for offset in 0..<segment.count {
            let index = segment.first + offset
            let value = x[index]
            guard let scale = scales[index / columns - firstRow], value != 0, value.isFinite, o[index].isFinite else {
                continue
            }
            let residual = value - scale * o[index]
            guard residual != 0, residual.isFinite else { continue }
            residuals[offset] = residual
            isValid[offset] = true
            bits.valid[offset >> 6] |= 1 << UInt64(offset & 63)
            if residual > 0 { bits.positive[offset >> 6] |= 1 << UInt64(offset & 63) }
            bits.validCount += 1
        }
        bits.markTail(residuals, isValid)
        return bits
    }

    /// `Σ x·o / Σ o·o` over the row's finite elements where `x ≠ 0`; `nil` when the row gives no scale.
    static func rowScale(_ o: [Float], _ x: [Float], from start: Int, count: Int) -> Float? {
        var xo = 0.0
        var oo = 0.0
        for index in start..<min(start + count, o.count) {
            let a = Double(o[index])
            let b = Double(x[index])
            guard b != 0, a.isFinite, b.isFinite else { continue }
            xo += a * b
            oo += a * a
        }
        guard oo > 0 else { return nil }
        let scale = Float(xo / oo)
        return scale.isFinite ? scale : nil
    }

    /// Sets the tail bits: in each block, the largest |residuals| among the valid ones.
    mutating func markTail(_ residuals: [Float], _ isValid: [Bool]) {
        var block = 0
        while block < residuals.count {
            let end = min(residuals.count, block + ResidualBits.blockElements)
            var members = (block..<end).filter { isValid[$0] }
            members.sort { abs(residuals[$0]) > abs(residuals[$1]) }
            for offset in members.prefix(ResidualBits.tailPerBlock) {
                tail[offset >> 6] |= 1 << UInt64(offset & 63)
                tailCount += 1
            }
            block = end
        }
    }
}
