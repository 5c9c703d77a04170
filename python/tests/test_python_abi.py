"""The C ABI: header, library and Python bindings agree; status table shared; misuse and fork."""
import ctypes
import os
import pathlib
import re
import subprocess
import sys

import pytest
import torch

REPO = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent


def header_path(modelseal_pkg) -> pathlib.Path:
    bundled = pathlib.Path(modelseal_pkg.__file__).with_name("modelseal.h")
    return bundled if bundled.exists() else REPO / "Sources/CModelSeal/include/modelseal.h"


def header_prototypes(text: str) -> dict[str, tuple[str, list[str]]]:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    prototypes = {}
    for match in re.finditer(r"^([\w ]+?\**)\s*(modelseal_\w+)\(([^)]*)\);", text, flags=re.M):
        result, name, arguments = match.groups()
        parameters = [] if arguments.strip() == "void" else [a.strip() for a in arguments.split(",")]
        prototypes[name] = (result.strip(), parameters)
    return prototypes


C_TYPES = {
    "uint32_t": ctypes.c_uint32,
    "uint64_t": ctypes.c_uint64,
    "int32_t": ctypes.c_int32,
    "const char *": ctypes.c_char_p,
    "size_t": ctypes.c_size_t,
    "const uint8_t *": ctypes.c_void_p,
    "uint8_t *": ctypes.c_void_p,
    "void": None,
}


def c_type(declaration: str, ffi):
    declaration = re.sub(r"\s*\b\w+$", "", declaration.strip()) if declaration.strip() not in C_TYPES else declaration
    declaration = declaration.replace(" *", " *").strip()
    if declaration in ("modelseal_keyring *", "const modelseal_keyring *", "modelseal_file *", "modelseal_folder *",
                       "modelseal_server_request *"):
        return ctypes.c_void_p
    if declaration == "char *":
        return ctypes.c_char_p
    if declaration in ("modelseal_keyring **", "modelseal_file **", "modelseal_folder **", "uint8_t **",
                       "modelseal_server_request **"):
        return ctypes.POINTER(ctypes.c_void_p)
    if declaration in ("uint64_t *", "const uint64_t *"):
        return ctypes.POINTER(ctypes.c_uint64)
    if declaration in ("size_t *", "const size_t *"):
        return ctypes.POINTER(ctypes.c_size_t)
    if declaration == "uint8_t *const *":
        return ctypes.POINTER(ctypes.c_void_p)
    if declaration == "int32_t *":
        return ctypes.POINTER(ctypes.c_int32)
    return C_TYPES[declaration]


def test_header_and_python_bindings_agree(modelseal_pkg):
    from modelseal import _ffi

    prototypes = header_prototypes(header_path(modelseal_pkg).read_text())
    assert set(prototypes) == set(_ffi.FUNCTIONS)
    for name, (result, parameters) in prototypes.items():
        bound_result, bound_arguments = _ffi.FUNCTIONS[name]
        assert c_type(result, _ffi) == bound_result, name
        assert [c_type(p, _ffi) for p in parameters] == list(bound_arguments), name


def test_library_exports_exactly_the_header(modelseal_pkg):
    from modelseal import _ffi

    exported = subprocess.run(
        ["nm", "-D", "--defined-only", str(_ffi.library_path())], capture_output=True, text=True, check=True
    ).stdout
    globals_ = {line.split()[-1].split("@")[0] for line in exported.splitlines() if re.search(r" [TDBRVW] ", line)}
    prototypes = header_prototypes(header_path(modelseal_pkg).read_text())
    assert globals_ == set(prototypes)


def test_library_needs_no_swift_toolchain(modelseal_pkg):
    from modelseal import _ffi

    needed = subprocess.run(["ldd", str(_ffi.library_path())], capture_output=True, text=True, check=True).stdout
    assert "libswift" not in needed and "/opt/swift" not in needed and "Foundation" not in needed


def test_header_constants_match_the_python_table(modelseal_pkg):
    from modelseal import _errors, _ffi

    text = header_path(modelseal_pkg).read_text()
    assert int(re.search(r"#define MODELSEAL_ABI_VERSION (\d+)", text).group(1)) == _ffi.ABI_VERSION
    codes = {name: int(value) for name, value in re.findall(r"#define MODELSEAL_(\w+) (\d+)\n", text)}
    for name, cls in [("WRONG_KEY", "WrongKeyError"), ("TAMPERED", "TamperedFileError"), ("TRUNCATED", "TruncatedFileError"),
                      ("MALFORMED", "FormatError"), ("KEY_ERROR", "InvalidKeyError"), ("USAGE", "UsageError"),
                      ("INVALID_SIGNATURE", "SignatureError"), ("MODEL_MALFORMED", "ModelFormatError")]:
        assert _errors.class_for_status(codes[name]).__name__ == cls


def test_status_table_is_shared_by_library_and_python(modelseal_pkg):
    from modelseal import _errors, _ffi

    library = _ffi.lib()
    for code in range(0, 256):
        name = library.modelseal_status_name(code).decode()
        expected = "" if code == 0 else _errors.class_for_status(code).__name__
        assert name == expected, code
        assert getattr(modelseal_pkg, name or "Error").__name__ == (name or "Error")


def test_c_program_compiled_against_the_header(tmp_path, modelseal_pkg, fernet_key):
    from modelseal import _ffi

    program = tmp_path / "abi_check"
    library = _ffi.library_path()
    subprocess.run(
        ["gcc", "-std=c11", "-Wall", "-Werror", "-I", str(header_path(modelseal_pkg).parent), str(HERE / "abi_check.c"),
         "-o", str(program), str(library), f"-Wl,-rpath,{library.parent}"],
        check=True,
    )
    modelseal_pkg.save({"w": torch.randn(70000)}, tmp_path / "m.mseal", key=fernet_key, chunk_log2=16)
    result = subprocess.run([str(program), str(tmp_path / "m.mseal"), fernet_key.decode()], capture_output=True,
                            text=True, env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("abi ok")


def test_no_library_thread_outlives_a_call_and_fork_is_safe(tmp_path, modelseal_pkg, fernet_key):
    state = {"w": torch.randn(600000)}
    modelseal_pkg.save(state, tmp_path / "m.mseal", key=fernet_key, chunk_log2=16)
    code = f"""
import os, sys, torch
torch.set_num_threads(1)
sys.path[:0] = {sys.path!r}
import modelseal
threads = lambda: len(os.listdir('/proc/self/task'))
before = threads()
state = modelseal.load({str(tmp_path / 'm.mseal')!r}, key={fernet_key!r})
assert threads() == before, (before, threads())
pid = os.fork()
if pid == 0:
    again = modelseal.load({str(tmp_path / 'm.mseal')!r}, key={fernet_key!r}, method='stream')
    os._exit(0 if torch.equal(again['w'], state['w']) else 3)
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0, status
print('fork ok')
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "fork ok" in result.stdout


def test_last_error_is_per_thread(modelseal_pkg):
    import threading

    from modelseal import _ffi

    library = _ffi.lib()
    messages = {}

    def fail(name):
        ring = ctypes.c_void_p()
        library.modelseal_keyring_new(ctypes.byref(ring))
        status = library.modelseal_keyring_add_raw_key_env(ring, name.encode())
        messages[name] = (status, library.modelseal_last_error().decode())
        library.modelseal_keyring_free(ring)

    threads = [threading.Thread(target=fail, args=(f"MODELSEAL_UNSET_{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name, (status, message) in messages.items():
        assert status == 14 and name in message


def test_backtracer_is_disabled_while_loading(modelseal_pkg, monkeypatch):
    from modelseal import _ffi

    seen = {}
    real = ctypes.CDLL

    def spy(path, *args, **kwargs):
        seen["value"] = os.environ.get("SWIFT_BACKTRACE")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(ctypes, "CDLL", spy)
    monkeypatch.setenv("SWIFT_BACKTRACE", "enable=yes")
    _ffi._load(_ffi.library_path())
    assert seen["value"] == "enable=no"
    assert os.environ["SWIFT_BACKTRACE"] == "enable=yes"
