#!/usr/bin/env python3
"""The differential oracle for `modelseal scan` (docs/SCAN.md, "Differential testing").

For each file it asks the real loaders what they would do, executing nothing:

- CPython's own C unpickler (`pickle.Unpickler`) reads pickles from byte 0, one after another as long as
  each completes (torch's legacy layout, concatenated payloads), with a `find_class` that returns inert
  stand-in classes (NEWOBJ needs a type; calls, BUILD, APPEND, SETITEM on them record nothing and run
  nothing) and a `persistent_load` that accepts what torch's does (`('storage', ...)`/`('module', ...)`
  tuples). `find_class` sees the names as written, so the `_compat_pickle` mapping is applied here by the
  pickle's protocol, as CPython's own `find_class` does. A module that is not a dotted identifier cannot be
  imported: the load raises there.
- torch's format decision (`torch.serialization._is_zipfile`, `tarfile.open`) and NumPy's
  (`numpy.lib.format.read_magic` / `read_array_header_*`, `dtype.hasobject`) for zips and `.npy` files.
- Python's `zipfile` for a file that does not start with a zip record but holds one found by its end
  record (self-extracting layout): that reading opens, so the file is accepted, and its members are judged
  by the scanner's own zip rules, as for a zip at offset 0 (globals the scanner reports in those members
  are not compared; globals of the pickle reading from byte 0 are).

It then runs ONE `modelseal scan --json --all --files-from -` over every file and compares, per file:
  accepted   the oracle's readings reached a global, a persistent id or a call (or a pickle completed)
             <=> the scanner did not call the file "not a model";
  globals    the globals CPython imports that are outside torch's weights-only allowlist <=> the globals
             the scanner reports (dangerous-global, unknown-global, attribute-pivot).
Intentional differences (the scanner's caps, constructs it reports instead of following) are listed with
reasons in Tests/Vectors/scan/ORACLE-DIFFERENCES.tsv, per file or, with `rule:NAME` in the file column,
for every file where the scanner reports that rule; anything else is a disagreement (exit 1).

    .venv/bin/python scripts/scan_oracle.py --bin .build/debug/modelseal FILE_OR_DIR...
"""
import _compat_pickle
import argparse
import io
import json
import os
import pathlib
import pickle
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
DIFFERENCES = REPO / "Tests" / "Vectors" / "scan" / "ORACLE-DIFFERENCES.tsv"
MAX_PICKLES = 1024
MAX_BYTES = 64 << 20


class _StandInBase:
    """An object a global or call would have produced: accepts everything, does nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _StandInBase()

    def __setstate__(self, state):
        pass

    def extend(self, items):
        pass

    def append(self, item):
        pass

    def add(self, item):
        pass

    def __setitem__(self, key, value):
        pass

    def __reduce__(self):
        raise TypeError("stand-in")


def _stand_in(module, name):
    return type("StandIn", (_StandInBase,), {"__module__": "oracle", "_global": f"{module}.{name}"})


def _is_dotted_identifier(text):
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def _protocol(data):
    return data[1] if len(data) >= 2 and data[0] == 0x80 else 0


class OracleUnpickler(pickle.Unpickler):
    """CPython's C unpickler with inert globals and torch's persistent_load rule."""

    def __init__(self, stream, protocol, record):
        # latin-1: the most permissive reading of protocol-2 str payloads a caller can ask for (torch passes
        # utf-8, pickle.load defaults to ASCII; both stop earlier). The scanner follows the widest reading.
        super().__init__(stream, encoding="latin1")
        self._protocol = protocol
        self._record = record

    def find_class(self, module, name):
        if self._protocol < 3:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        if not _is_dotted_identifier(module):
            raise ModuleNotFoundError(f"No module named {module!r}")
        self._record.append(f"{module}.{name}")
        return _stand_in(module, name)

    def persistent_load(self, pid):
        if isinstance(pid, tuple) and pid and pid[0] in ("storage", b"storage", "module", b"module"):
            self._record.append("<persistent>")
            return _StandInBase()
        raise pickle.UnpicklingError("persistent id refused (not torch's storage/module tuple)")


def pickle_stream(data):
    """Pickles read from byte 0 while each completes: (reached, globals, completed pickles, error)."""
    stream = io.BytesIO(data)
    globals_seen, reached, count, error = [], False, 0, None
    while stream.tell() < len(data) and count < MAX_PICKLES:
        start = stream.tell()
        record = []
        try:
            OracleUnpickler(stream, _protocol(data[start:start + 2]), record).load()
        except Exception as exc:  # noqa: BLE001 - every loader error ends this reading
            globals_seen += [g for g in record if g != "<persistent>"]
            reached = reached or bool(record)
            error = f"{type(exc).__name__}: {exc}"
            break
        globals_seen += [g for g in record if g != "<persistent>"]
        reached = True
        count += 1
    return reached, globals_seen, count, error


def torch_format(path, data):
    """torch.load's decision for a path: safetensors / zip / tar / pickle."""
    import tarfile
    import torch.serialization as serialization

    if str(path).endswith(".safetensors"):
        return "safetensors"
    with io.BytesIO(data) as stream:
        if serialization._is_zipfile(stream):
            return "zip"
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:", format=tarfile.PAX_FORMAT):
            return "tar"
    except tarfile.TarError:
        return "pickle"


def tar_globals(data):
    """torch's legacy tar reading: the `pickle` member's pickle, the pickles of `storages` and `tensors`; and
    whether the archive is a tar checkpoint at all (one of those members present)."""
    import tarfile

    found, is_checkpoint = [], False
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        for name in ("storages", "tensors", "pickle"):
            try:
                member = archive.extractfile(name)
            except KeyError:
                continue
            is_checkpoint = True
            if member is not None:
                found += pickle_stream(member.read())[1]
    return found, is_checkpoint


def numpy_object(data):
    """For a .npy: whether np.load would unpickle the body (None if the header does not load)."""
    import numpy.lib.format as fmt

    stream = io.BytesIO(data)
    try:
        version = fmt.read_magic(stream)
        reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        if version == (3, 0):
            reader = fmt._read_array_header  # noqa: SLF001 - the reader np.load uses for 3.0
            _shape, _order, dtype = reader(stream, version)
        else:
            _shape, _order, dtype = reader(stream)
    except Exception:  # noqa: BLE001
        return None, stream.tell()
    return bool(dtype.hasobject), stream.tell()


def is_safetensors(data):
    """Whether the safetensors library itself reads the bytes (whatever the file is called)."""
    try:
        import safetensors.numpy

        safetensors.numpy.load(data)
    except Exception:  # noqa: BLE001
        return False
    return True


def read_member(archive, info):
    """A member's bytes as zipfile reads them, None where it refuses. torch's miniz does not check a member's
    CRC, and neither does the scanner: a member that fails only its CRC counts as read."""
    import zipfile

    try:
        return archive.read(info)
    except zipfile.BadZipFile as exc:
        if "CRC" not in str(exc):
            return None
    except Exception:  # noqa: BLE001 - this member does not read
        return None
    with archive.open(info) as member:
        member._expected_crc = None  # noqa: SLF001 - read past the CRC check, as miniz does
        try:
            return member.read()
        except Exception:  # noqa: BLE001
            return None


def zipfile_members(data):
    """For a zip found by its end record behind other data: the names Python's zipfile lists and whether it
    reads a pickle member (named `*.pkl` or starting with a PROTO opcode) or a nested zip (which the scanner
    opens too) to the end (None if it opens no archive). A member that does not read (a name or CRC that differs) gives a loader nothing."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names, readable = set(archive.namelist()), False
            for info in archive.infolist()[:MAX_PICKLES]:
                content = read_member(archive, info)
                if content is None:
                    continue
                if info.filename.endswith(".pkl") or content[:1] == b"\x80" or content[:4] == b"PK\x03\x04":
                    readable = True
                    break
            return names, readable
    except Exception:  # noqa: BLE001 - any refusal means this reading does not exist
        return None


def weights_only_name(qualified):
    """The name torch's weights-only unpickler checks against its allowlist: it applies the Python 2 mapping
    whatever the pickle's protocol (`_read_global_instruction`), where CPython's find_class maps only below
    protocol 3. `__builtin__.set` in a protocol-5 pickle is allowed there (and fails to import in pickle.load)."""
    from torch._weights_only_unpickler import IMPORT_MAPPING, NAME_MAPPING

    module, _, name = qualified.rpartition(".")
    if (module, name) in NAME_MAPPING:
        module, name = NAME_MAPPING[(module, name)]
    elif module in IMPORT_MAPPING:
        module = IMPORT_MAPPING[module]
    return f"{module}.{name}"


def allowed_globals():
    from torch._weights_only_unpickler import _get_allowed_globals

    return set(_get_allowed_globals())


def oracle(path, allowed):
    data = pathlib.Path(path).read_bytes()[:MAX_BYTES]
    result = {"format": None, "reached": False, "globals": set(), "error": None}
    if data[:6] == b"\x93NUMPY":
        has_object, body = numpy_object(data)
        result["format"] = "npy"
        result["reached"] = True
        if has_object:
            reached, found, _count, error = pickle_stream(data[body:])
            result["globals"] = {g for g in found if weights_only_name(g) not in allowed}
            result["error"] = error
        return result
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        result["format"] = "zip"
        result["reached"] = None  # members: decided by the scanner's own zip rules (not compared here)
        return result
    result["format"] = torch_format(path, data)
    reached, found, count, error = pickle_stream(data)
    result["reached"] = reached or count > 0 or is_safetensors(data)
    if result["format"] == "tar":
        tar_found, is_checkpoint = tar_globals(data)
        found = found + tar_found
        result["reached"] = result["reached"] or is_checkpoint
    result["globals"] = {g for g in found if weights_only_name(g) not in allowed}
    result["error"] = error
    archive = zipfile_members(data)
    if archive is not None:
        result["zipfile_members"], readable = archive
        result["reached"] = result["reached"] or readable
    return result


def scanner_reports(binary, files):
    process = subprocess.run(
        [binary, "scan", "--json", "--all", "--files-from", "-"],
        input="\n".join(str(f) for f in files) + "\n", capture_output=True, text=True, check=False)
    if not process.stdout:
        raise SystemExit(f"scanner printed nothing: {process.stderr}")
    return {entry["path"]: entry for entry in json.loads(process.stdout)["files"]}


GLOBAL_RULES = {"dangerous-global", "unknown-global", "attribute-pivot"}


def in_members(member, names):
    """Whether a finding's member is one of the archive's members or inside one (a nested archive)."""
    return any(member == name or member.startswith(name + "/") or member.startswith(name + "!") for name in names)


def scanner_view(report, zip_members=frozenset()):
    rules = {f["rule"] for f in report["findings"]}
    # Globals inside nested pickles (bytes handed to pickle.loads) are the scanner's extra reading; so are
    # the members of a zip that only Python's zipfile finds behind other data (judged by the zip rules).
    found = {
        f["global"] for f in report["findings"]
        if f["rule"] in GLOBAL_RULES and f["global"] and "nested@" not in (f["member"] or "")
        and not in_members(f["member"] or "", zip_members)
    }
    return {"accepted": "unrecognized-format" not in rules and "empty" not in rules, "globals": found, "rules": rules}


def intentional():
    table = {}
    if DIFFERENCES.exists():
        for line in DIFFERENCES.read_text().splitlines()[1:]:
            if line.strip():
                name, kind, _reason = line.split("\t", 2)
                table.setdefault(name, set()).add(kind)
    return table


def rule_differences(table, rules):
    """The kinds allowed by `rule:NAME` rows for the rules the scanner reported."""
    allowed = set()
    for rule in rules:
        allowed |= table.get(f"rule:{rule}", set())
    return allowed


def bound_memory(limit=2 << 30):
    """CPython allocates a counted payload before reading it: a mutated length must raise MemoryError in the
    oracle, not take the machine's memory. Torch and NumPy are imported first (their mappings are large)."""
    import resource

    import numpy  # noqa: F401
    import safetensors.numpy  # noqa: F401
    import torch  # noqa: F401

    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    current = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (current + limit, hard))


def compare(files, binary):
    allowed = allowed_globals()
    bound_memory()
    reports = scanner_reports(binary, files)
    table = intentional()
    counts = {"files": 0, "agree": 0, "intentional": 0, "disagree": 0}
    disagreements = []
    for path in files:
        counts["files"] += 1
        expected = oracle(path, allowed)
        seen = scanner_view(reports[str(path)], expected.get("zipfile_members") or frozenset())
        kinds = []
        if expected["reached"] is not None and expected["reached"] != seen["accepted"]:
            kinds.append("accepted")
        if expected["format"] in ("pickle", "tar", "safetensors", "npy"):
            # The scanner may report more (other readings, nested pickles): only what CPython reached and
            # the scanner missed, or what the scanner reports that no reading reached, is a difference.
            missing = expected["globals"] - seen["globals"]
            extra = seen["globals"] - expected["globals"]
            if missing:
                kinds.append("globals-missed")
            if extra and not {"computed-global", "frame-boundary"} & seen["rules"]:
                kinds.append("globals-extra")
        # A replayed mutation is named ORIGINAL.N.bin: the original's intentional differences apply.
        name = pathlib.Path(path).name
        allowed_kinds = table.get(name, set()) | table.get(name.rsplit(".", 2)[0], set())
        allowed_kinds |= rule_differences(table, seen["rules"])
        if (expected["error"] or "").startswith("MemoryError"):
            # CPython sizes its memo by the largest index (LONG_BINPUT 1.5e9 wants 12 GB): where this oracle,
            # bounded to 2 GiB, runs out, a bigger machine reads on as the scanner does. Inconclusive.
            allowed_kinds = allowed_kinds | {"accepted", "globals-missed", "globals-extra"}
        if {"frame-boundary", "computed-global"} & seen["rules"]:
            # Frame tricks are judged by rule (dangerous), not followed: what runs depends on CPython's version;
            # a STACK_GLOBAL built by a call is dangerous by rule (the oracle's inert calls return no str).
            allowed_kinds = allowed_kinds | {"accepted", "globals-missed", "globals-extra"}
        if not kinds:
            counts["agree"] += 1
        elif set(kinds) <= allowed_kinds:
            counts["intentional"] += 1
        else:
            counts["disagree"] += 1
            disagreements.append((str(path), kinds, expected, seen))
    return counts, disagreements


def expand(paths):
    files = []
    for item in paths:
        item = pathlib.Path(item)
        if item.is_dir():
            files += sorted(p for p in item.rglob("*") if p.is_file() and p.name not in ("EXPECTED.tsv", "ORACLE-DIFFERENCES.tsv"))
        else:
            files.append(item)
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.environ.get("MODELSEAL_BIN", str(REPO / ".build/debug/modelseal")))
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    counts, disagreements = compare(expand(args.paths), args.bin)
    for path, kinds, expected, seen in disagreements:
        print(f"DISAGREE {path}: {', '.join(kinds)}\n  oracle:  {expected}\n  scanner: {seen}")
    print(" ".join(f"{key}={value}" for key, value in counts.items()))
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
