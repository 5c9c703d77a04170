/// Readers and writers for model files (PyTorch checkpoints, safetensors, NumPy) that never execute anything.
public enum ModelFormats {}
