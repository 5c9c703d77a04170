#!/usr/bin/env python3
"""Generate the committed test vectors under Tests/Vectors/{torch,pickle,safetensors,numpy}.

Run with the project venv (real torch, safetensors, numpy):
    .venv/bin/python scripts/gen-format-vectors.py

Every vector NAME.ext has NAME.expected.json beside it describing what a correct reader sees.
Tensor data is recorded as hex of the tensor's contiguous bytes, so readers are checked bit-exactly.
Pickle vectors are built opcode by opcode; none of them is ever unpickled here.
"""
import io
import json
import os
import pickle
import struct
import sys

import numpy as np
import torch
from safetensors.torch import save_file

# Output root: Tests/Vectors, or the folder given as the first argument (scripts/gen-format-vectors.sh --check).
ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Vectors")
torch.manual_seed(1234)


def out(*parts):
    path = os.path.join(ROOT, *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def tensor_bytes(t):
    storage = t.detach().contiguous().clone().untyped_storage()
    return bytes(storage.tolist())


def describe(tensors):
    return [
        {
            "name": name,
            "dtype": str(t.dtype).removeprefix("torch."),
            "shape": list(t.shape),
            "strides": list(t.stride()),
            "storageOffset": t.storage_offset(),
            "hex": tensor_bytes(t).hex(),
        }
        for name, t in tensors
    ]


def write_expected(path, **fields):
    with open(path, "w") as f:
        json.dump(fields, f, indent=1, sort_keys=True)
        f.write("\n")


def every_dtype():
    base = torch.randn(2, 3)
    tensors = {
        "f64": base.double(), "f32": base, "f16": base.half(), "bf16": base.bfloat16(),
        "c64": torch.complex(base, -base), "c128": torch.complex(base.double(), base.double()),
        "c32": torch.complex(base, base).to(torch.complex32),
        "i8": torch.arange(-3, 3, dtype=torch.int8).reshape(2, 3), "i16": torch.arange(6, dtype=torch.int16) * -300,
        "i32": torch.arange(6, dtype=torch.int32) * 70000, "i64": torch.arange(6, dtype=torch.int64) << 40,
        "u8": torch.arange(250, 256, dtype=torch.uint8), "u16": torch.arange(6, dtype=torch.int32).to(torch.uint16),
        "u32": torch.arange(6, dtype=torch.int64).to(torch.uint32), "u64": torch.arange(6, dtype=torch.int64).to(torch.uint64),
        "bool": torch.tensor([True, False, True]),
        "f8e4m3fn": base.to(torch.float8_e4m3fn), "f8e5m2": base.to(torch.float8_e5m2),
        "f8e4m3fnuz": base.to(torch.float8_e4m3fnuz), "f8e5m2fnuz": base.to(torch.float8_e5m2fnuz),
        "f8e8m0fnu": base.abs().to(torch.float8_e8m0fnu),
        "scalar": torch.tensor(3.5), "empty": torch.zeros(0, 4),
    }
    return list(tensors.items())


def gen_torch():
    items = every_dtype()
    torch.save(dict(items), out("torch", "every_dtype.pt"))
    write_expected(out("torch", "every_dtype.expected.json"), format="pytorch-zip", tensors=describe(items), pure=True)

    storage = torch.arange(24, dtype=torch.float32)
    views = [
        ("full", storage.view(4, 6)), ("transposed", storage.view(4, 6).t()), ("row", storage.view(4, 6)[2]),
        ("column", storage.view(4, 6)[:, 1]), ("strided", storage[3:20:4]),
    ]
    torch.save(dict(views), out("torch", "shared_views.pt"))
    write_expected(out("torch", "shared_views.expected.json"), format="pytorch-zip", tensors=describe(views), pure=True,
                   shared=[[n for n, _ in views]])

    torch.save(dict(items[:4] + views[:2]), out("torch", "legacy.pt"), _use_new_zipfile_serialization=False)
    write_expected(out("torch", "legacy.expected.json"), format="pytorch-legacy", tensors=describe(items[:4] + views[:2]),
                   pure=True, shared=[["full", "transposed"]])

    gen_legacy_key_order()

    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 6 * 6, 5))
    sd = model.state_dict()
    torch.save(sd, out("torch", "cnn_state_dict.pt"))
    write_expected(out("torch", "cnn_state_dict.expected.json"), format="pytorch-zip", tensors=describe(list(sd.items())),
                   pure=True)

    checkpoint = {"model": {"w": torch.ones(2)}, "epoch": 7, "name": "run-1", "lr": [0.1, 0.01]}
    torch.save(checkpoint, out("torch", "with_metadata.pt"))
    write_expected(out("torch", "with_metadata.expected.json"), format="pytorch-zip",
                   tensors=describe([("model.w", checkpoint["model"]["w"])]), pure=False)

    params = {"p": torch.nn.Parameter(torch.randn(3)), "frozen": torch.nn.Parameter(torch.randn(2), requires_grad=False)}
    torch.save(params, out("torch", "parameters.pt"))
    write_expected(out("torch", "parameters.expected.json"), format="pytorch-zip", tensors=describe(list(params.items())),
                   pure=True)


def gen_legacy_key_order():
    """A legacy checkpoint (issue 15.9) whose trailing storage-key list ('0', '1') is not the order in which the
    object first references the storages ('1' first), and whose storage '1' is no longer reachable from the
    result (its dict entry was overwritten): torch's legacy loader registers every persistent id while
    unpickling and reads every listed storage. Built opcode by opcode; torch itself reads it for the
    expected file."""
    def unicode(text):
        return b"X" + struct.pack("<I", len(text)) + text.encode()

    def tensor(key, count):
        pid = b"(" + unicode("storage") + b"ctorch\nFloatStorage\n" + unicode(key) + unicode("cpu") + b"J" + struct.pack(
            "<i", count) + b"Nt"
        return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"QK\x00J" + struct.pack("<i", count) + b"\x85K\x01\x85"
                + b"\x89ccollections\nOrderedDict\n)Rtq\x01R")

    magic = b"\x80\x02\x8a\x0a" + bytes([0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]) + b"."
    version = b"\x80\x02M" + struct.pack("<H", 1001) + b"."
    sys_info = b"\x80\x02}" + unicode("little_endian") + b"\x88s."
    obj = (b"\x80\x02ccollections\nOrderedDict\n)R" + unicode("w") + tensor("1", 3) + b"s" + unicode("w")
           + tensor("0", 2) + b"s" + unicode("bias") + tensor("2", 1) + b"s.")
    keys = b"\x80\x02]" + unicode("0") + b"a" + unicode("2") + b"a" + unicode("1") + b"a."
    storages = b""
    for key, values in (("0", [1.5, -2.0]), ("2", [7.0]), ("1", [9.0, 9.0, 9.0])):
        storages += struct.pack("<q", len(values)) + struct.pack(f"<{len(values)}f", *values)
    path = out("torch", "legacy_key_order.pt")
    with open(path, "wb") as f:
        f.write(magic + version + sys_info + obj + keys + storages)
    loaded = torch.load(path, weights_only=True)
    write_expected(out("torch", "legacy_key_order.expected.json"), format="pytorch-legacy",
                   tensors=describe(list(loaded.items())), pure=True)


def gen_pickles():
    """Pickles of one plain object in every protocol, and hand-built hostile ones."""
    value = {"a": [1, -2, 3.5, None, True], "b": ("x", b"\x00\xff", 2**70, -(2**63)), "c": {"nested": {1, 2}}}
    expected_text = "dict"
    for protocol in range(0, 6):
        with open(out("pickle", f"plain_p{protocol}.pkl"), "wb") as f:
            f.write(pickle.dumps(value, protocol=protocol))

    def put(name, data, why):
        with open(out("pickle", name), "wb") as f:
            f.write(data)
        with open(out("pickle", name + ".txt"), "w") as f:
            f.write(why + "\n")

    # STACK_GLOBAL whose operands come from the memo (how scanners get dodged): never executed.
    body = (b"\x8c\x05posix\x94\x8c\x06system\x94\x86\x94"  # 'posix', 'system' memoized, then a decoy tuple
            b"h\x00h\x01\x93\x94\x8c\x02id\x85R\x94.")  # STACK_GLOBAL from memo, REDUCE
    put("stack_global_memo.pkl", b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body,
        "expect: events STACK_GLOBAL posix.system [blocked], REDUCE posix.system")
    put("frame_overrun.pkl", b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00\x8c\x05hello.",
        "expect: error, SHORT_BINUNICODE runs past its 2-byte frame")
    put("stop_inside_frame.pkl", b"\x80\x04\x95\x04\x00\x00\x00\x00\x00\x00\x00\x89.\x89\x89",
        "expect: error, STOP before the end of its 4-byte frame (CPython consumes the frame: a next load starts after it)")
    put("reduce_on_tuple.pkl", b"\x80\x02)\x85)R.",
        "expect: error, REDUCE calls a tuple (CPython: TypeError, 'tuple' object is not callable)")
    put("no_stop.pkl", b"\x80\x02" + b"K\x01" * 1000, "expect: truncated, pickle never stops")
    put("cyclic_memo.pkl", b"\x80\x02]q\x00h\x00a.", "expect: a list that contains itself, no hang")
    put("huge_binunicode.pkl", b"\x80\x02X\xff\xff\xff\xff" + b"a" * 16 + b".", "expect: truncated, length beyond input")
    put("huge_binbytes8.pkl", b"\x80\x04\x8e" + struct.pack("<Q", 2**63) + b".", "expect: truncated, 64-bit length")
    put("deep_marks.pkl", b"\x80\x02" + b"(" * 100000 + b".", "expect: limit, MARK depth")
    put("memo_missing.pkl", b"\x80\x02h\x05.", "expect: error, memo key never stored")
    put("underflow.pkl", b"\x80\x02(R.", "expect: error, REDUCE below the MARK fence")
    put("unknown_opcode.pkl", b"\x80\x02\xff.", "expect: error, unknown opcode")
    put("text_protocol0.pkl", b"(lp0\nI42\naF1.5\naS'a\\'b'\np1\naV\\u20ac\np2\naL123456789012345678901234567890L\na(I01\nI00\ntp3\na.",
        "expect: [42, 1.5, \"a'b\", \"\\u20ac\", 123456789012345678901234567890, (True, False)]")
    put("inst_obj.pkl", b"(S'ls'\nios\nsystem\n(cbuiltins\nexec\nS'1'\no.",
        "expect: events INST os.system [blocked], GLOBAL builtins.exec [unknown], OBJ builtins.exec")


def gen_safetensors():
    tensors = {"w": torch.randn(3, 4), "b": torch.zeros(4, dtype=torch.bfloat16), "i": torch.arange(5, dtype=torch.int64),
               "m": torch.tensor([True, False]), "f8": torch.randn(4).to(torch.float8_e4m3fn), "s": torch.tensor(1.0)}
    save_file(tensors, out("safetensors", "small.safetensors"), metadata={"format": "pt", "note": "vector"})
    write_expected(out("safetensors", "small.expected.json"), format="safetensors",
                   tensors=describe(sorted(tensors.items())), metadata={"format": "pt", "note": "vector"})


def gen_numpy():
    arrays = {"f4": np.arange(12, dtype="<f4").reshape(3, 4), "i8": np.arange(-3, 3, dtype="<i8"),
              "b1": np.array([True, False, True]), "u2": np.arange(4, dtype="<u2"),
              "c16": np.array([1 + 2j, 3 - 4j]), "fortran": np.asfortranarray(np.arange(6, dtype="<f8").reshape(2, 3))}
    for name, array in arrays.items():
        np.save(out("numpy", f"{name}.npy"), array)
    np.savez(out("numpy", "stored.npz"), **arrays)
    np.savez_compressed(out("numpy", "compressed.npz"), **arrays)
    np.save(out("numpy", "object.npy"), np.array([{"k": 1}, "text", None], dtype=object), allow_pickle=True)
    expected = {name: {"descr": a.dtype.str, "shape": list(a.shape), "fortran": bool(a.flags.f_contiguous and not a.flags.c_contiguous),
                       "hex": (a.T if (a.flags.f_contiguous and not a.flags.c_contiguous) else a).tobytes().hex()}
                for name, a in arrays.items()}
    write_expected(out("numpy", "arrays.expected.json"), arrays=expected)


if __name__ == "__main__":
    gen_torch()
    gen_pickles()
    gen_safetensors()
    gen_numpy()
    print(f"vectors written under {os.path.normpath(ROOT)} with torch {torch.__version__}", file=sys.stderr)
