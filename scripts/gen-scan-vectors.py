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


# ---- issue 14: each reading a loader gives the bytes, as far as that loader gets -------------------------
LEGACY_MAGIC = proto(2) + b"\x8a\x0a" + bytes([0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]) + STOP
LEGACY_VERSION = proto(2) + b"M" + struct.pack("<H", 1001) + STOP
LEGACY_SYS_INFO = proto(2) + EMPTY_DICT + binunicode("little_endian") + b"\x88" + SETITEM + STOP
POP = b"0"


def legacy_with_object(object_pickle, keys=proto(2) + EMPTY_LIST + STOP, storages=b""):
    """A legacy torch layout (magic, protocol, sys_info, OBJECT, storage keys, raw storages)."""
    return LEGACY_MAGIC + LEGACY_VERSION + LEGACY_SYS_INFO + object_pickle + keys + storages


def os_system_call():
    return glob("os", "system") + MARK + binunicode("echo pwned") + TUPLE + REDUCE


def after_construct(construct, protocol=2):
    """An object pickle that runs `construct` (which CPython accepts), drops it, then calls os.system."""
    return proto(protocol) + construct + POP + os_system_call() + STOP


CPYTHON_CONSTRUCTS = {
    "build_none_state": EMPTY_LIST + NONE + BUILD,
    "setitem_on_list": EMPTY_LIST + BININT1 + b"\x05" + APPEND + BININT1 + b"\x00" + BININT1 + b"\x07" + SETITEM,
    "memo_key_with_space": EMPTY_LIST + b"p 0\n" + POP + b"g0\n",
    "int_underscore": b"I1_000\n",
    "int_strtol_octal": b"I017\n",
    "int_strtol_hex": b"I0x10\n",
    "int_leading_space": b"I  42\n",
    "long_hex": b"L0x_ff\n",
    "append_on_bytearray": b"\x96" + struct.pack("<Q", 1) + b"a" + BININT1 + b"\x41" + APPEND,
    "binunicode_lone_surrogate": b"X" + struct.pack("<I", 3) + b"\xed\xa0\x80",
    "unicode_lone_surrogate": b"V\\ud800\n",
}
for _name, _construct in CPYTHON_CONSTRUCTS.items():
    def _build(construct=_construct):
        return legacy_with_object(after_construct(construct, 5 if construct.startswith(b"\x96") else 2))
    vector(f"cpython_{_name}.pt", "dangerous", "dangerous-global",
           f"legacy checkpoint whose object pickle first does something CPython's _pickle.c accepts "
           f"({_name.replace('_', ' ')}), then calls os.system: a machine that stops there reads nothing after")(_build)


@vector("legacy_object_pickle_broken.pt", "flagged", "loader-error",
        "legacy checkpoint whose object pickle makes an unknown class and then breaks (a bad opcode): what ran "
        "before the break counts, and a file the loader cannot finish is never clean")
def _():
    return legacy_with_object(proto(2) + call(glob("mypackage.loader", "Hook"), "x") + b"\xff")


@vector("zip_member_broken_pickle.pt", "not-weights-only", "unknown-global",
        "torch zip with a protocol-0 member (no PROTO, not named .pkl) that makes an unknown class and breaks")
def _():
    return torch_like_zip([("archive/data/7", glob("mypackage.loader", "Hook") + MARK + TUPLE + REDUCE + b"\xff")])


@vector("legacy_with_empty_zip_tail.pt", "dangerous", "dangerous-global",
        "legacy checkpoint calling os.system with an empty zip end record appended: torch reads pickles from "
        "byte 0 (the zip signature is not at offset 0)")
def _():
    return legacy_with_object(proto(2) + os_system_call() + STOP) + b"PK\x05\x06" + b"\x00" * 18


@vector("legacy_pk56_in_storage.pt", "clean", "none",
        "benign legacy checkpoint whose raw storage holds the bytes PK\\x05\\x06 near the end: not a zip")
def _():
    storage = (b"\x8c\x05torch\x8c\x0cFloatStorage\x93" if False else glob("torch", "FloatStorage"))
    pid = MARK + binunicode("storage") + storage + binunicode("0") + binunicode("cpu") + BININT1 + b"\x08" + NONE + TUPLE
    tensor = (glob("torch._utils", "_rebuild_tensor_v2") + MARK + pid + b"Q" + BININT1 + b"\x00"
              + BININT1 + b"\x08" + TUPLE1 + BININT1 + b"\x01" + TUPLE1 + b"\x89"
              + glob("collections", "OrderedDict") + MARK + TUPLE + REDUCE + TUPLE + REDUCE)
    obj = (proto(2) + glob("collections", "OrderedDict") + MARK + TUPLE + REDUCE + binunicode("w") + tensor
           + SETITEM + STOP)
    keys = proto(2) + EMPTY_LIST + binunicode("0") + APPEND + STOP
    data = struct.pack("<q", 8) + b"PK\x05\x06" + b"\x01" * 28
    return legacy_with_object(obj, keys, data)


def safetensors_pickle_polyglot(payload):
    """Valid safetensors (one U8 tensor holding `payload`) whose bytes from offset 0 are also a pickle: the
    length field reads as NONE + BINFLOAT (eating the JSON's `{"`), the first key is a chain of
    SHORT_BINSTRINGs that skips the rest of the header, and the pickle goes on in the tensor data."""
    length = 0x4E | 0x47 << 8  # b"NG" then zeros: NONE, BINFLOAT over bytes 2..9
    tensor = '":{"dtype":"U8","shape":[%d],"data_offsets":[0,%d]}}' % (len(payload), len(payload))
    final = 100
    pad = final - len(tensor)
    chain_room = length - 2 - 2 - final  # '{"', the final 'U' + length byte, what it skips
    segments = []
    while chain_room > 0:
        size = min(100, chain_room - 2)
        if chain_room - (size + 2) < 34 and chain_room - (size + 2) != 0:
            size = chain_room - 2 - 34
        segments.append(b"U" + bytes([size]) + b"a" * size)
        chain_room -= size + 2
    header = b'{"' + b"".join(segments) + b"U" + bytes([final]) + tensor.encode() + b" " * pad
    assert len(header) == length, (len(header), length)
    return struct.pack("<Q", length) + header + payload


@vector("polyglot_safetensors_pickle.bin", "dangerous", "dangerous-global",
        "a file that is valid safetensors and also a pickle from byte 0: torch.load under a name not ending in "
        ".safetensors, or pickle.load, runs os.system")
def _():
    return safetensors_pickle_polyglot(glob("os", "system") + b"(V" + b"echo pwned\n" + TUPLE + REDUCE + STOP)


def stored_zip_parts(members, base=0):
    """Local headers + data and central entries of a stored zip (offsets from `base`), by hand."""
    import zlib
    local, central = b"", b""
    for name, data in members:
        offset = base + len(local)
        crc = zlib.crc32(data)
        fields = struct.pack("<HHHHHIII", 20, 0, 0, 0, 0x21, crc, len(data), len(data))
        local += b"PK\x03\x04" + fields + struct.pack("<HH", len(name), 0) + name.encode() + data
        central += (b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<HHHHHI", len(name), 0, 0, 0, 0, 0)
                    + struct.pack("<I", offset) + name.encode())
    return local, central


def end_record(count, size, offset, comment_length):
    return b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count, count, size, offset, comment_length)


@vector("zip_two_end_records.pt", "dangerous", "dangerous-global",
        "two end records: the first one's comment reaches the end of the file and lists a benign data.pkl; the "
        "last signature (what miniz and zipfile use) lists one calling os.system")
def _():
    benign_local, benign_central = stored_zip_parts([("archive/data.pkl", benign_list()), ("archive/version", b"3\n")])
    evil_local, evil_central = stored_zip_parts(
        [("archive/data.pkl", os_system()), ("archive/version", b"3\n")], base=len(benign_local))
    body = benign_local + evil_local + benign_central
    # The first end record's comment holds the second directory and end record (whose own comment length
    # runs past the end of the file, so only a reader taking the last signature uses it).
    second = len(body) + 22
    comment = evil_central + end_record(2, len(evil_central), second, 7) + b"xyz"
    return body + end_record(2, len(benign_central), len(benign_local) + len(evil_local), len(comment)) + comment


@vector("zip_case_colliding_names.pt", "not-weights-only", "zip-case-colliding-names",
        "archive/data.pkl and archive/DATA.PKL: torch looks members up ignoring case, so which one it loads is "
        "not what a case-sensitive reader inspects")
def _():
    return torch_like_zip([("archive/DATA.PKL", benign_list())])


@vector("zip_shared_deflated_member.zip", "not-weights-only", "zip-local-central-mismatch",
        "32 central entries pointing at one deflated 256 MiB member of zeros: inflated once, and only as far "
        "as a probe needs")
def _():
    import zlib
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\x00" * (1 << 20)
    compressed = b"".join(compressor.compress(chunk) for _ in range(256)) + compressor.flush()
    size = 256 << 20
    crc = 0
    for _ in range(256):
        crc = zlib.crc32(chunk, crc)
    fields = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0x21, crc, len(compressed), size)
    local = b"PK\x03\x04" + fields + struct.pack("<HH", 8, 0) + b"data.bin" + compressed
    central = b""
    for index in range(32):
        name = b"data%02d.bin" % index
        central += (b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<HHHHHI", len(name), 0, 0, 0, 0, 0)
                    + struct.pack("<I", 0) + name)
    return local + central + end_record(32, len(central), len(local), 0)


@vector("zip_oversized_pickle_member.zip", "cannot-scan", "oversized",
        "a deflated member that is a pickle of 80 MiB (a BINBYTES8 of zeros): past 64 MiB inflated the verdict is "
        "oversized, never clean, and nothing past the cap is inflated")
def _():
    import zlib
    size = 80 << 20
    payload_head = proto(4) + b"\x8e" + struct.pack("<Q", size)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\x00" * (1 << 20)
    parts = [compressor.compress(payload_head)] + [compressor.compress(chunk) for _ in range(80)]
    compressed = b"".join(parts) + compressor.compress(STOP) + compressor.flush()
    crc = zlib.crc32(payload_head)
    for _ in range(80):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(STOP, crc)
    total = len(payload_head) + size + 1
    fields = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0x21, crc, len(compressed), total)
    local = b"PK\x03\x04" + fields + struct.pack("<HH", 8, 0) + b"data.pkl" + compressed
    central = (b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<HHHHHI", 8, 0, 0, 0, 0, 0)
               + struct.pack("<I", 0) + b"data.pkl")
    return local + central + end_record(1, len(central), len(local), 0)


def tar_bytes(members):
    import tarfile
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1577836800
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@vector("tar_checkpoint_pickle_member.pt", "dangerous", "dangerous-global",
        "a pre-1.0 tar checkpoint (storages, tensors, pickle) whose object pickle calls os.system: torch.load "
        "(weights_only=False) unpickles the `pickle` member")
def _():
    count = proto(2) + b"K\x00" + STOP
    return tar_bytes([("sys_info", proto(2) + EMPTY_DICT + STOP), ("storages", count), ("tensors", count),
                      ("pickle", os_system())])


@vector("tar_name_is_pickle.tar", "dangerous", "dangerous-global",
        "a valid tar whose first member name is a whole protocol-0 pickle: pickle.load (and np.load with "
        "allow_pickle) run it from byte 0, whatever tarfile makes of the rest")
def _():
    name = "cos\nsystem\n(S'echo pwned'\ntR."
    return tar_bytes([(name, b"x"), ("pickle", benign_list())])


@vector("set_additems_200k.pkl", "clean", "none",
        "a protocol-4 set of 200,000 ints built with ADDITEMS: every container operation hashed (CPython: 0.03 s)")
def _():
    out = bytearray(proto(4) + b"\x8f")  # EMPTY_SET
    for start in range(0, 200_000, 1000):
        out += MARK
        for value in range(start, start + 1000):
            out += b"J" + struct.pack("<i", value)
        out += b"\x90"  # ADDITEMS
    return bytes(out + STOP)


def npy(descr_literal, body, version=1):
    header = "{'descr': %s, 'fortran_order': False, 'shape': (1,), }" % descr_literal
    prefix = 10 if version == 1 else 12
    header += " " * (63 - (prefix + len(header)) % 64) + "\n"
    size = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + size + header.encode("latin-1" if version < 3 else "utf-8") + body


NPY_OBJECT_DESCRS = {
    "double_quotes": '"O"',
    "little_endian_O": "'<O'",
    "hex_escape": r"'\x4f'",
    "object_word": "'object'",
    "O8": "'O8'",
    "concatenated": "'ob' 'ject'",
    "comment": "'O' # an object array\n",
    "named_escape": r"'\N{LATIN CAPITAL LETTER O}'",
    "unicode_prefix": "u'O'",
    "comma_string": "'i4,O'",
    "subarray_string": "'(2,)O'",
    "subarray_tuple": "('O', (2,))",
    "structured_field": "[('a', '<f4'), ('b', '|O')]",
}
for _name, _descr in NPY_OBJECT_DESCRS.items():
    def _build(descr=_descr):
        return npy(descr, os_system())
    vector(f"npy_object_{_name}.npy", "dangerous", "dangerous-global",
           f"a .npy whose descr {_descr.strip()!s} may hold objects: the body is a pickle calling os.system")(_build)


@vector("npy_structured_plain.npy", "clean", "none",
        "a .npy with a structured dtype of plain fields (and a subarray field): data only")
def _():
    return npy("[('a', '<f4'), ('b', '<i8', (2,))]", b"\x00" * 20)


DANGER_GAPS = {
    "ctypes_dlopen": ("_ctypes", "dlopen", 2),
    "logging_config": ("logging.config", "dictConfig", 2),
    "typing_eval_type": ("typing", "_eval_type", 2),
    "typing_forward_ref": ("typing", "ForwardRef", 2),
    "fx_forward_from_src": ("torch.fx.graph_module", "_forward_from_src", 2),
    "cpp_extension_load_inline": ("torch.utils.cpp_extension", "load_inline", 2),
    "gzip_open": ("gzip", "open", 2),
    "bz2_open": ("bz2", "open", 2),
    "lzma_open": ("lzma", "open", 2),
    "python2_commands": ("commands", "getoutput", 2),
}
for _name, (_module, _attr, _protocol) in DANGER_GAPS.items():
    def _build(module=_module, attr=_attr, protocol=_protocol):
        return proto(protocol) + call(glob(module, attr), "echo pwned") + STOP
    vector(f"danger_{_name}.pkl", "dangerous", "dangerous-global",
           f"{_module}.{_attr}: runs code, loads native code or opens files (protocol {_protocol})")(_build)


@vector("not_a_model_readme.md", "skipped", "none",
        "a README: every reading (pickle from byte 0) ends before a global, a persistent id or a call")
def _():
    return b"# My model\n\nTrained on cats. See requirements.txt.\n"


@vector("not_a_model_requirements.txt", "skipped", "none",
        "a requirements.txt: not a model")
def _():
    return b"torch==2.15.0\nnumpy>=2\nsafetensors\n"


# Where scripts/scan_oracle.py (CPython's unpickler with inert stand-ins, torch's and NumPy's format decisions)
# and the scanner differ on purpose: file (or rule:NAME, any file where the scanner reports that rule), kind of
# difference, reason.
ORACLE_DIFFERENCES = """file\tkind\treason
frame_length_mismatch.pkl\taccepted\tCPython refuses a FRAME whose bytes run short; the scanner reads on past a frame anomaly and reports it (frame-boundary, dangerous): which opcodes run depends on the CPython version
frame_straddle_hidden_call.pkl\tglobals-missed\tthis CPython runs the builtins.print hidden across a FRAME (python/cpython#154848); the scanner reports the frame trick itself (frame-boundary, dangerous) instead of following the buffered read
frame_straddle_hidden_call_file.pkl\tglobals-missed\tthe same trick read from a file
nested_pickle.pkl\tglobals-extra\tthe scanner also traces the bytes handed to pickle.loads (the oracle's stand-in pickle.loads runs nothing)
malicious12.pkl\tglobals-extra\tthe same: a nested pickle passed to pickle.loads is traced
malicious1.7z\taccepted\t7z, gzip, bzip2, xz, zstd and RAR containers are reported cannot-scan (joblib and unpackers open them); no pickle reading reaches anything
rule:too-large\taccepted\ta scan cap (MARK depth, memo size, pickle length, member count) stops the scanner with cannot-scan, never clean, before CPython reaches the error further on that refuses the bytes
rule:too-large\tglobals-missed\tthe same cap: globals after the point where the scanner stopped are not read; the verdict is cannot-scan
rule:zip-encrypted\taccepted\tan encrypted member cannot be read without its password, so Python's zipfile reads nothing; a loader given the password would: the scanner reports it (cannot-scan), never clean
rule:zip-encryption-flag-on-plain-data\taccepted\tzipfile refuses a member flagged as encrypted; miniz ignores the flag and reads the plain pickle: the scanner follows miniz and reports the flag
rule:unparseable-zip\taccepted\ta zip record the scanner cannot parse is cannot-scan (never clean) even where no loader reads a member
rule:zip-local-central-mismatch\taccepted\tthe scanner reads a member whose local header, CRC or data descriptor disagrees with the central directory, as miniz (torch) does, and reports the mismatch; Python's zipfile refuses that member, so for a zip only zipfile finds (behind other data) no loader may read it
rule:zip-descriptor-mismatch\taccepted\tthe scanner reads a member whose local header, CRC or data descriptor disagrees with the central directory, as miniz (torch) does, and reports the mismatch; Python's zipfile refuses that member, so for a zip only zipfile finds (behind other data) no loader may read it
55c29a6e4f22a88213032a24dd380e7c15bdcfb9\tglobals-missed\ta PROTO 4 inside a protocol-0 pickle: CPython switches fix_imports off for the globals after it (the scanner follows, reporting __builtin__.sep15); the oracle's find_class cannot see the current protocol and maps by the first PROTO (builtins.sep15)
55c29a6e4f22a88213032a24dd380e7c15bdcfb9\tglobals-extra\tthe same name, seen from the scanner's side
"""


def main():
    global OUT
    if len(sys.argv) > 1:
        OUT = pathlib.Path(sys.argv[1])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ORACLE-DIFFERENCES.tsv").write_text(ORACLE_DIFFERENCES)
    lines = ["file\texpect\trule\twhy"]
    for name, expect, rule, why, build in VECTORS:
        (OUT / name).write_bytes(build())
        lines.append(f"{name}\t{expect}\t{rule}\t{why}")
    (OUT / "EXPECTED.tsv").write_text("\n".join(lines) + "\n")
    print(f"wrote {len(VECTORS)} vectors to {OUT}")


if __name__ == "__main__":
    main()
