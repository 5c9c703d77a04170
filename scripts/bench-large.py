#!/usr/bin/env python3
"""Benchmark of issue 19 (large models), every side timed in the same run, page cache warm:

  get_tensor   one 16 MiB tensor: modelseal.safe_open(sealed).get_tensor(name) vs
               safetensors.safe_open(plain).get_tensor(name).clone() (safetensors maps lazily: the clone
               makes it read every byte once, as ours does); calls alternating in one process, then each
               side alone in a process of its own (sides alternating, --process-runs rounds): in one process
               the peer's parallel clone leaves torch's OpenMP threads spinning into our next call
  full load    modelseal.load(sealed .safetensors) vs safetensors.torch.load_file(plain) + clone of every
               tensor: seconds, GB/s and the ratio
  load_into    time: modelseal.load_into(model, sealed) vs model.load_state_dict(load_file(plain)), into a
               module already holding every tensor (in one process, alternating);
               peak RSS growth of modelseal.load_into(model, sealed) vs model.load_state_dict(modelseal.load(...))
               (fresh process each, peak reset through /proc/self/clear_refs), against the model's size
  resnet50     one .pt file (torchvision ResNet-50, random init): in one process, alternating with
               torch.load, modelseal.load with each method; the first call and the median of the rest
  fresh        the full load and the ResNet-50 load again, one call per fresh process, sides alternating
               (A B A B ...; --process-runs rounds): what a program that loads its model once pays. In one
               process the peer's allocator hands the next call the memory the last one freed (no page
               faults), while a mapped plaintext buffer goes back to the kernel when its tensors die; a
               fresh process has nothing to reuse on either side

Medians over --runs; `uptime`'s load average before and after is printed with the figures: on a shared
machine the figures are loaded ones. Usage (after scripts/build-python.sh, which builds the release library):

    .venv/bin/python scripts/bench-large.py [--size-gib 4] [--runs 5] [--get-tensor-runs 100] [--process-runs 5]
        [--json bench-out/large.json]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
KEY = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
TENSOR_BYTES = 16 << 20

PEAK_PROBE = r"""
import json, sys, torch
sys.path.insert(0, sys.argv[4])
import modelseal
from safetensors import safe_open

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024

names = safe_open(sys.argv[2], framework="pt").keys()
model = torch.nn.Module()
for name in names:
    model.register_parameter(name, torch.nn.Parameter(torch.zeros(%d // 4)))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status("VmRSS:")
if sys.argv[3] == "load_into":
    modelseal.load_into(model, sys.argv[1], key=sys.argv[5])
else:
    model.load_state_dict(modelseal.load(sys.argv[1], key=sys.argv[5]))
print(json.dumps({"growth": status("VmHWM:") - before}))
""" % TENSOR_BYTES


def load_average() -> str:
    return pathlib.Path("/proc/loadavg").read_text().split(" ")[:3].__str__()


def modelseal_bin() -> str:
    return os.environ.get("MODELSEAL_BIN") or str(REPO / "python" / "build" / "modelseal")


def make_files(work: pathlib.Path, size_gib: float):
    import torch
    from safetensors.torch import save_file

    plain, sealed = work / "big.safetensors", work / "big.safetensors.mseal"
    if not plain.exists():
        count = max(1, int(size_gib * (1 << 30)) // TENSOR_BYTES)
        generator = torch.Generator().manual_seed(19)
        state = {f"t{index:05d}": torch.rand(TENSOR_BYTES // 4, generator=generator) for index in range(count)}
        save_file(state, str(plain))
        del state
    if not sealed.exists():
        subprocess.run([modelseal_bin(), "seal", "-q", "--key-env", "K", "-o", str(sealed), str(plain)], check=True,
                       env=dict(os.environ, K=KEY))
    for path in (plain, sealed):  # warm the page cache
        with open(path, "rb") as file:
            while file.read(64 << 20):
                pass
    return plain, sealed


def timed(function, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
        del result
    return times


def bench_get_tensor(plain, sealed, runs):
    import modelseal
    from safetensors import safe_open

    ours = modelseal.safe_open(sealed, key=KEY)
    theirs = safe_open(str(plain), framework="pt")
    names = sorted(theirs.keys())
    times = {"modelseal": [], "safetensors+clone": []}
    for run in range(runs):  # interleaved; a different tensor each run (t00007 first), the same one on both sides
        name = names[(7 + 3 * run) % len(names)]
        times["modelseal"] += timed(lambda: ours.get_tensor(name), 1)
        times["safetensors+clone"] += timed(lambda: theirs.get_tensor(name).clone(), 1)
    ours.close()
    return {side: statistics.median(values) for side, values in times.items()}


def bench_full_load(plain, sealed, runs):
    import modelseal
    from safetensors.torch import load_file

    times = {"modelseal.load": [], "load_file+clone": []}
    for _ in range(runs):
        times["modelseal.load"] += timed(lambda: modelseal.load(sealed, key=KEY), 1)
        times["load_file+clone"] += timed(
            lambda: {name: tensor.clone() for name, tensor in load_file(str(plain)).items()}, 1)
    return {side: statistics.median(values) for side, values in times.items()}


def bench_load_into_time(plain, sealed, runs):
    import modelseal
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(plain), framework="pt") as source:
        shapes = {name: source.get_slice(name).get_shape() for name in source.keys()}
    model = torch.nn.Module()
    for name, shape in shapes.items():
        model.register_parameter(name, torch.nn.Parameter(torch.ones(shape)))
    times = {"load_into": [], "load_state_dict(load_file)": []}
    for _ in range(runs):
        times["load_into"] += timed(lambda: modelseal.load_into(model, sealed, key=KEY), 1)
        times["load_state_dict(load_file)"] += timed(lambda: model.load_state_dict(load_file(str(plain))), 1)
    return {side: statistics.median(values) for side, values in times.items()}


def bench_peak(plain, sealed):
    results = {}
    for mode in ("load_into", "load"):
        out = subprocess.run([sys.executable, "-c", PEAK_PROBE, str(sealed), str(plain), mode, str(REPO / "python"),
                              KEY], capture_output=True, text=True, check=True)
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])["growth"]
    return results


def bench_resnet(work: pathlib.Path, runs: int):
    import torch
    import torchvision
    import modelseal

    plain, sealed = work / "resnet50.pt", work / "resnet50.mseal"
    if not sealed.exists():
        torch.manual_seed(50)
        torch.save(torchvision.models.resnet50(weights=None).state_dict(), plain)
        modelseal.save(torch.load(plain, weights_only=True), sealed, key=KEY)
    results = {}
    for method in modelseal._load.METHODS:
        ours, theirs = [], []
        for _ in range(runs):  # alternating, one process
            theirs += timed(lambda: torch.load(plain, weights_only=True), 1)
            ours += timed(lambda: modelseal.load(sealed, key=KEY, method=method), 1)
        results[method] = {
            "first": ours[0] / theirs[0],
            "steady": statistics.median(ours[1:]) / statistics.median(theirs[1:]),
            "torch.load ms": statistics.median(theirs[1:]) * 1e3,
            "modelseal.load ms": statistics.median(ours[1:]) * 1e3,
        }
    return results


FRESH_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import torch
side, path = sys.argv[2], sys.argv[3]
if side == "load_file+clone":
    from safetensors.torch import load_file
    call = lambda: {name: tensor.clone() for name, tensor in load_file(path).items()}
elif side == "torch.load":
    call = lambda: torch.load(path, weights_only=True)
else:
    import modelseal
    modelseal._ffi.lib()  # the library's dlopen is not part of a load
    call = lambda: modelseal.load(path, key=sys.argv[4], method=side.split(":")[1])
started = time.perf_counter()
result = call()
print(json.dumps(time.perf_counter() - started))
"""


def bench_fresh(pairs: dict, runs: int) -> dict:
    """Each side of `pairs` (name: path) timed once per fresh process, sides alternating, `runs` rounds."""
    times = {side: [] for side in pairs}
    for _ in range(runs):
        for side, path in pairs.items():
            child = [sys.executable, "-c", FRESH_CHILD, str(REPO / "python"), side, str(path), KEY]
            times[side].append(json.loads(subprocess.run(child, check=True, capture_output=True, text=True).stdout))
    return {side: statistics.median(values) for side, values in times.items()}


GET_TENSOR_CHILD = r"""
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import torch
side, path, calls = sys.argv[2], sys.argv[3], int(sys.argv[5])
if side == "safetensors+clone":
    from safetensors import safe_open
    opened = safe_open(path, framework="pt")
    call = lambda name: opened.get_tensor(name).clone()
else:
    import modelseal
    opened = modelseal.safe_open(path, key=sys.argv[4])
    call = opened.get_tensor
names = sorted(opened.keys())
times = []
for run in range(calls):  # the same tensors as bench_get_tensor, in the same order
    name = names[(7 + 3 * run) % len(names)]
    started = time.perf_counter()
    result = call(name)
    times.append(time.perf_counter() - started)
    del result
print(json.dumps(statistics.median(times)))
"""


def bench_get_tensor_apart(plain, sealed, calls: int, rounds: int) -> dict:
    """get_tensor with each side alone in its own process (`calls` calls, median), sides alternating for `rounds`
    rounds; the median of the rounds. In one process the peer's parallel `clone` leaves torch's OpenMP threads
    spinning into the next call (ours), which this leaves out on both sides."""
    times = {"modelseal": [], "safetensors+clone": []}
    for _ in range(rounds):
        for side, path in (("safetensors+clone", plain), ("modelseal", sealed)):
            child = [sys.executable, "-c", GET_TENSOR_CHILD, str(REPO / "python"), side, str(path), KEY, str(calls)]
            times[side].append(json.loads(subprocess.run(child, check=True, capture_output=True, text=True).stdout))
    return {side: statistics.median(values) for side, values in times.items()}


def bench_fresh_all(work: pathlib.Path, plain, sealed, runs: int) -> dict:
    full = bench_fresh({"load_file+clone": plain, "modelseal.load:mapped": sealed}, runs)
    results = {"full load (s)": full, "full load ratio": full["modelseal.load:mapped"] / full["load_file+clone"]}
    pairs = {"torch.load": work / "resnet50.pt"}
    pairs.update({f"modelseal.load:{method}": work / "resnet50.mseal" for method in ("mapped", "memfd", "stream")})
    resnet = bench_fresh(pairs, runs)
    results["resnet50 (s)"] = resnet
    results["resnet50 ratio to torch.load"] = {
        side.split(":")[1]: seconds / resnet["torch.load"] for side, seconds in resnet.items() if ":" in side}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-gib", type=float, default=4.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--resnet-runs", type=int, default=9)
    parser.add_argument("--get-tensor-runs", type=int,
                        help="get_tensor calls per side (default: --runs); the peer's time depends on whether its "
                             "clone gets fresh or reused memory, so report a short and a long run")
    parser.add_argument("--process-runs", type=int, default=5, help="rounds of the fresh-process figures")
    parser.add_argument("--work", help="folder for the test files (default: a temporary one, removed)")
    parser.add_argument("--json", help="write the figures here too")
    arguments = parser.parse_args()
    sys.path.insert(0, str(REPO / "python"))
    work = pathlib.Path(arguments.work or tempfile.mkdtemp(prefix="bench-large-"))
    work.mkdir(parents=True, exist_ok=True)
    figures = {"load average before": load_average()}
    plain, sealed = make_files(work, arguments.size_gib)
    size = plain.stat().st_size
    figures["plaintext bytes"] = size
    figures["get_tensor 16 MiB (s)"] = get = bench_get_tensor(plain, sealed, arguments.get_tensor_runs or arguments.runs)
    figures["get_tensor ratio"] = get["modelseal"] / get["safetensors+clone"]
    apart = bench_get_tensor_apart(plain, sealed, arguments.get_tensor_runs or arguments.runs, arguments.process_runs)
    figures["get_tensor 16 MiB, each side in its own process (s)"] = apart
    figures["get_tensor ratio, each side in its own process"] = apart["modelseal"] / apart["safetensors+clone"]
    figures["full load (s)"] = full = bench_full_load(plain, sealed, arguments.runs)
    figures["full load GB/s"] = size / full["modelseal.load"] / 1e9
    figures["full load ratio"] = full["modelseal.load"] / full["load_file+clone"]
    figures["load_into (s)"] = into = bench_load_into_time(plain, sealed, arguments.runs)
    figures["load_into ratio"] = into["load_into"] / into["load_state_dict(load_file)"]
    figures["peak RSS growth (bytes)"] = peak = bench_peak(plain, sealed)
    figures["load_into peak above the model (MiB)"] = peak["load_into"] / (1 << 20)
    figures["load + load_state_dict peak above the model (MiB)"] = peak["load"] / (1 << 20)
    figures["resnet50 ratio to torch.load"] = bench_resnet(work, arguments.resnet_runs)
    figures["fresh processes"] = bench_fresh_all(work, plain, sealed, arguments.process_runs)
    figures["load average after"] = load_average()
    text = json.dumps(figures, indent=2)
    print(text)
    if arguments.json:
        pathlib.Path(arguments.json).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(arguments.json).write_text(text + "\n")
    if not arguments.work:
        for path in work.iterdir():
            path.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()
