/// The Tier B parameters: which tensors carry the mark and how strongly (spec/MARK.md §3).
public struct MarkParameters: Sendable, Equatable {
    /// Default amplitude: each element moves by α × the RMS of its row.
    public static let defaultAlpha = 6e-4
    /// Largest amplitude accepted; also the per-tensor bound on ‖ΔW‖/‖W‖ for 32-bit tensors.
    public static let maxRelativeChange = 1e-3
    /// Tensors with fewer elements are left alone (biases, norms).
    public static let defaultMinElements = 4096

    /// Amplitude α relative to the row RMS.
    public var alpha: Double
    /// Smallest marked tensor, in elements; only tensors of rank ≥ 2 are marked.
    public var minElements: Int

    public init(alpha: Double = MarkParameters.defaultAlpha, minElements: Int = MarkParameters.defaultMinElements) {
        self.alpha = alpha
        self.minElements = minElements
    }

    /// Refuses amplitudes outside (0, 1e-3] and thresholds below 512 elements.
    public func validate() throws(MarkError) {
        guard alpha > 0, alpha <= MarkParameters.maxRelativeChange else {
            throw .invalidRequest(
                "amplitude \(alpha) is outside (0, \(MarkParameters.maxRelativeChange)]: use the default \(MarkParameters.defaultAlpha)"
            )
        }
        guard minElements >= 512 else {
            throw .invalidRequest("--min-elements \(minElements) is below 512: use at least 512")
        }
    }

    /// True when a tensor of this dtype and shape carries the mark.
    public func marks(dtype: MarkDType?, shape: [Int]) -> Bool {
        guard dtype != nil, shape.count >= 2, let first = shape.first, first > 0 else { return false }
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { return false }
            count = product
        }
        return count >= minElements
    }
}
