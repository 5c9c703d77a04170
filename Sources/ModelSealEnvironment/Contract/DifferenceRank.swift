/// How much a difference matters for what a model computes, most first: the order of a contract diff.
///
/// A model computes differently with another interpreter or platform, another torch or CUDA build,
/// another NumPy, or another compiled package (native code with its own kernels and BLAS); a
/// pure-Python package rarely changes numbers. The diff lists differences in this order and never
/// elides the first five ranks (docs/ENVIRONMENT.md §Check).
public enum DifferenceRank: Int, Sendable, Comparable {
    case platform = 0
    case interpreter
    case torch
    case accelerator
    case numpy
    case compiled
    case other

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Distributions known to ship native code that changes numbers (beside torch, CUDA and NumPy).
    /// Names are PEP 503-normalized; a prefix ends in `-`.
    public static let compiledNames: Set<String> = [
        "bitsandbytes", "cupy", "flash-attn", "h5py", "intel-openmp", "jax", "jaxlib", "llvmlite", "mkl", "numba",
        "numexpr", "onnx", "onnxruntime", "onnxruntime-gpu", "opencv-python", "opencv-python-headless", "pandas",
        "pillow", "pyarrow", "scikit-image", "scikit-learn", "scipy", "sentencepiece", "safetensors", "tensorflow",
        "tokenizers", "torchaudio", "torchvision", "xformers",
    ]
    static let acceleratorPrefixes = ["nvidia-", "cuda-", "cupy-", "rocm-", "pytorch-triton", "triton"]

    /// The rank of a difference of `kind` about `name` (a distribution, `conda:NAME`, or one of the
    /// probe's own names: `platform`, `conda subdir`, `python`, `cuda`, `cudnn`, `hip`, `torch build`).
    public static func of(kind: ContractReport.Difference.Kind, name: String, versions: [String?]) -> DifferenceRank {
        if kind == .platform { return .platform }
        let bare = name.hasPrefix("conda:") ? String(name.dropFirst(6)) : name
        switch bare {
        case "python", "pypy": return .interpreter
        case "torch", "torch build", "pytorch": return .torch
        case "cuda", "cudnn", "hip", "cudatoolkit", "cuda-version", "magma": return .accelerator
        case "numpy": return .numpy
        default: break
        }
        if acceleratorPrefixes.contains(where: { bare.hasPrefix($0) }) { return .accelerator }
        if compiledNames.contains(bare) || bare.hasPrefix("mkl-") || bare.hasPrefix("tensorflow-")
            || bare.hasPrefix("onnxruntime-")
        {
            return .compiled
        }
        // A local version label names a build (`+cu121`, `+cpu`, `+rocm6.0`): native code.
        if versions.contains(where: { $0?.contains("+") ?? false }) { return .compiled }
        // conda packages are binary builds (their build string is part of the contract).
        if name.hasPrefix("conda:") || name == "conda" { return .compiled }
        return .other
    }
}

extension ContractReport.Difference {
    /// How much this difference matters (`DifferenceRank`).
    public var rank: DifferenceRank { DifferenceRank.of(kind: kind, name: name, versions: [expected, actual]) }
}
