extension TorchTensor {
    /// A row-major contiguous tensor viewing the start of storage `storageKey`: what writers of
    /// fresh checkpoints (the demo, converters) describe.
    public static func contiguous(name: String, dtype: DType, shape: [Int], storageKey: String) -> TorchTensor {
        var strides = [Int](repeating: 1, count: shape.count)
        var stride = 1
        for index in shape.indices.reversed() {
            strides[index] = stride
            stride *= max(shape[index], 1)
        }
        return TorchTensor(
            name: name, dtype: dtype, shape: shape, strides: strides, storageOffset: 0, storageKey: storageKey,
            requiresGrad: false, isParameter: false)
    }
}
