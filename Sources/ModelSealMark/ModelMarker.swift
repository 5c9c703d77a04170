import ModelFormats
import ModelSealCore

/// Who a copy is marked for, under which secret, with which parameters.
public struct MarkRequest: Sendable {
    public var secret: [UInt8]
    public var modelID: String
    public var customer: String
    public var parameters: MarkParameters
    /// Also write Tier A (the permutation mark of a built-in template; spec/MARK.md §8).
    public var tierA: Bool

    public init(
        secret: [UInt8], modelID: String, customer: String, parameters: MarkParameters = MarkParameters(),
        tierA: Bool = false
    ) {
        self.secret = secret
        self.modelID = modelID
        self.customer = customer
        self.parameters = parameters
        self.tierA = tierA
    }
}

/// A tensor the mark left alone although its size qualified, and why.
public struct SkippedTensor: Sendable, Equatable {
    public var name: String
    public var reason: String
}

/// A marked copy, ready to be written or sealed: the input with the marked tensors' bytes patched.
public struct MarkedModel: Sendable {
    public var format: WeightFile.Format
    /// The delivered file, read on demand from the input plus the marked bytes.
    public var delivered: PatchedSource
    public var tensors: [TensorMarkStats]
    public var skipped: [SkippedTensor]
    /// What Tier A permuted, when asked for.
    public var tierA: TierAMarking? = nil

    public var markedElements: Int { tensors.reduce(0) { $0 + $1.shape.reduce(1, *) } }
    /// Largest per-tensor ‖ΔW‖/‖W‖.
    public var maxRelativeChange: Double { tensors.map(\.relativeChange).max() ?? 0 }
    /// Largest per-element change in ulps of the delivery dtype.
    public var maxUlps: Int { tensors.map(\.maxUlps).max() ?? 0 }
}

/// What Tier A did to a copy.
public struct TierAMarking: Sendable {
    public var template: String
    public var slots: Int
    public var chunks: Int
    public var codeLength: Int
    public var unitsMoved: Int
    /// The tensors permuted.
    public var tensors: Set<String>
}

/// Tier B marking of a whole file (spec/MARK.md §3), in memory: nothing is written here.
public enum ModelMarker {
    /// Marks every qualifying tensor of `file` for `request.customer`, or refuses when a bound breaks.
    public static func mark(_ file: WeightFile, _ request: MarkRequest) throws -> MarkedModel {
        try request.parameters.validate()
        let key = try MarkKey(secret: request.secret, modelID: request.modelID, customer: request.customer)
        var skipped: [SkippedTensor] = []
        var chosen: [WeightTensor] = []
        for tensor in file.tensors where request.parameters.marks(dtype: tensor.markDType, shape: tensor.shape) {
            if tensor.fileRange == nil {
                skipped.append(SkippedTensor(name: tensor.name, reason: "strided view, not contiguous in the file"))
            } else if tensor.sharesStorage {
                skipped.append(SkippedTensor(name: tensor.name, reason: "shares its storage with another tensor"))
            } else {
                chosen.append(tensor)
            }
        }
        guard !chosen.isEmpty else {
            throw MarkError.unsupported(
                "no fp32/fp16/bf16 tensor of rank ≥ 2 with at least \(request.parameters.minElements) elements: "
                    + "nothing to mark (lower --min-elements for a very small model)")
        }
        let marked = try markTensors(chosen, in: file, key: key, alpha: request.parameters.alpha)
        for (tensor, stats) in zip(chosen, marked.map(\.stats)) { try checkBound(stats, tensor: tensor) }
        var patches = marked.map(\.patch)
        var members = Set(chosen.compactMap(\.zipMember))
        var tierA: TierAMarking?
        if request.tierA {
            let permuted = try permute(file, request, patches: patches)
            patches = permuted.patches
            tierA = permuted.marking
            members.formUnion(
                file.tensors.filter { permuted.marking.tensors.contains($0.name) }.compactMap(\.zipMember))
        }
        if let archive = file.archive {
            let tensorsOnly = try PatchedSource(base: file.source, patches: patches)
            patches += try ZipChecksumPatches.make(archive: archive, members: members, patched: tensorsOnly)
        }
        return MarkedModel(
            format: file.format, delivered: try PatchedSource(base: file.source, patches: patches),
            tensors: marked.map(\.stats), skipped: skipped, tierA: tierA)
    }

    /// Tier A over the Tier B patches: the template's slots permuted for the customer's fingerprint.
    static func permute(_ file: WeightFile, _ request: MarkRequest, patches: [BytePatch]) throws -> (
        patches: [BytePatch], marking: TierAMarking
    ) {
        guard let (template, slots) = TierATemplates.slots(file.tensors) else {
            throw MarkError.unsupported(
                "--tier-a: no built-in template matches this state dict (torchvision ResNet blocks, GPT-2, BERT); "
                    + "mark it without --tier-a (Tier B only)")
        }
        let chunks = TierACode.chunkCount(slots)
        guard chunks >= TierACode.minimumChunks else {
            throw MarkError.unsupported(
                "--tier-a: the \(template) template finds \(chunks) chunk(s) of \(TierACode.chunkUnits) units, fewer "
                    + "than the \(TierACode.minimumChunks) the code needs: mark it without --tier-a")
        }
        let fingerprint = try TierACode.fingerprint(
            secret: request.secret, modelID: request.modelID, customer: request.customer)
        let permutations = TierACode.permutations(fingerprint: fingerprint, slots: slots)
        let permuted = try TierAPermuter.apply(
            slots: slots, permutations: permutations, file: file, patches: patches)
        let moved = permutations.reduce(0) { $0 + $1.enumerated().filter { $0.offset != $0.element }.count }
        return (
            permuted,
            TierAMarking(
                template: template, slots: slots.count, chunks: chunks,
                codeLength: TierACode.codeLength(chunks: chunks), unitsMoved: moved,
                tensors: Set(slots.flatMap { $0.edges.map(\.tensor) }))
        )
    }

    /// The 1e-3 bound on ‖ΔW‖/‖W‖ for 32-bit tensors, one ulp per element for 16-bit ones.
    static func checkBound(_ stats: TensorMarkStats, tensor: WeightTensor) throws(MarkError) {
        if stats.dtype == .float32 {
            guard stats.relativeChange <= MarkParameters.maxRelativeChange, stats.relativeChange.isFinite else {
                throw .fidelityBound(
                    "tensor \(tensor.name) would change by ‖ΔW‖/‖W‖ = \(stats.relativeChange), above "
                        + "\(MarkParameters.maxRelativeChange): lower --alpha or check the tensor for huge values")
            }
        } else {
            guard stats.maxUlps <= 1 else {
                throw .fidelityBound(
                    "tensor \(tensor.name) (\(stats.dtype.rawValue)) would move an element by \(stats.maxUlps) ulps, "
                        + "above 1: lower --alpha")
            }
        }
    }

    /// Marks tensors: large ones one at a time on every core, the rest side by side, one core each.
    static func markTensors(
        _ tensors: [WeightTensor], in file: WeightFile, key: MarkKey, alpha: Double
    ) throws -> [(patch: BytePatch, stats: TensorMarkStats)] {
        let large = TensorMarker.chunkElements * Parallel.workerCount
        func markOne(_ tensor: WeightTensor, workers: Int) throws -> (patch: BytePatch, stats: TensorMarkStats) {
            guard let range = tensor.fileRange, let dtype = tensor.markDType else {
                throw MarkError.unsupported("tensor \(tensor.name) cannot be marked")
            }
            var bytes = try file.source.read(at: range.lowerBound, count: range.count)
            let stats = try bytes.withUnsafeMutableBytes { raw throws(MarkError) in
                try TensorMarker.mark(
                    raw, name: tensor.name, dtype: dtype, shape: tensor.shape, key: key, alpha: alpha,
                    workers: workers)
            }
            return (BytePatch(offset: range.lowerBound, bytes: bytes), stats)
        }
        var results: [Int: (patch: BytePatch, stats: TensorMarkStats)] = [:]
        for (index, tensor) in tensors.enumerated() where tensor.elementCount >= large {
            results[index] = try markOne(tensor, workers: Parallel.workerCount)
        }
        let small = tensors.indices.filter { tensors[$0].elementCount < large }
        let smallResults = try Parallel.map(small.count) {
            (item: Int) throws -> (patch: BytePatch, stats: TensorMarkStats) in
            try markOne(tensors[small[item]], workers: 1)
        }
        for (item, index) in small.enumerated() { results[index] = smallResults[item] }
        return tensors.indices.compactMap { results[$0] }
    }
}
