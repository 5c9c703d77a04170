#!/usr/bin/env python3
"""Writes Tests/Vectors/scan/: one sample per scanner-bypass technique, named after the rule it tests.

Every pickle is assembled opcode by opcode from bytes (struct); nothing here pickles a live object
or ever unpickles anything, so running the generator cannot run a payload. Payloads only name
harmless commands ("echo pwned"). Output is deterministic (fixed zip timestamps).

    python3 scripts/gen-scan-vectors.py [DIR]      # rewrites the vectors and EXPECTED.tsv
"""
import io
import pathlib
import struct
import sys
import zipfile

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Vectors" / "scan"
DATE = (2020, 1, 1, 0, 0, 0)


# ---- opcodes -------------------------------------------------------------------------------
def proto(n): return b"\x80" + bytes([n])
def glob(module, name): return b"c" + module.encode() + b"\n" + name.encode() + b"\n"
def binunicode(text):
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data
def short_unicode(text):
    data = text.encode()
    return b"\x8c" + bytes([len(data)]) + data
def binbytes(data): return b"B" + struct.pack("<I", len(data)) + data
def binput(i): return b"q" + bytes([i])
def binget(i): return b"h" + bytes([i])
def frame(length): return b"\x95" + struct.pack("<Q", length)
MARK, TUPLE, TUPLE1, TUPLE2, REDUCE, STOP = b"(", b"t", b"\x85", b"\x86", b"R", b"."
STACK_GLOBAL, MEMOIZE, EMPTY_DICT, BUILD, NONE, SETITEM = b"\x93", b"\x94", b"}", b"b", b"N", b"s"
EMPTY_LIST, APPEND, BININT1 = b"]", b"a", b"K"


def call(callee, *args):
    """callee(*args) with string arguments, as REDUCE."""
    return callee + MARK + b"".join(binunicode(a) for a in args) + TUPLE + REDUCE


def os_system(protocol=2):
    return proto(protocol) + call(glob("os", "system"), "echo pwned") + STOP


def benign_list():
    return proto(2) + EMPTY_LIST + binput(0) + BININT1 + b"\x01" + APPEND + STOP


def zip_bytes(members, *, stored=True):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, DATE), data)
    return buffer.getvalue()


def torch_like_zip(extra_members):
    # A minimal torch zip layout whose data.pkl is an empty OrderedDict (allowlisted).
    data_pkl = proto(2) + glob("collections", "OrderedDict") + MARK + TUPLE + REDUCE + STOP
    members = [("archive/data.pkl", data_pkl), ("archive/byteorder", b"little"), ("archive/version", b"3\n")]
    return zip_bytes(members + extra_members)


VECTORS = []


def vector(name, expect, rule, why):
    def register(build):
        VECTORS.append((name, expect, rule, why, build))
        return build
    return register


@vector("stack_global_memo.pkl", "dangerous", "dangerous-global",
        "STACK_GLOBAL operands fetched from memo slots after decoy strings (picklescan issue #22)")
def _():
    return (proto(4) + short_unicode("torch") + MEMOIZE + short_unicode("LongStorage") + MEMOIZE
            + short_unicode("os") + MEMOIZE + short_unicode("system") + MEMOIZE
            + b"h\x02" + b"h\x03" + STACK_GLOBAL + short_unicode("echo pwned") + TUPLE1 + REDUCE + STOP)


@vector("stack_global_computed.pkl", "dangerous", "computed-global",
        "STACK_GLOBAL module operand computed by a call (string concatenation through operator.add)")
def _():
    concat = glob("operator", "add") + MARK + binunicode("o") + binunicode("s") + TUPLE + REDUCE
    return proto(4) + concat + short_unicode("system") + STACK_GLOBAL + short_unicode("echo pwned") + TUPLE1 + REDUCE + STOP


@vector("attribute_pivot.pkl", "dangerous", "attribute-pivot",
        "an allowed module's __builtins__ reached through a dotted name (find_class getattr chain)")
def _():
    return proto(4) + short_unicode("collections") + short_unicode("OrderedDict.__init__.__globals__") + STACK_GLOBAL + STOP


@vector("build_on_global.pkl", "dangerous", "build-on-global",
        "BUILD on an allowed class itself rewrites its attributes (sys.modules / __dict__ override)")
def _():
    state = EMPTY_DICT + binunicode("fromkeys") + glob("builtins", "print") + SETITEM
    return proto(2) + glob("collections", "OrderedDict") + state + BUILD + STOP


@vector("getattr_chain.pkl", "dangerous", "dangerous-global",
        "getattr(__import__('os'), 'system')('echo pwned')")
def _():
    imported = call(glob("builtins", "__import__"), "os")
    attr = glob("builtins", "getattr") + MARK + imported + binunicode("system") + TUPLE + REDUCE
    return proto(2) + attr + MARK + binunicode("echo pwned") + TUPLE + REDUCE + STOP


@vector("nested_pickle.pkl", "dangerous", "dangerous-global",
        "pickle.loads on an embedded pickle that calls os.system (modelscan malicious12)")
def _():
    return proto(3) + glob("pickle", "loads") + MARK + binbytes(os_system()) + TUPLE + REDUCE + STOP


@vector("zip_extra_pickle_member.pt", "dangerous", "dangerous-global",
        "torch zip whose data.pkl is clean but an extra member archive/extra.pkl calls os.system")
def _():
    return torch_like_zip([("archive/extra.pkl", os_system())])


@vector("zip_pickle_in_storage_member.pt", "dangerous", "dangerous-global",
        "torch zip with a pickle hidden under a storage name (archive/data/0), decided by content")
def _():
    return torch_like_zip([("archive/data/0", os_system())])


@vector("zip_local_central_mismatch.zip", "dangerous", "zip-local-central-mismatch",
        "local header names a different file than the central directory (picklescan malicious1_central_directory)")
def _():
    data = bytearray(zip_bytes([("data.pkl", os_system())]))
    index = data.index(b"data.pkl")  # the first occurrence is the local header's name
    data[index:index + 8] = b"datap.kl"
    return bytes(data)


@vector("zip_duplicate_name.zip", "dangerous", "zip-duplicate-name",
        "two members called data.pkl: a benign one and an os.system one (readers pick different ones)")
def _():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zip_bytes([("data.pkl", benign_list()), ("data.pkl", os_system())])


@vector("zip_data_before_archive.bin", "dangerous", "zip-data-before-archive",
        "a zip behind another file's header (PNG signature prepended): offsets shifted")
def _():
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * 24 + zip_bytes([("data.pkl", os_system())])


@vector("zip_data_after_archive.zip", "dangerous", "zip-data-after-archive",
        "bytes appended after the end record")
def _():
    return zip_bytes([("data.pkl", os_system())]) + b"trailing bytes"


@vector("zip_nested_archive.zip", "dangerous", "dangerous-global",
        "an os.system pickle inside a zip inside a zip")
def _():
    return zip_bytes([("inner.zip", zip_bytes([("payload.bin", os_system())]))])


@vector("frame_length_mismatch.pkl", "dangerous", "frame-boundary",
        "protocol-4 FRAME whose length ends mid-opcode, so a frame-trusting disassembler misparses what follows")
def _():
    body = glob("os", "system") + binunicode("echo pwned") + TUPLE1 + REDUCE + STOP
    return proto(4) + frame(3) + body


@vector("frame_straddle_hidden_call.pkl", "dangerous", "frame-boundary",
        "BINBYTES straddling a 2-byte FRAME: CPython < 3.13.15 unpickling it from io.BytesIO (torch.load of a "
        "buffer) runs the builtins.print hidden in the bytes (python/cpython#154848); a linear reading sees only data")
def _():
    hidden = glob("builtins", "print") + b"V" + b"Hello, world!\n" + TUPLE1 + REDUCE
    filler = b"a" * (8192 * 16 - 22)  # fills CPython's 128 KiB read-ahead so the frame read refills it
    return (proto(5) + NONE + b"X" + struct.pack("<I", len(filler)) + filler + b"0" + MARK + frame(2)
            + b"B" + b"\x07\x01\x00\x00" + b"\x00\x00" + (hidden + MARK).ljust(256 + 5, NONE) + b"1" + STOP)


@vector("frame_straddle_hidden_call_file.pkl", "dangerous", "frame-boundary",
        "the same trick as python/cpython#154848 reports it, for pickle.load from a file: a 128 KiB UNICODE "
        "line fills the read-ahead buffer first")
def _():
    hidden = glob("builtins", "print") + b"V" + b"Hello, world!\n" + TUPLE1 + REDUCE
    return (proto(5) + NONE + b"V" + b"a" * (8192 * 16 - 17) + b"\n" + b"0" + MARK + frame(2)
            + b"B" + b"\x07\x01\x00\x00" + b"\x00\x00" + (hidden + MARK).ljust(256 + 5, NONE) + b"1" + STOP)


@vector("frame_hides_global.pkl", "dangerous", "dangerous-global",
        "a FRAME that covers a GLOBAL os.system: scanners that skip frame payloads miss it")
def _():
    body = glob("os", "system") + binunicode("echo pwned") + TUPLE1 + REDUCE + STOP
    return proto(4) + frame(len(body)) + body


@vector("legacy_torch_fifth_pickle.pt", "dangerous", "dangerous-global",
        "legacy torch layout whose fifth pickle (storage keys) calls os.system")
def _():
    magic = proto(2) + b"\x8a\x0a" + bytes([0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]) + STOP
    version = proto(2) + b"M" + struct.pack("<H", 1001) + STOP
    sys_info = proto(2) + EMPTY_DICT + binunicode("little_endian") + b"\x88" + SETITEM + STOP
    data = proto(2) + glob("collections", "OrderedDict") + MARK + TUPLE + REDUCE + STOP
    return magic + version + sys_info + data + os_system()


@vector("npy_object_array.npy", "dangerous", "dangerous-global",
        "object-dtype .npy whose pickle calls os.system (loaded with allow_pickle=True)")
def _():
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + os_system()


@vector("extension_mismatch.safetensors", "dangerous", "dangerous-global",
        "a protocol-0 pickle (no signature) under a .safetensors name: decided by content")
def _():
    return glob("os", "system") + b"(V" + b"echo pwned\n" + TUPLE + REDUCE + STOP


@vector("zip_encryption_flag_plain.zip", "dangerous", "zip-encryption-flag-on-plain-data",
        "encryption flag set on a plain member (Python's zipfile refuses it, torch's reader does not)")
def _():
    data = bytearray(zip_bytes([("data.pkl", os_system())]))
    # Set bit 0 of the general-purpose flags in the local header (offset 6) and the central entry (offset 8).
    data[6] |= 1
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 1
    return bytes(data)


@vector("zip_crc_mismatch.zip", "dangerous", "dangerous-global",
        "an os.system data.pkl whose CRC-32 is wrong in both headers: Python's zipfile raises on reading it, "
        "so a scanner built on zipfile skips it; a reader that does not check CRCs loads it")
def _():
    data = bytearray(zip_bytes([("data.pkl", os_system())]))
    # CRC-32 at offset 14 of the local header and 16 of the central entry.
    data[14] ^= 0xFF
    central = data.index(b"PK\x01\x02")
    data[central + 16] ^= 0xFF
    return bytes(data)


@vector("torchscript_archive.pt", "not-weights-only", "torchscript-code",
        "a TorchScript archive (code/ and constants.pkl): code, never weights")
def _():
    return torch_like_zip([("archive/constants.pkl", proto(2) + MARK + TUPLE + STOP),
                           ("archive/code/__torch__.py", b"def forward(self):\n    return None\n")])


@vector("unknown_global.pkl", "not-weights-only", "unknown-global",
        "a class outside the allowlist that is not known to run code")
def _():
    return proto(2) + call(glob("mypackage.config", "TrainingConfig"), "x") + STOP


@vector("clean_state_dict.pkl", "clean", "none",
        "an empty OrderedDict: only allowlisted globals")
def _():
    return proto(2) + glob("collections", "OrderedDict") + MARK + TUPLE + REDUCE + STOP


def main():
    global OUT
    if len(sys.argv) > 1:
        OUT = pathlib.Path(sys.argv[1])
    OUT.mkdir(parents=True, exist_ok=True)
    lines = ["file\texpect\trule\twhy"]
    for name, expect, rule, why, build in VECTORS:
        (OUT / name).write_bytes(build())
        lines.append(f"{name}\t{expect}\t{rule}\t{why}")
    (OUT / "EXPECTED.tsv").write_text("\n".join(lines) + "\n")
    print(f"wrote {len(VECTORS)} vectors to {OUT}")


if __name__ == "__main__":
    main()
