"""Leak forensics (issue 18) on torchvision ResNet-18 with real torch: fidelity of the Tier B mark, and
tracing after the attacks docs/MARKING.md lists — the right customer named, no innocent among 10,000
issued ids. Set MARK_RESULTS=path to write the measured table as JSON."""
import json
import os
import subprocess

import pytest
import torch
import torchvision
from safetensors.torch import save_file

ISSUED = 10_000
LEAKER = "cust-00042"
COLLUDERS = [f"cust-{1000 + i:05d}" for i in range(8)]
MODEL_ID = "resnet18-test-v1"
RESULTS = []


def ids():
    return [f"cust-{i:05d}" for i in range(ISSUED)]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, modelseal_bin):
    """The original ResNet-18 (seed 0), the secret, the issued ids, and marked copies for the leaker and colluders."""
    root = tmp_path_factory.mktemp("mark")
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None).eval()
    original = {k: v.detach().clone() for k, v in model.state_dict().items()}
    torch.save(original, root / "original.pt")
    (root / "secret").write_bytes(bytes((i * 37 + 11) % 256 for i in range(32)))
    (root / "issued.txt").write_text("\n".join(ids()) + "\n")

    def cli(*args, check=True):
        result = subprocess.run([modelseal_bin, *map(str, args)], capture_output=True, text=True, timeout=300,
                                env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
        if check and result.returncode != 0:
            raise AssertionError(f"modelseal {' '.join(map(str, args))}: {result.returncode} {result.stderr}")
        return result

    def mark(customer, out):
        report = cli("mark", "--secret", root / "secret", "--customer", customer, "--model-id", MODEL_ID,
                     "--registry", root / "registry.json", "--json", "-o", out, root / "original.pt")
        return json.loads(report.stdout)

    reports = {c: mark(c, root / f"{c}.pt") for c in [LEAKER] + COLLUDERS}
    marked = {c: torch.load(root / f"{c}.pt", weights_only=True) for c in [LEAKER] + COLLUDERS}
    return dict(root=root, model=model, original=original, marked=marked, reports=reports, cli=cli)


def trace(lab, state, name, fmt="pt"):
    path = lab["root"] / f"suspect-{name}.{fmt}"
    if fmt == "pt":
        torch.save(state, path)
    else:
        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    result = lab["cli"]("trace", path, "--original", lab["root"] / "original.pt", "--secret", lab["root"] / "secret",
                        "--model-id", MODEL_ID, "--customers", lab["root"] / "issued.txt", "--json")
    assert result.returncode == 0
    return json.loads(result.stdout)


def record(name, report, expected):
    accused = [a["customer"] for a in report["accused"]]
    named = [a for a in report["accused"] if a["customer"] in expected]
    row = dict(attack=name, expected=expected, accused=accused,
               z_min_expected=min((a["z"] for a in named), default=None),
               z_all_min=min((a["z_all"] for a in named), default=None),
               z_tail_min=min((a["z_tail"] for a in named), default=None),
               runner_up_z=(report["runner_up"] or {}).get("z"), threshold=report["threshold_z"],
               null_std=report["null"]["std_z_all"], weights_scored=report["evidence"]["tier_b"]["weights_scored"])
    keep(row)
    return accused


def keep(row):
    RESULTS.append(row)
    if os.environ.get("MARK_RESULTS"):
        with open(os.environ["MARK_RESULTS"], "w") as out:
            json.dump(RESULTS, out, indent=1)


def assert_named(report, name, expected):
    accused = record(name, report, expected)
    assert sorted(accused) == sorted(expected), f"{name}: accused {accused}, expected {expected}"
    # The empirical null: 10,000 never-used patterns score like fair ±1 sums.
    null = report["null"]
    assert null["count"] == ISSUED - len(expected)
    assert abs(null["mean_z_all"]) < 0.1 and 0.9 < null["std_z_all"] < 1.1
    assert null["max_z"] < report["threshold_z"]
    assert report["family_wise_false_positive_bound"] <= 1e-9


# ---- fidelity -------------------------------------------------------------------------------------------------

def test_fidelity_bound_and_top1(lab):
    report = lab["reports"][LEAKER]
    assert report["marked_tensors"] == 21  # conv and fc weights of ResNet-18 with ≥ 4096 elements
    assert 0 < report["max_relative_change"] <= 1e-3
    original, marked = lab["original"], lab["marked"][LEAKER]
    for name, tensor in original.items():
        delta = (marked[name].double() - tensor.double()).norm() / max(tensor.double().norm(), 1e-30)
        assert delta <= 1e-3, name
        if tensor.dim() < 2 or tensor.numel() < 4096:
            assert torch.equal(marked[name], tensor), f"{name} must be unchanged"
    torch.manual_seed(1)
    inputs = torch.randn(1000, 3, 32, 32)
    copy = torchvision.models.resnet18(weights=None).eval()
    copy.load_state_dict(marked)
    with torch.no_grad():
        a = torch.cat([lab["model"](x).argmax(1) for x in inputs.split(250)])
        b = torch.cat([copy(x).argmax(1) for x in inputs.split(250)])
    agreement = (a == b).double().mean().item()
    keep(dict(attack="fidelity", top1_agreement=agreement, max_relative_change=report["max_relative_change"]))
    assert agreement >= 0.999


def test_registry_records_every_mark(lab):
    registry = json.loads((lab["root"] / "registry.json").read_text())
    assert [m["customer"] for m in registry["marks"]] == [LEAKER] + COLLUDERS
    assert all(m["model_id"] == MODEL_ID and m["tier"] == "B" for m in registry["marks"])


# ---- robustness ------------------------------------------------------------------------------------------------

def floats(state):
    return {k: v for k, v in state.items() if v.is_floating_point()}


def test_clean_copy_and_original(lab):
    assert_named(trace(lab, lab["marked"][LEAKER], "clean"), "none (delivered copy)", [LEAKER])
    # The original itself leaves no residual at all: nothing to score, nobody accused.
    report = trace(lab, lab["original"], "original")
    assert report["accused"] == [] and report["evidence"]["tier_b"]["weights_scored"] == 0
    # An unmarked copy that went through fp16: residuals everywhere, none of them anyone's pattern.
    half = {k: (v.half() if v.is_floating_point() else v) for k, v in lab["original"].items()}
    assert_named(trace(lab, half, "original-fp16"), "unmarked original, fp16 cast", [])


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision(lab, dtype):
    state = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in lab["marked"][LEAKER].items()}
    fmt = "safetensors" if dtype == torch.bfloat16 else "pt"
    assert_named(trace(lab, state, str(dtype), fmt), f"{dtype} cast", [LEAKER])


def rtn(w, bits, group=None):
    levels = 2 ** (bits - 1) - 1
    if group is None:  # per output channel
        rows = w.reshape(w.shape[0], -1)
        scale = rows.abs().amax(1, keepdim=True).clamp_min(1e-12) / levels
        return (torch.round(rows / scale).clamp(-levels - 1, levels) * scale).reshape(w.shape)
    flat = w.reshape(-1)
    pad = (-flat.numel()) % group
    groups = torch.cat([flat, flat.new_zeros(pad)]).reshape(-1, group)
    scale = groups.abs().amax(1, keepdim=True).clamp_min(1e-12) / levels
    deq = torch.round(groups / scale).clamp(-levels - 1, levels) * scale
    return deq.reshape(-1)[: flat.numel()].reshape(w.shape)


@pytest.mark.parametrize("name,bits,group", [("int8 per-channel RTN", 8, None), ("int4 group-128 RTN", 4, 128)])
def test_quantization(lab, name, bits, group):
    state = {k: (rtn(v, bits, group) if v.is_floating_point() and v.dim() >= 2 else v)
             for k, v in lab["marked"][LEAKER].items()}
    assert_named(trace(lab, state, name.split()[0]), name, [LEAKER])


# ---- suspects stored as integers (dequantized by trace; spec/MARK.md §4.1) -----------------------------------

def quantized_suspect(lab, layout):
    """The leaker's copy with every marked weight stored as integers in a tool's on-disk layout."""
    state = {}
    for k, v in lab["marked"][LEAKER].items():
        if not (v.is_floating_point() and v.dim() >= 2 and v.numel() >= 4096):
            state[k] = v
            continue
        module, rows = k[: -len(".weight")], v.reshape(v.shape[0], -1)
        absmax = rows.abs().amax(1, keepdim=True).clamp_min(1e-12)
        if layout == "torch-qint8":  # torch.quantize_per_channel along the output channel
            scale = (absmax[:, 0] / 127).double()
            state[k] = torch.quantize_per_channel(v, scale, torch.zeros(v.shape[0], dtype=torch.long), 0, torch.qint8)
        elif layout == "compressed-int8":  # compressed-tensors int-quantized, channel strategy
            scale = absmax / 127
            state[k] = torch.round(rows / scale).clamp(-128, 127).to(torch.int8).reshape(v.shape)
            state[module + ".weight_scale"] = scale.float()
        elif layout == "bitsandbytes-int8":  # LLM.int8: weight int8 + SCB (the row's absmax)
            state[k] = torch.round(rows * 127 / absmax).clamp(-127, 127).to(torch.int8).reshape(v.shape)
            state[module + ".SCB"] = absmax[:, 0].float()
        elif layout == "compressed-int4-g128":  # compressed-tensors pack-quantized, group 128, fp16 scales
            from compressed_tensors.compressors.pack_quantized.helpers import pack_to_int32
            groups = -(-rows.shape[1] // 128)
            padded = torch.nn.functional.pad(rows, (0, groups * 128 - rows.shape[1])).reshape(rows.shape[0], groups, 128)
            scale = (padded.abs().amax(2).clamp_min(1e-12) / 7).half()
            codes = torch.round(padded / scale.float().unsqueeze(2)).clamp(-8, 7).reshape(rows.shape[0], -1)
            state[module + ".weight_packed"] = pack_to_int32(codes[:, : rows.shape[1]].to(torch.int8), 4)
            state[module + ".weight_scale"] = scale
            state[module + ".weight_shape"] = torch.tensor(list(v.shape), dtype=torch.int32)
    return state


@pytest.mark.parametrize("layout,fmt", [("torch-qint8", "pt"), ("compressed-int8", "safetensors"),
                                        ("bitsandbytes-int8", "safetensors"),
                                        ("compressed-int4-g128", "safetensors")])
def test_integer_suspects_are_dequantized(lab, layout, fmt):
    report = trace(lab, quantized_suspect(lab, layout), layout, fmt)
    dequantized = report["evidence"]["tier_b"]["dequantized"]
    assert len(dequantized) == 21 and report["evidence"]["tier_b"]["tensors_matched"] == 21, dequantized
    assert_named(report, f"stored as integers: {layout}", [LEAKER])


@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_magnitude_pruning(lab, fraction):
    state = {}
    for k, v in lab["marked"][LEAKER].items():
        if v.is_floating_point() and v.dim() >= 2:
            cut = v.abs().flatten().kthvalue(max(1, int(fraction * v.numel()))).values
            v = torch.where(v.abs() <= cut, torch.zeros_like(v), v)
        state[k] = v
    assert_named(trace(lab, state, f"prune{fraction}"), f"{int(fraction * 100)}% magnitude pruning", [LEAKER])


@pytest.mark.parametrize("level", [0.01, 0.1])
def test_gaussian_noise(lab, level):
    generator = torch.Generator().manual_seed(7)
    state = {}
    for k, v in lab["marked"][LEAKER].items():
        if v.is_floating_point() and v.dim() >= 2:
            rms = v.reshape(v.shape[0], -1).pow(2).mean(1).sqrt().reshape(-1, *([1] * (v.dim() - 1)))
            v = v + level * rms * torch.randn(v.shape, generator=generator)
        state[k] = v
    assert_named(trace(lab, state, f"noise{level}"), f"Gaussian noise {level:.0%} of row RMS", [LEAKER])


def test_fine_tuning(lab):
    torch.manual_seed(3)
    model = torchvision.models.resnet18(weights=None)
    model.load_state_dict(lab["marked"][LEAKER])
    inputs = torch.randn(128, 3, 32, 32)
    with torch.no_grad():
        labels = (inputs.mean((1, 2, 3)) * 1000).long() % 10
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    for _ in range(3):  # three epochs of 4 batches
        for x, y in zip(inputs.split(32), labels.split(32)):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
    state = {k: v.detach() for k, v in model.state_dict().items()}
    changes = sorted(((state[k] - v).norm() / v.norm()).item() for k, v in lab["marked"][LEAKER].items()
                     if v.dim() >= 2)
    report = trace(lab, state, "finetune")
    keep(dict(attack="fine-tuning weight change", median_relative_change=changes[len(changes) // 2],
                        min_relative_change=changes[0], max_relative_change=changes[-1]))
    assert changes[len(changes) // 2] > 1e-3, "the fine-tuning must move the weights more than the mark did"
    assert_named(report, "fine-tuning 3 epochs (SGD lr 0.01 momentum 0.9, 128 generated images)", [LEAKER])


def test_renamed_keys(lab):
    items = list(lab["marked"][LEAKER].items())
    renamed = {f"w{len(items) - i:03d}": v for i, (k, v) in enumerate(items) if v.is_floating_point()}
    report = trace(lab, renamed, "renamed", "safetensors")
    assert report["evidence"]["tier_b"]["matched_by_shape"] == 21
    assert_named(report, "renamed keys (order reversed)", [LEAKER])


@pytest.mark.parametrize("k", [2, 4, 8])
def test_collusion_by_averaging(lab, k):
    copies = [lab["marked"][c] for c in COLLUDERS[:k]]
    state = {name: (sum(c[name] for c in copies) / k if copies[0][name].is_floating_point() else copies[0][name])
             for name in copies[0]}
    assert_named(trace(lab, state, f"avg{k}"), f"average of {k} customers' copies", COLLUDERS[:k])


# ---- the CLI's other paths -------------------------------------------------------------------------------------

def test_safetensors_input_and_16_bit_original(lab, tmp_path):
    state = {k: v.to(torch.float16).contiguous() for k, v in lab["original"].items() if v.is_floating_point()}
    save_file(state, str(tmp_path / "half.safetensors"))
    out = lab["cli"]("mark", "--secret", lab["root"] / "secret", "--customer", LEAKER, "--model-id", MODEL_ID,
                     "--registry", tmp_path / "r.json", "--json", "-o", tmp_path / "m.safetensors",
                     tmp_path / "half.safetensors")
    report = json.loads(out.stdout)
    assert report["max_ulps"] == 1 and report["format"] == "safetensors"
    keep(dict(attack="fp16 original: measured ratio", max_relative_change=report["max_relative_change"]))
    from safetensors.torch import load_file
    marked = load_file(str(tmp_path / "m.safetensors"))
    assert set(marked) == set(state)
    for k, v in state.items():
        if v.dim() < 2:
            assert torch.equal(marked[k], v)
    result = lab["cli"]("trace", tmp_path / "m.safetensors", "--original", tmp_path / "half.safetensors",
                        "--secret", lab["root"] / "secret", "--model-id", MODEL_ID, "--registry", tmp_path / "r.json",
                        "--json")
    assert [a["customer"] for a in json.loads(result.stdout)["accused"]] == [LEAKER]


def test_seal_mark_opens_to_a_traceable_copy(lab, tmp_path, modelseal_bin):
    key = lab["cli"]("keygen", "--symmetric").stdout.strip()
    env = dict(os.environ, MODEL_KEY=key, SWIFT_BACKTRACE="enable=no")
    sealed = tmp_path / "acme.mseal"

    def run(*args):
        return subprocess.run([modelseal_bin, *map(str, args)], env=env, capture_output=True, timeout=300)

    result = run("seal", "--key-env", "MODEL_KEY", "--mark", "acme", "--tier-a", "--secret", lab["root"] / "secret",
                 "--model-id", MODEL_ID, "--registry", tmp_path / "reg.json", "-q", "-o", sealed,
                 lab["root"] / "original.pt")
    assert result.returncode == 0, result.stderr
    assert not any(p.suffix == ".pt" for p in tmp_path.iterdir()), "no marked plaintext on disk"
    opened = run("open", "--key-env", "MODEL_KEY", "-o", tmp_path / "opened.pt", sealed)
    assert opened.returncode == 0, opened.stderr
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(["acme"] + ids()[:999]) + "\n")
    report = json.loads(lab["cli"]("trace", tmp_path / "opened.pt", "--original", lab["root"] / "original.pt",
                                   "--secret", lab["root"] / "secret", "--model-id", MODEL_ID,
                                   "--customers", ids_file, "--json").stdout)
    assert [a["customer"] for a in report["accused"]] == ["acme"]
    assert report["evidence"]["tier_a"]["customer"] == "acme"
    registry = json.loads((tmp_path / "reg.json").read_text())
    assert [(m["customer"], m["tier"]) for m in registry["marks"]] == [("acme", "A+B")]


@pytest.mark.parametrize("args,needle", [
    (["--secret", "short"], "16 to 4096"),
    (["--customer", ""], "customer id"),
    (["--alpha", "0.01"], "amplitude"),
])
def test_bad_requests_fail_cleanly(lab, tmp_path, args, needle):
    (tmp_path / "short").write_bytes(b"abc")
    base = {"--secret": str(lab["root"] / "secret"), "--customer": "x", "--model-id": MODEL_ID}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = str(tmp_path / value) if flag == "--secret" else value
    flat = [x for pair in base.items() for x in pair]
    result = lab["cli"]("mark", *flat, "--registry", tmp_path / "r.json", "-o", tmp_path / "o.pt",
                        lab["root"] / "original.pt", check=False)
    assert result.returncode not in (0, 1) and needle in result.stderr
    assert not (tmp_path / "o.pt").exists()


def test_non_model_input_is_refused(lab, tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    result = lab["cli"]("mark", "--secret", lab["root"] / "secret", "--customer", "x", "--model-id", MODEL_ID,
                        "--registry", tmp_path / "r.json", "-o", tmp_path / "o.pt", tmp_path / "junk.pt", check=False)
    assert result.returncode not in (0, 1) and result.stderr.startswith("modelseal: error:")


def test_legacy_checkpoint_stays_legacy(lab, tmp_path):
    torch.save(lab["original"], tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    lab["cli"]("mark", "--secret", lab["root"] / "secret", "--customer", LEAKER, "--model-id", MODEL_ID,
               "--registry", tmp_path / "r.json", "-o", tmp_path / "m.pt", tmp_path / "legacy.pt")
    data = (tmp_path / "m.pt").read_bytes()
    assert not data.startswith(b"PK") and len(data) == (tmp_path / "legacy.pt").stat().st_size
    marked = torch.load(tmp_path / "m.pt", weights_only=True)
    assert all(torch.equal(marked[k], lab["marked"][LEAKER][k]) for k in marked)  # the same mark as in .pt zip
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(ids()[:200]) + "\n")
    report = json.loads(lab["cli"]("trace", tmp_path / "m.pt", "--original", tmp_path / "legacy.pt", "--secret",
                                   lab["root"] / "secret", "--model-id", MODEL_ID, "--customers", ids_file,
                                   "--json").stdout)
    assert [a["customer"] for a in report["accused"]] == [LEAKER]


def test_trace_takes_the_threshold_from_the_registry(lab, tmp_path):
    lab["cli"]("mark", "--secret", lab["root"] / "secret", "--customer", "big-only", "--model-id", "r18-big",
               "--min-elements", "40000", "--registry", tmp_path / "r.json", "-o", tmp_path / "m.pt",
               lab["root"] / "original.pt")
    report = json.loads(lab["cli"]("trace", tmp_path / "m.pt", "--original", lab["root"] / "original.pt",
                                   "--secret", lab["root"] / "secret", "--model-id", "r18-big", "--registry",
                                   tmp_path / "r.json", "--json").stdout)
    assert report["evidence"]["tier_b"]["tensors_marked"] == 14  # 7 of the 21 are below 40,000 elements
    assert [a["customer"] for a in report["accused"]] == ["big-only"]


# ---- Tier A: permutations of hidden units (spec/MARK.md §8) ---------------------------------------------------

def mark_file(lab, original, customer, out, *extra, model_id=MODEL_ID):
    result = lab["cli"]("mark", "--secret", lab["root"] / "secret", "--customer", customer, "--model-id", model_id,
                        "--registry", out.parent / "registry.json", "--json", *extra, "-o", out, original)
    return json.loads(result.stdout)


def trace_file(lab, suspect, original, model_id=MODEL_ID):
    result = lab["cli"]("trace", suspect, "--original", original, "--secret", lab["root"] / "secret",
                        "--model-id", model_id, "--customers", lab["root"] / "issued.txt", "--json")
    return json.loads(result.stdout)


def assert_tier_a(report, name, customer):
    tier_a = report["evidence"]["tier_a"]
    keep(dict(attack=f"Tier A: {name}", tier_a_customer=tier_a["customer"], symbol_errors=tier_a["symbol_errors"],
              invalid_chunks=tier_a["invalid_chunks"], code_length=tier_a["code_length"],
              units_moved=tier_a["units_moved"], tier_a_false_positive_bound=tier_a["false_positive_bound"]))
    assert tier_a["customer"] == customer, f"{name}: Tier A named {tier_a['customer']}, expected {customer}"
    assert tier_a["false_positive_bound"] <= ISSUED * 2.0 ** -64


@pytest.fixture(scope="module")
def resnet_tier_a(lab):
    out = lab["root"] / "tier-a" / f"{LEAKER}.pt"
    out.parent.mkdir(exist_ok=True)
    report = mark_file(lab, lab["root"] / "original.pt", LEAKER, out, "--tier-a")
    return report, out, torch.load(out, weights_only=True)


def test_tier_a_resnet_outputs_unchanged_and_traced(lab, resnet_tier_a):
    report, path, state = resnet_tier_a
    assert report["tier_a"]["template"] == "torchvision-resnet" and report["tier_a"]["slots"] == 8 + 4
    assert report["tier_a"]["units_moved"] > 2000
    tier_b_only = lab["marked"][LEAKER]
    assert any(not torch.equal(state[k], tier_b_only[k]) for k in state)
    # The same customer's Tier B copy and Tier A+B copy compute the same function, up to summation order.
    a, b = torchvision.models.resnet18(weights=None).eval(), torchvision.models.resnet18(weights=None).eval()
    a.load_state_dict(tier_b_only)
    b.load_state_dict(state)
    torch.manual_seed(5)
    x = torch.randn(64, 3, 64, 64)
    with torch.no_grad():
        ya, yb = a(x), b(x)
    keep(dict(attack="Tier A fidelity (ResNet-18)", max_abs_diff=(ya - yb).abs().max().item(),
              output_scale=ya.abs().max().item()))
    assert torch.allclose(ya, yb, rtol=1e-4, atol=1e-4 * ya.abs().max().item())
    traced = trace_file(lab, path, lab["root"] / "original.pt")
    assert_named(traced, "Tier A+B copy (ResNet-18)", [LEAKER])
    assert_tier_a(traced, "delivered copy (ResNet-18)", LEAKER)
    assert traced["evidence"]["tier_a"]["symbol_errors"] == 0


NORM = ("weight", "bias", "running_mean", "running_var")


def resnet_streams(state):
    """The residual stream of a torchvision ResNet state dict, one (permuted along axis 0, along axis 1) pair of
    name lists per stretch between downsamples, written from the architecture independently of the template."""
    stream, streams = (["conv1.weight"] + [f"bn1.{p}" for p in NORM], []), []
    blocks = [k[: -len(".conv1.weight")] for k in state if k.startswith("layer") and k.endswith(".conv1.weight")]
    for block in blocks:
        last = "3" if f"{block}.conv3.weight" in state else "2"
        out = [f"{block}.conv{last}.weight"] + [f"{block}.bn{last}.{p}" for p in NORM]
        stream[1].append(f"{block}.conv1.weight")
        if f"{block}.downsample.0.weight" in state:
            stream[1].append(f"{block}.downsample.0.weight")
            streams.append(stream)
            stream = (out + [f"{block}.downsample.0.weight"] + [f"{block}.downsample.1.{p}" for p in NORM], [])
        else:
            stream[0].extend(out)
    stream[1].append("fc.weight")
    return streams + [stream]


def repermuted(state, seed, streams=True):
    """Every block's hidden channels (and the residual stream) permuted again at random: a function-preserving
    removal attempt."""
    generator = torch.Generator().manual_seed(seed)
    state = dict(state)
    for name in [k for k in state if k.startswith("layer") and k.endswith(".conv1.weight")]:
        block = name[: -len("conv1.weight")]
        perm = torch.randperm(state[name].shape[0], generator=generator)
        state[name] = state[name][perm]
        for part in NORM:
            state[block + "bn1." + part] = state[block + "bn1." + part][perm]
        state[block + "conv2.weight"] = state[block + "conv2.weight"][:, perm]
    for rows, columns in resnet_streams(state) if streams else []:
        perm = torch.randperm(state[rows[0]].shape[0], generator=generator)
        for name in rows:
            state[name] = state[name][perm]
        for name in columns:
            state[name] = state[name][:, perm]
    return state


def test_tier_a_repermuted_copy_is_still_traced(lab, resnet_tier_a):
    _, _, state = resnet_tier_a
    attacked = repermuted(state, 11)
    a, b = torchvision.models.resnet18(weights=None).eval(), torchvision.models.resnet18(weights=None).eval()
    a.load_state_dict(state)
    b.load_state_dict(attacked)
    x = torch.randn(8, 3, 64, 64, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        ya, yb = a(x), b(x)
    assert torch.allclose(ya, yb, rtol=1e-4, atol=1e-4 * ya.abs().max().item()), "the attack keeps the function"
    report = trace(lab, attacked, "tier-a-repermuted")
    # Alignment undoes the new permutations: Tier B names the leaker; the Tier A code itself is gone.
    assert report["evidence"]["tier_a"]["units_moved"] > 2800  # of 2,880
    assert_named(report, "re-permutation of hidden channels and residual stream (Tier A copy, Tier B after "
                 "alignment)", [LEAKER])
    assert_tier_a(report, "re-permuted copy (the code is destroyed; nobody named)", None)


def renamed(state):
    """Float tensors under meaningless names, in reverse order (as in test_renamed_keys)."""
    items = [(k, v) for k, v in state.items() if v.is_floating_point()]
    return {f"w{len(items) - i:03d}": v for i, (k, v) in enumerate(items)}


@pytest.mark.parametrize("repermute", [False, True])
def test_tier_a_renamed_and_permuted(lab, resnet_tier_a, repermute):
    _, _, state = resnet_tier_a
    attacked = renamed(repermuted(state, 12) if repermute else state)
    name = "renamed keys" + (" and re-permuted units" if repermute else "") + " (Tier A copy)"
    report = trace(lab, attacked, "tier-a-renamed" + ("-repermuted" if repermute else ""), "safetensors")
    tier_b = report["evidence"]["tier_b"]
    assert tier_b["tensors_matched"] == 21 and tier_b["matched_by_shape"] == 21, tier_b
    assert_named(report, name, [LEAKER])
    assert_tier_a(report, name, None if repermute else LEAKER)


def test_tier_a_alone_names_the_leaker(lab, resnet_tier_a, tmp_path):
    """Noise at 30% of row RMS drowns Tier B, but the permutations survive: Tier A alone accuses."""
    _, _, state = resnet_tier_a
    generator = torch.Generator().manual_seed(13)
    attacked = {}
    for k, v in state.items():
        if v.is_floating_point() and v.dim() >= 2:
            rms = v.reshape(v.shape[0], -1).pow(2).mean(1).sqrt().reshape(-1, *([1] * (v.dim() - 1)))
            v = v + 0.3 * rms * torch.randn(v.shape, generator=generator)
        attacked[k] = v
    report = trace(lab, attacked, "tier-a-noise30")
    assert_named(report, "Tier A copy, Gaussian noise 30% of row RMS (Tier A alone)", [LEAKER])
    assert_tier_a(report, "Gaussian noise 30% of row RMS", LEAKER)
    [accused] = report["accused"]
    assert accused["tiers"] == ["A"] and accused["z"] < report["threshold_z"]
    assert accused["false_positive_bound"] == pytest.approx(ISSUED * 2.0 ** -64)
    assert report["family_wise_false_positive_bound"] <= 1e-9
    # The null: the same suspect against ids never issued (the leaker's among them nowhere) accuses nobody.
    never = tmp_path / "never.txt"
    never.write_text("\n".join(f"never-{i:05d}" for i in range(1000)) + "\n")
    null = json.loads(lab["cli"]("trace", lab["root"] / "suspect-tier-a-noise30.pt", "--original",
                                 lab["root"] / "original.pt", "--secret", lab["root"] / "secret", "--model-id",
                                 MODEL_ID, "--customers", never, "--json").stdout)
    assert null["accused"] == [] and null["evidence"]["tier_a"]["decoded"] and null["evidence"]["tier_a"]["customer"] is None


def randomized_norms(model, seed):
    """Random BatchNorm affine parameters and running statistics, so that a norm left out of a permutation
    changes the output (torchvision initialises them all alike)."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            n = module.num_features
            module.weight.data = 0.5 + torch.rand(n, generator=generator)
            module.bias.data = 0.2 * torch.randn(n, generator=generator)
            module.running_mean = 0.2 * torch.randn(n, generator=generator)
            module.running_var = 0.5 + torch.rand(n, generator=generator)
    return model


@pytest.mark.parametrize("arch,slots", [("resnet18", 8 + 4), ("resnet50", 32 + 5)])
def test_tier_a_residual_stream_outputs_unchanged(lab, tmp_path, arch, slots):
    torch.manual_seed(0)
    model = randomized_norms(getattr(torchvision.models, arch)(weights=None).eval(), 1)
    original = {k: v.detach().clone() for k, v in model.state_dict().items()}
    torch.save(original, tmp_path / "original.pt")
    mark_file(lab, tmp_path / "original.pt", LEAKER, tmp_path / "b.pt")
    report = mark_file(lab, tmp_path / "original.pt", LEAKER, tmp_path / "a.pt", "--tier-a")
    assert report["tier_a"]["slots"] == slots
    b, a = (torch.load(tmp_path / f"{x}.pt", weights_only=True) for x in "ba")
    # Every tensor on a slot's edge moved: all but the step counters and fc.bias.
    changed = {k for k in a if not torch.equal(a[k], b[k])}
    assert changed == {k for k in a if not k.endswith("num_batches_tracked") and k != "fc.bias"}
    for rows, columns in resnet_streams(original):
        assert all(sorted(a[n].tolist()) == sorted(b[n].tolist()) for n in rows if a[n].dim() == 1)
    outputs = []
    for state in (b, a):
        copy = getattr(torchvision.models, arch)(weights=None).eval()
        copy.load_state_dict(state)
        with torch.no_grad():
            outputs.append(copy(torch.randn(16, 3, 64, 64, generator=torch.Generator().manual_seed(5))))
    diff = (outputs[0] - outputs[1]).abs().max().item()
    keep(dict(attack=f"Tier A fidelity with the residual stream ({arch}, random norms)", max_abs_diff=diff,
              output_scale=outputs[0].abs().max().item(), units_moved=report["tier_a"]["units_moved"]))
    assert diff <= 1e-4 * outputs[0].abs().max().item()
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(ids()[:200]) + "\n")
    traced = json.loads(lab["cli"]("trace", tmp_path / "a.pt", "--original", tmp_path / "original.pt", "--secret",
                                   lab["root"] / "secret", "--model-id", MODEL_ID, "--customers", ids_file,
                                   "--json").stdout)
    assert [(x["customer"], x["tiers"]) for x in traced["accused"]] == [(LEAKER, ["A", "B"])]
    assert traced["evidence"]["tier_a"]["symbol_errors"] == 0


@pytest.mark.parametrize("attack", ["int4 group-128 RTN", "Gaussian noise 10% of row RMS"])
def test_tier_a_survives(lab, resnet_tier_a, attack):
    _, _, state = resnet_tier_a
    if attack.startswith("int4"):
        attacked = {k: (rtn(v, 4, 128) if v.is_floating_point() and v.dim() >= 2 else v) for k, v in state.items()}
    else:
        generator = torch.Generator().manual_seed(9)
        attacked = {}
        for k, v in state.items():
            if v.is_floating_point() and v.dim() >= 2:
                rms = v.reshape(v.shape[0], -1).pow(2).mean(1).sqrt().reshape(-1, *([1] * (v.dim() - 1)))
                v = v + 0.1 * rms * torch.randn(v.shape, generator=generator)
            attacked[k] = v
    report = trace(lab, attacked, "tier-a-" + attack.split()[0])
    assert_named(report, f"Tier A copy, {attack}", [LEAKER])
    assert_tier_a(report, attack, LEAKER)


@pytest.mark.parametrize("family", ["gpt2", "bert"])
def test_tier_a_transformers(lab, tmp_path, family):
    import transformers
    torch.manual_seed(0)
    if family == "gpt2":
        config = transformers.GPT2Config(n_layer=2, n_embd=384, n_head=6, vocab_size=1000, n_positions=64,
                                         bos_token_id=0, eos_token_id=0)
        model = transformers.GPT2Model(config).eval()
    else:
        config = transformers.BertConfig(hidden_size=384, num_hidden_layers=2, num_attention_heads=6,
                                         intermediate_size=1536, vocab_size=1000, max_position_embeddings=64)
        model = transformers.BertModel(config).eval()
    original = tmp_path / "original.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(original))
    model_id = f"{family}-tier-a-test"
    b_report = mark_file(lab, original, "cust-00007", tmp_path / "b.safetensors", model_id=model_id)
    a_report = mark_file(lab, original, "cust-00007", tmp_path / "a.safetensors", "--tier-a", model_id=model_id)
    assert "tier_a" not in b_report and a_report["tier_a"]["template"] == family
    assert a_report["tier_a"]["slots"] == 4  # per layer: the MLP hidden units and the heads
    from safetensors.torch import load_file
    outputs = []
    ids = torch.randint(0, 1000, (8, 32), generator=torch.Generator().manual_seed(2))
    for path in (tmp_path / "b.safetensors", tmp_path / "a.safetensors"):
        copy = type(model)(config).eval()
        copy.load_state_dict(load_file(str(path)))
        with torch.no_grad():
            outputs.append(copy(input_ids=ids).last_hidden_state)
    diff = (outputs[0] - outputs[1]).abs().max().item()
    keep(dict(attack=f"Tier A fidelity ({family})", max_abs_diff=diff, output_scale=outputs[0].abs().max().item()))
    assert diff <= 1e-4 * outputs[0].abs().max().item()
    report = trace_file(lab, tmp_path / "a.safetensors", original, model_id=model_id)
    assert_named(report, f"Tier A+B copy ({family})", ["cust-00007"])
    assert_tier_a(report, f"delivered copy ({family})", "cust-00007")
