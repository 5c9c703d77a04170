"""Small real models and tensors built in-script (no downloads), saved with real torch."""
import torch
from torch import nn


def architectures():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.LayerNorm(16), nn.Linear(16, 4))
    cnn = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 4, 1))
    transformer = nn.TransformerEncoder(nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32), num_layers=2,
                                        enable_nested_tensor=False)
    rnn = nn.LSTM(input_size=6, hidden_size=5, num_layers=2)

    class TiedLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(20, 8)
            self.head = nn.Linear(8, 20, bias=False)
            self.head.weight = self.embed.weight  # tied: one storage, two names

    return {"mlp": mlp, "cnn": cnn, "transformer": transformer, "lstm": rnn, "tied_lm": TiedLM()}


def every_dtype():
    torch.manual_seed(1)
    base = torch.randn(3, 4)
    return {
        "float64": base.double(), "float32": base, "float16": base.half(), "bfloat16": base.bfloat16(),
        "complex32": torch.complex(base, base).to(torch.complex32), "complex64": torch.complex(base, -base),
        "complex128": torch.complex(base.double(), base.double()),
        "int8": (base * 10).to(torch.int8), "int16": (base * 1000).to(torch.int16), "int32": (base * 1e6).to(torch.int32),
        "int64": (base * 1e12).to(torch.int64), "uint8": (base.abs() * 50).to(torch.uint8),
        "uint16": (base.abs() * 1000).to(torch.int32).to(torch.uint16),
        "uint32": (base.abs() * 1e6).to(torch.int64).to(torch.uint32),
        "uint64": (base.abs() * 1e12).to(torch.int64).to(torch.uint64), "bool": base > 0,
        "float8_e4m3fn": base.to(torch.float8_e4m3fn), "float8_e5m2": base.to(torch.float8_e5m2),
        "float8_e4m3fnuz": base.to(torch.float8_e4m3fnuz), "float8_e5m2fnuz": base.to(torch.float8_e5m2fnuz),
        "float8_e8m0fnu": base.abs().to(torch.float8_e8m0fnu),
        "scalar": torch.tensor(2.5), "empty": torch.empty(0, 3),
    }


# dtypes the safetensors package loads into torch
SAFETENSORS_DTYPES = {
    "float64", "float32", "float16", "bfloat16", "complex64", "int8", "int16", "int32", "int64", "uint8", "uint16",
    "uint32", "uint64", "bool", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "scalar", "empty",
}


def views():
    storage = torch.arange(60, dtype=torch.float32)
    grid = storage.view(6, 10)
    return {"grid": grid, "transposed": grid.t(), "row": grid[3], "column": grid[:, 7], "every_third": storage[2:50:3],
            "block": grid[1:4, 2:6]}
