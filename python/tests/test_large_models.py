"""Large models (issue 19): verified random access, modelseal.safe_open against the real safetensors,
sealed .safetensors through modelseal.load, sealed folders of real transformers checkpoints (GPT-2 and
BERT, >= 3 shards) through modelseal.transformers.from_pretrained, the folder's tamper matrix, and
load_into's peak memory measured in a subprocess."""
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
import torch

from conftest import assert_same_tensor

KEY = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
KEY_ENV = {"K": KEY}


def every_dtype_state() -> dict:
    torch.manual_seed(19)
    state = {
        "f32.big": torch.randn(300, 1000),  # 1.2 MB: spans many 64 KiB chunks
        "f32.row": torch.randn(7, 33),
        "f16": torch.randn(65, 129).half(),
        "bf16": torch.randn(40, 41).bfloat16(),
        "f64": torch.randn(17, 3, 5, dtype=torch.float64),
        "i64": torch.randint(-2**40, 2**40, (99,), dtype=torch.int64),
        "i32": torch.randint(-2**30, 2**30, (31, 2), dtype=torch.int32),
        "i16": torch.arange(-300, 300, dtype=torch.int16).reshape(20, 30),
        "i8": torch.randint(-128, 127, (257,), dtype=torch.int8),
        "u8": torch.randint(0, 255, (3, 3, 3), dtype=torch.uint8),
        "bool": torch.rand(11, 13) > 0.5,
        "f8e4m3": torch.randn(64, 8).to(torch.float8_e4m3fn),
        "f8e5m2": torch.randn(8, 64).to(torch.float8_e5m2),
        "scalar": torch.tensor(3.25),
        "empty": torch.empty(0, 5),
    }
    return state


@pytest.fixture(scope="module")
def signed_safetensors(tmp_path_factory, modelseal_bin):
    from safetensors.torch import save_file

    folder = tmp_path_factory.mktemp("st")
    state = every_dtype_state()
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt", "origin": "issue-19"})
    run_cli(modelseal_bin, folder, "keygen", "--sign", "-o", "vendor.key")
    run_cli(modelseal_bin, folder, "seal", "--key-env", "K", "--sign-key", "vendor.key", "--chunk-size", "64KiB",
            "-o", "model.safetensors.mseal", "model.safetensors")
    return folder, state


def run_cli(modelseal_bin, cwd, *args, check=True):
    result = subprocess.run([modelseal_bin, *map(str, args)], cwd=cwd, capture_output=True, timeout=300,
                            env=dict(os.environ, SWIFT_BACKTRACE="enable=no", **KEY_ENV))
    if check and result.returncode != 0:
        raise AssertionError(f"modelseal {' '.join(map(str, args))}: {result.returncode} {result.stderr.decode()}")
    return result


SLICES = [
    (slice(None),), (slice(1, 3),), (0,), (-1,), (slice(2, None),), (slice(None, None), slice(1, 3)),
    (slice(1, 5), 2), (slice(0, 0),), (slice(None, None, 2),), (Ellipsis, 0), (1, slice(None)),
]


def test_safe_open_matches_safetensors_on_every_dtype_and_slice(signed_safetensors, modelseal_pkg):
    from safetensors import safe_open

    folder, state = signed_safetensors
    with safe_open(str(folder / "model.safetensors"), framework="pt") as plain, modelseal_pkg.safe_open(
            folder / "model.safetensors.mseal", key=KEY, trust=str(folder / "vendor.key.pub")) as sealed:
        assert sealed.keys() == list(plain.keys())
        assert sealed.metadata() == plain.metadata()
        compared = 0
        for name in plain.keys():
            assert_same_tensor(sealed.get_tensor(name), plain.get_tensor(name), name)
            ours, theirs = sealed.get_slice(name), plain.get_slice(name)
            assert ours.get_shape() == theirs.get_shape() and ours.get_dtype() == theirs.get_dtype()
            for index in SLICES:
                try:
                    expected = theirs[index]
                except Exception:
                    continue  # a pattern safetensors itself refuses for this shape
                assert_same_tensor(ours[index], expected, f"{name}{index}")
                compared += 1
        assert compared > 60


@pytest.mark.parametrize("method", ["mapped", "memfd", "stream"])
def test_load_of_sealed_safetensors_returns_what_load_file_returns(signed_safetensors, modelseal_pkg, method):
    from safetensors.torch import load_file

    folder, _ = signed_safetensors
    expected = load_file(str(folder / "model.safetensors"))
    loaded = modelseal_pkg.load(folder / "model.safetensors.mseal", key=KEY, method=method,
                                trust=str(folder / "vendor.key.pub"))
    assert list(loaded) == list(expected)
    for name in expected:
        assert_same_tensor(loaded[name], expected[name], name)
    # Every tensor owns its memory (one read_extents call filled them all), so dropping some frees them.
    storages = [tensor.untyped_storage() for tensor in loaded.values() if tensor.numel()]
    assert len({storage.data_ptr() for storage in storages}) == len(storages)
    assert all(storage.nbytes() == tensor.nbytes for storage, tensor in
               zip(storages, [tensor for tensor in loaded.values() if tensor.numel()]))


def chunk_bounds(data: bytes):
    """(header length, payload end) of a sealed file (spec/CONTAINER.md §2, spec/SIGNATURES.md §3)."""
    header = int.from_bytes(data[12:16], "big")
    end = len(data)
    if data[-8:] == b"MSEALSIG":
        end -= int.from_bytes(data[-12:-8], "big") + 12
    return header, end


def test_random_access_reads_only_the_chunks_of_a_tensor(signed_safetensors, modelseal_pkg, tmp_path):
    folder, state = signed_safetensors
    data = bytearray((folder / "model.safetensors.mseal").read_bytes())
    with modelseal_pkg.safe_open(folder / "model.safetensors.mseal", key=KEY) as sealed:
        entries = {entry["name"]: entry for entry in sealed.entries()}
    header, end = chunk_bounds(bytes(data))
    sealed_chunk = (64 << 10) + 16
    big = entries["f32.big"]
    # A byte flipped in a chunk that only f32.big's data occupies (its third chunk of plaintext).
    chunk = big["begin"] // (64 << 10) + 2
    data[header + chunk * sealed_chunk + 100] ^= 1
    (tmp_path / "t.mseal").write_bytes(bytes(data))
    with modelseal_pkg.safe_open(tmp_path / "t.mseal", key=KEY) as sealed:
        assert_same_tensor(sealed.get_tensor("f16"), state["f16"])  # other chunks: still served, verified
        with pytest.raises(modelseal_pkg.TamperedFileError):
            sealed.get_tensor("f32.big")
        row = (chunk * (64 << 10) + 100 - big["begin"]) // 4000  # the row holding the flipped byte
        with pytest.raises(modelseal_pkg.TamperedFileError):
            sealed.get_slice("f32.big")[row]
        assert_same_tensor(sealed.get_slice("f32.big")[:2], state["f32.big"][:2])  # rows before it: served
    with pytest.raises(modelseal_pkg.TamperedFileError):
        modelseal_pkg.load(tmp_path / "t.mseal", key=KEY)


def test_random_access_refuses_a_file_cut_at_a_chunk_boundary(signed_safetensors, modelseal_pkg, tmp_path):
    folder, _ = signed_safetensors
    data = (folder / "model.safetensors.mseal").read_bytes()
    header, end = chunk_bounds(data)
    sealed_chunk = (64 << 10) + 16
    whole = (end - header) // sealed_chunk
    (tmp_path / "cut.mseal").write_bytes(data[: header + (whole - 1) * sealed_chunk])  # unsigned now: drop trailer
    with pytest.raises(modelseal_pkg.Error) as refused:
        modelseal_pkg.safe_open(tmp_path / "cut.mseal", key=KEY)
    assert refused.value.status in (11, 12)


def test_safe_open_refuses_a_flipped_trailer_before_reading(signed_safetensors, modelseal_pkg, tmp_path):
    folder, _ = signed_safetensors
    data = bytearray((folder / "model.safetensors.mseal").read_bytes())
    data[-40] ^= 1
    (tmp_path / "t.mseal").write_bytes(bytes(data))
    with pytest.raises(modelseal_pkg.Error) as refused:
        modelseal_pkg.safe_open(tmp_path / "t.mseal", key=KEY, trust=str(folder / "vendor.key.pub"))
    assert 20 <= refused.value.status <= 24


# ---- sealed folders of real transformers checkpoints ----------------------------------------


def gpt2():
    import transformers

    torch.manual_seed(2)
    config = transformers.GPT2Config(n_layer=3, n_embd=64, n_head=4, vocab_size=512, n_positions=64)
    return transformers.GPT2LMHeadModel(config).eval(), transformers.AutoModelForCausalLM


def bert():
    import transformers

    torch.manual_seed(3)
    config = transformers.BertConfig(num_hidden_layers=3, hidden_size=64, num_attention_heads=4,
                                     intermediate_size=128, vocab_size=512, max_position_embeddings=64)
    return transformers.BertForMaskedLM(config).eval(), transformers.AutoModelForMaskedLM


def make_folder(root, build, modelseal_bin, name):
    model, auto = build()
    plain = root / f"{name}-plain"
    model.save_pretrained(plain, safe_serialization=True, max_shard_size="150KB")
    (plain / "tokenizer.json").write_text(json.dumps({"version": "1.0", "model": {"type": "BPE"}}))
    (plain / "README.md").write_text("# a small test model\n")
    shards = sorted(plain.glob("*.safetensors"))
    assert len(shards) >= 3, shards
    for sealed in (f"{name}-sealed", f"{name}-sealed-again"):
        run_cli(modelseal_bin, root, "seal", "--key-env", "K", "--sign-key", "vendor.key", "--chunk-size", "64KiB",
                "-o", sealed, plain.name)
    return model, auto, plain, root / f"{name}-sealed", root / f"{name}-sealed-again"


@pytest.fixture(scope="module")
def folders(tmp_path_factory, modelseal_bin):
    pytest.importorskip("transformers")  # in python/tests/requirements.txt: never skipped by scripts/test.sh
    root = tmp_path_factory.mktemp("folders")
    run_cli(modelseal_bin, root, "keygen", "--sign", "-o", "vendor.key")
    return root, {name: make_folder(root, build, modelseal_bin, name) for name, build in
                  (("gpt2", gpt2), ("bert", bert))}


@pytest.mark.parametrize("name", ["gpt2", "bert"])
def test_from_pretrained_of_a_sealed_folder_gives_identical_logits(folders, modelseal_pkg, name):
    import modelseal.transformers

    root, made = folders
    model, auto, plain, sealed, _ = made[name]
    listing = sorted(path.name for path in sealed.iterdir())
    assert "modelseal-folder.mseal" in listing and "tokenizer.json" in listing and "config.json.mseal" in listing
    assert not any(item.endswith(".safetensors") for item in listing)  # every shard sealed
    loaded = modelseal.transformers.from_pretrained(auto, sealed, key=KEY, trust=str(root / "vendor.key.pub"))
    reference = auto.from_pretrained(plain).eval()
    tokens = torch.randint(0, 512, (2, 16), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ours, theirs, original = loaded(tokens).logits, reference(tokens).logits, model(tokens).logits
    assert torch.equal(ours, theirs) and torch.equal(ours, original)
    state = modelseal_pkg.load(sealed, key=KEY)
    from safetensors.torch import load_file
    expected = {}
    for shard in sorted(plain.glob("*.safetensors")):
        expected.update(load_file(str(shard)))
    assert sorted(state) == sorted(expected)
    for key in expected:
        assert_same_tensor(state[key], expected[key], key)


def damaged_copies(sealed, tmp_path):
    """(label, folder) for every damage the issue lists, each applied to a fresh copy of `sealed`."""
    for path in sorted(sealed.iterdir()):
        if not path.name.endswith(".mseal") or path.name == "config.json.mseal":
            continue
        data = path.read_bytes()
        header, end = chunk_bounds(data)
        sealed_chunk = (64 << 10) + 16
        chunks = max(1, -(-(end - header) // sealed_chunk))
        spots = {"header": 20, "first chunk": header + 5, "middle chunk": header + (chunks // 2) * sealed_chunk + 7,
                 "last chunk": end - 3, "trailer": len(data) - 40}
        for spot, offset in spots.items():
            copy = tmp_path / f"{path.name}-{spot.replace(' ', '-')}"
            shutil.copytree(sealed, copy)
            damaged = bytearray(data)
            damaged[offset] ^= 0x20
            (copy / path.name).write_bytes(bytes(damaged))
            yield f"{path.name}: {spot}", copy


def test_every_damage_to_a_sealed_folder_is_refused_with_nothing_returned(folders, modelseal_pkg, tmp_path,
                                                                         modelseal_bin):
    import modelseal.transformers

    root, made = folders
    _, auto, _, sealed, again = made["gpt2"]
    trust = str(root / "vendor.key.pub")
    cases = list(damaged_copies(sealed, tmp_path))
    shard = sorted(p.name for p in sealed.glob("model-*.safetensors.mseal"))[1]
    swapped = tmp_path / "swapped"
    shutil.copytree(sealed, swapped)
    shutil.copyfile(again / shard, swapped / shard)
    missing = tmp_path / "missing"
    shutil.copytree(sealed, missing)
    (missing / shard).unlink()
    extra = tmp_path / "extra"
    shutil.copytree(sealed, extra)
    (extra / "notes.txt").write_text("hello")
    clear = tmp_path / "clear"
    shutil.copytree(sealed, clear)
    (clear / "tokenizer.json").write_text("{}")
    cases += [("swapped shard", swapped), ("missing shard", missing), ("extra file", extra),
              ("changed clear file", clear)]
    assert len(cases) >= 5 * 5 + 4
    for label, folder in cases:
        with pytest.raises(modelseal_pkg.Error):
            modelseal.transformers.from_pretrained(auto, folder, key=KEY, trust=trust)
        with pytest.raises(modelseal_pkg.Error):
            modelseal_pkg.load(folder, key=KEY, trust=trust)
        check = run_cli(modelseal_bin, root, "open", "--key-env", "K", "--trust", trust, "--check", folder,
                        check=False)
        assert check.returncode != 0, label
        out = tmp_path / "out"
        opened = run_cli(modelseal_bin, root, "open", "--key-env", "K", "--trust", trust, "-o", out, folder,
                         check=False)
        assert opened.returncode != 0 and not out.exists(), label
    for label, folder in cases[-4:]:
        result = run_cli(modelseal_bin, root, "open", "--key-env", "K", "--check", folder, check=False)
        assert result.returncode == 45, (label, result.stderr)


def test_open_and_verify_accept_a_sealed_folder(folders, modelseal_bin, tmp_path):
    root, made = folders
    _, _, plain, sealed, _ = made["bert"]
    out = tmp_path / "plain-again"
    run_cli(modelseal_bin, root, "open", "--key-env", "K", "--trust", "vendor.key.pub", "-o", out, sealed)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in plain.iterdir())
    for path in plain.iterdir():
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name
    verified = run_cli(modelseal_bin, root, "verify", "--trust", "vendor.key.pub", sealed)
    assert b"modelseal-folder.mseal: valid" in verified.stdout
    refused = run_cli(modelseal_bin, root, "seal", "--key-env", "K", "-o", "-", plain, check=False)
    assert refused.returncode == 64
    listing = run_cli(modelseal_bin, root, "inspect", "--key-env", "K", sealed).stdout.decode()
    assert "set manifest verified" in listing and "tokenizer.json" in listing
    shards = [line for line in listing.splitlines() if ".safetensors" in line and "tensor(s)" in line]
    assert len(shards) == len(list(plain.glob("*.safetensors"))) >= 3
    unverified = run_cli(modelseal_bin, root, "inspect", sealed).stdout.decode()
    assert "UNVERIFIED" in unverified
    scanned = run_cli(modelseal_bin, root, "scan", "--key-env", "K", "--json", sealed, check=False)
    assert scanned.returncode == 0, scanned.stderr
    skipped = run_cli(modelseal_bin, root, "scan", "--json", sealed, check=False)
    assert skipped.returncode == 0 and b"sealed" in skipped.stdout


LOAD_INTO_PROBE = textwrap.dedent("""
    import json, sys, torch
    sys.path.insert(0, sys.argv[4])
    import modelseal

    def peak_kib():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

    def reset_peak():
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")

    torch.manual_seed(0)
    model = torch.nn.Sequential(*[torch.nn.Linear(1024, 1024) for _ in range(int(sys.argv[3]))])
    modelseal._ffi.lib()  # the library's own pages are a fixed cost, not part of the window
    reset_peak()
    before = peak_kib()
    if sys.argv[2] == "load_into":
        modelseal.load_into(model, sys.argv[1], key=sys.argv[5])
    else:
        model.load_state_dict(modelseal.load(sys.argv[1], key=sys.argv[5]))
    print(json.dumps({"before": before, "peak": peak_kib()}))
""")


def _peak_growth_kib(modelseal_pkg, sealed, mode: str, layers: int) -> int:
    python_dir = os.path.dirname(os.path.dirname(modelseal_pkg.__file__))
    out = subprocess.run([sys.executable, "-c", LOAD_INTO_PROBE, str(sealed), mode, str(layers), python_dir, KEY],
                         capture_output=True, text=True, timeout=300, check=True)
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    return probe["peak"] - probe["before"]


def test_load_into_peak_memory_is_the_model_plus_a_window(tmp_path, modelseal_pkg, modelseal_bin):
    """load_into's peak is the model plus a window (one tensor and one decryption batch) whatever the
    model's size; load + load_state_dict holds a second copy. The window's size depends on the machine
    (the batch is up to 4 chunks per core, at most 32 MiB), so the check is that doubling the model
    leaves the growth where it was, plus an absolute bound well under a second copy."""
    from safetensors.torch import save_file

    growth = {}
    sizes = {}
    for layers in (24, 48):  # 96 and 192 MiB of float32
        torch.manual_seed(0)
        model = torch.nn.Sequential(*[torch.nn.Linear(1024, 1024) for _ in range(layers)])
        save_file(model.state_dict(), str(tmp_path / f"m{layers}.safetensors"))
        run_cli(modelseal_bin, tmp_path, "seal", "--key-env", "K", "-o", f"m{layers}.mseal", f"m{layers}.safetensors")
        sizes[layers] = (tmp_path / f"m{layers}.safetensors").stat().st_size // 1024
        growth[layers] = _peak_growth_kib(modelseal_pkg, tmp_path / f"m{layers}.mseal", "load_into", layers)
    full = _peak_growth_kib(modelseal_pkg, tmp_path / "m24.mseal", "load", 24)
    print(f"load_into peak growth {growth[24]} KiB (model {sizes[24]} KiB), {growth[48]} KiB (model {sizes[48]} KiB); "
          f"load+load_state_dict {full} KiB")
    # Another 96 MiB of model adds (almost) nothing to load_into's peak; a second copy would add 96 MiB.
    assert growth[48] - growth[24] < (sizes[48] - sizes[24]) // 4
    # The window: a 4 MiB tensor, a batch of at most 32 MiB sealed chunks and the chunks being opened.
    assert growth[48] < sizes[48] // 2
    assert full > sizes[24] * 3 // 4
    model = torch.nn.Sequential(*[torch.nn.Linear(1024, 1024) for _ in range(24)])
    model.load_state_dict(modelseal_pkg.load(tmp_path / "m24.mseal", key=KEY))
    fresh = torch.nn.Sequential(*[torch.nn.Linear(1024, 1024) for _ in range(24)])
    modelseal_pkg.load_into(fresh, tmp_path / "m24.mseal", key=KEY)
    for (name, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        assert torch.equal(a, b), name


def test_seal_to_safetensors_delivers_no_pickle(tmp_path, modelseal_pkg, modelseal_bin):
    state = {"a": torch.randn(50, 60), "b": torch.arange(10, dtype=torch.int64), "c": torch.randn(3).half()}
    torch.save(state, tmp_path / "model.pt")
    run_cli(modelseal_bin, tmp_path, "seal", "--key-env", "K", "--to-safetensors", "-o", "model.mseal", "model.pt")
    with modelseal_pkg.safe_open(tmp_path / "model.mseal", key=KEY) as sealed:
        assert sealed.keys() == ["a", "b", "c"]
    loaded = modelseal_pkg.load(tmp_path / "model.mseal", key=KEY)
    for name, tensor in state.items():
        assert_same_tensor(loaded[name], tensor, name)
    plain = run_cli(modelseal_bin, tmp_path, "open", "--key-env", "K", "-o", "-", "model.mseal").stdout
    assert plain[8:9] == b"{" and b"PK\x03\x04" not in plain[:4]


class Aliased(torch.nn.Module):
    """A parameter, a float64 buffer (another dtype than the file's) and a buffer viewing the parameter's
    first row (memory another target overlaps): only `plain` can be decrypted straight into place."""

    def __init__(self):
        super().__init__()
        self.plain = torch.nn.Parameter(torch.zeros(64, 1024))
        self.weight = torch.nn.Parameter(torch.zeros(8, 1024))
        self.register_buffer("wide", torch.zeros(4, 256, dtype=torch.float64))
        self.register_buffer("head", self.weight.data[0])


def test_load_into_decrypts_straight_into_cpu_parameters_and_copies_the_rest(tmp_path, modelseal_pkg,
                                                                             modelseal_bin):
    from safetensors.torch import save_file

    torch.manual_seed(7)
    weight = torch.randn(8, 1024)
    state = {"plain": torch.randn(64, 1024), "weight": weight, "wide": torch.randn(4, 256),
             "head": weight[0].clone()}
    save_file(state, str(tmp_path / "a.safetensors"))
    run_cli(modelseal_bin, tmp_path, "seal", "--key-env", "K", "--chunk-size", "64KiB", "-o", "a.mseal",
            "a.safetensors")
    model = Aliased()
    before = {name: tensor.data_ptr() for name, tensor in model.state_dict().items()}
    modelseal_pkg.load_into(model, tmp_path / "a.mseal", key=KEY)
    for name, tensor in model.state_dict().items():
        assert tensor.data_ptr() == before[name], f"{name} was replaced, not filled"
        assert torch.equal(tensor, state[name].to(tensor.dtype)), name
    # A chunk inside `plain` (the directly filled tensor) flipped: the call fails and leaves zeros, not
    # the plaintext of the chunks that did authenticate.
    data = bytearray((tmp_path / "a.mseal").read_bytes())
    header = int.from_bytes(data[12:16], "big")
    data[header + 3 * ((64 << 10) + 16) + 50] ^= 1
    (tmp_path / "t.mseal").write_bytes(bytes(data))
    model = Aliased()
    model.plain.data.fill_(1.0)
    with pytest.raises(modelseal_pkg.TamperedFileError):
        modelseal_pkg.load_into(model, tmp_path / "t.mseal", key=KEY)
    assert torch.count_nonzero(model.plain) == 0


class Widened(torch.nn.Module):
    """Float64 parameters for a float32 file (so none can be decrypted straight into place), a bfloat16 buffer
    for a float16 tensor, and an int8 tensor kept in its own dtype but transposed (not contiguous)."""

    def __init__(self, sizes):
        super().__init__()
        self.layers = torch.nn.ParameterList(torch.nn.Parameter(torch.zeros(rows, 4096, dtype=torch.float64))
                                             for rows in sizes)
        self.register_buffer("narrow", torch.zeros(33, 17, dtype=torch.bfloat16))
        self.register_buffer("codes", torch.zeros(40, 24, dtype=torch.int8).t())


def test_load_into_stages_other_dtypes_in_windows_and_never_copies_an_unverified_window(
        tmp_path, modelseal_pkg, modelseal_bin, monkeypatch):
    """The staging path (`_staging.Stager`, also the CUDA path's code; CUDA itself is untested here): tensors
    another dtype than the file's are decrypted a window at a time by one read_extents call each, converted
    into the model's tensors in place; a window whose chunk fails never reaches the model."""
    from safetensors.torch import save_file
    from modelseal import _ffi, _staging

    sizes = [8, 20, 3, 40, 1, 12, 16, 9]  # rows of 4096 float32, 16 KiB each; the 40-row tensor is over the window
    torch.manual_seed(23)
    state = {f"layers.{index}": torch.randn(rows, 4096) for index, rows in enumerate(sizes)}
    state["narrow"] = torch.randn(33, 17).half()
    state["codes"] = torch.randint(-128, 127, (24, 40), dtype=torch.int8)
    save_file(state, str(tmp_path / "w.safetensors"))
    run_cli(modelseal_bin, tmp_path, "seal", "--key-env", "K", "--chunk-size", "64KiB", "-o", "w.mseal",
            "w.safetensors")
    monkeypatch.setattr(_staging, "WINDOW", 384 << 10)
    calls = []
    real = _ffi.SealedFile.read_extents

    def counted(self, extents):
        calls.append(sum(length for _, _, length in extents))
        return real(self, extents)

    monkeypatch.setattr(_ffi.SealedFile, "read_extents", counted)
    model = Widened(sizes)
    before = {name: tensor.data_ptr() for name, tensor in model.state_dict().items()}
    result = modelseal_pkg.load_into(model, tmp_path / "w.mseal", key=KEY)
    assert result == ([], [])
    for name, tensor in model.state_dict().items():
        assert tensor.data_ptr() == before[name], f"{name} was replaced, not filled"
        assert torch.equal(tensor, state[name].to(tensor.dtype)), name
    assert not model.codes.is_contiguous()
    # One call for the (empty) direct batch, then windows of at most 384 KiB, except the 640 KiB tensor alone.
    staged = calls[1:]
    assert calls[0] == 0 and sum(staged) == sum(t.numel() * t.element_size() for t in state.values())
    assert len(staged) >= 4 and all(size <= 384 << 10 or size == 640 << 10 for size in staged), staged
    # A flipped byte in a chunk of layers.5 (in a later window): the call fails, and that window's tensors
    # keep what they held; nothing of its decryption reached the model.
    header = _safetensors_header_length(tmp_path / "w.safetensors")
    begin = header + sum(sizes[:5]) * (16 << 10)
    data = bytearray((tmp_path / "w.mseal").read_bytes())
    sealed_header = int.from_bytes(data[12:16], "big")
    chunk = (begin + (64 << 10)) // (64 << 10)  # wholly inside layers.5 (192 KiB)
    data[sealed_header + chunk * ((64 << 10) + 16) + 100] ^= 1
    (tmp_path / "t.mseal").write_bytes(bytes(data))
    model = Widened(sizes)
    for tensor in model.layers:
        tensor.data.fill_(7.0)
    with pytest.raises(modelseal_pkg.TamperedFileError):
        modelseal_pkg.load_into(model, tmp_path / "t.mseal", key=KEY)
    assert torch.all(model.layers[5] == 7.0)


def _safetensors_header_length(path) -> int:
    """Bytes before a plain safetensors file's data: the 8-byte length and the JSON header."""
    with open(path, "rb") as file:
        return 8 + int.from_bytes(file.read(8), "little")
