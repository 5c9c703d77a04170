#!/usr/bin/env python3
"""Benchmark of the Python loader (issue 6): ResNet-50 (random init) loaded by

  torch        torch.load(plain.pt, weights_only=True)                        the reference
  torch-mmap   torch.load(plain.pt, weights_only=True, mmap=True)             for comparison
  mapped       modelseal.load(sealed, key=...)  the default: decrypt into anonymous memory, tensors are views
  memfd        modelseal.load(sealed, key=..., method="memfd")   decrypt into a sealed memfd, torch mmaps it
  stream       modelseal.load(sealed, key=..., method="stream")  decrypt into a bytearray, readinto stream
  article      the article's loader: read, Fernet(key).decrypt, torch.load(io.BytesIO(...))

Times: warm page cache, each method in its own fresh processes (ROUNDS processes x ITERATIONS loads
after one warm-up load), methods interleaved round by round; medians of wall time and of process
CPU time (all threads: what a loaded machine cannot hide). Peak RSS: a fresh process per method,
torch imported and the library loaded, peak reset (/proc/self/clear_refs), then VmHWM after one
load minus VmRSS before it. Import cost: fresh
interpreters, medians. Usage (from the repository, after scripts/build-python.sh):

    .venv/bin/python scripts/bench-python.py [--rounds 3] [--iterations 5] [--json bench-out/python.json]
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
METHODS = ["torch", "torch-mmap", "mapped", "memfd", "stream", "article"]

LOADER = r"""
import io, json, os, resource, sys, time
sys.path.insert(0, os.environ["BENCH_PYTHONPATH"])
import torch
import modelseal
from cryptography.fernet import Fernet
method, directory, iterations, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
key = os.environ["BENCH_KEY"].encode()
plain, sealed, article = (os.path.join(directory, n) for n in ("plain.pt", "model.mseal", "model.enc"))

def load():
    if method == "torch":
        return torch.load(plain, weights_only=True)
    if method == "torch-mmap":
        return torch.load(plain, weights_only=True, mmap=True)
    if method == "mapped":
        return modelseal.load(sealed, key=key)
    if method in ("memfd", "stream"):
        return modelseal.load(sealed, key=key, method=method)
    if method == "article":  # the article's code, less the model construction
        with open(article, "rb") as f:
            encrypted_data = f.read()
        decrypted_bytes = Fernet(key).decrypt(encrypted_data)
        buffer = io.BytesIO(decrypted_bytes)
        return torch.load(buffer, map_location="cpu")
    raise SystemExit(f"unknown method {method}")

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

if mode == "rss":
    modelseal._ffi.lib()
    before = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM (peak RSS) to the current RSS
    state = load()
    print(json.dumps({"before_kib": before, "after_kib": status("VmHWM")}))
else:
    modelseal._ffi.lib()
    state = load(); del state
    times, cpu = [], []
    for _ in range(iterations):
        started, started_cpu = time.perf_counter(), time.process_time()
        state = load()
        times.append(time.perf_counter() - started); cpu.append(time.process_time() - started_cpu)
        del state
    print(json.dumps({"times": times, "cpu": cpu}))
"""


def run_loader(method, directory, iterations, mode, env):
    output = subprocess.run([sys.executable, "-c", LOADER, method, str(directory), str(iterations), mode],
                            capture_output=True, text=True, env=env, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


INCREMENTAL = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import torch
started = time.perf_counter()
import modelseal
imported = time.perf_counter()
modelseal._ffi.lib()
loaded = time.perf_counter()
print(json.dumps([imported - started, loaded - imported]))
"""


def import_costs(env, repeats):
    incremental = [json.loads(subprocess.run([sys.executable, "-c", INCREMENTAL, env["BENCH_PYTHONPATH"]], env=env,
                                             capture_output=True, text=True, check=True).stdout)
                   for _ in range(repeats)]
    results = {
        "after torch: import modelseal": [sample[0] for sample in incremental],
        "after torch: load libmodelseal_c.so (dlopen + ABI check)": [sample[1] for sample in incremental],
    }
    programs = {
        "python": "pass",
        "import torch": "import torch",
        "import modelseal": "import modelseal",
        "import modelseal + load library": "import modelseal; modelseal._ffi.lib()",
        "import torch, modelseal + library": "import torch, modelseal; modelseal._ffi.lib()",
    }
    for _ in range(repeats):
        for name, code in programs.items():
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {env['BENCH_PYTHONPATH']!r}); {code}"],
                           env=env, check=True)
            results.setdefault(name, []).append(time.perf_counter() - started)
    return {name: statistics.median(values) * 1e3 for name, values in results.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--json", default=str(REPO / "bench-out" / "python.json"))
    arguments = parser.parse_args()

    sys.path.insert(0, str(REPO / "python"))
    import hashlib

    import torch
    import torchvision
    from cryptography.fernet import Fernet

    import modelseal

    key = Fernet.generate_key()
    env = dict(os.environ, BENCH_KEY=key.decode(), BENCH_PYTHONPATH=str(REPO / "python"), SWIFT_BACKTRACE="enable=no")
    with tempfile.TemporaryDirectory(prefix="bench-python-") as directory:
        directory = pathlib.Path(directory)
        torch.manual_seed(0)
        state = torchvision.models.resnet50(weights=None).state_dict()
        torch.save(state, directory / "plain.pt")
        modelseal.save(state, directory / "model.mseal", key=key)
        plaintext = (directory / "plain.pt").read_bytes()
        (directory / "model.enc").write_bytes(Fernet(key).encrypt(plaintext))
        size = len(plaintext)
        started = time.perf_counter()
        hashlib.sha256(plaintext).digest()
        sha256_ms = (time.perf_counter() - started) * 1e3
        del plaintext, state
        for name in ("plain.pt", "model.mseal", "model.enc"):
            (directory / name).read_bytes()  # warm the page cache

        times = {method: [] for method in METHODS}
        cpu = {method: [] for method in METHODS}
        for _ in range(arguments.rounds):
            for method in METHODS:
                sample = run_loader(method, directory, arguments.iterations, "time", env)
                times[method] += sample["times"]
                cpu[method] += sample["cpu"]
        rss = {}
        for method in METHODS:
            samples = [run_loader(method, directory, 0, "rss", env) for _ in range(2)]
            rss[method] = statistics.median((s["after_kib"] - s["before_kib"]) / 1024 for s in samples)
        imports = import_costs(env, 5)

    median = {method: statistics.median(values) * 1e3 for method, values in times.items()}
    median_cpu = {method: statistics.median(values) * 1e3 for method, values in cpu.items()}
    reference = median["torch"]
    result = {
        "model": "torchvision resnet50 (random init)",
        "file_bytes": size,
        "load_average": os.getloadavg(),
        "median_ms": median,
        "ratio_to_torch_load": {m: median[m] / reference for m in METHODS},
        "median_cpu_ms": median_cpu,
        "peak_rss_increase_mib": rss,
        "rss_budget_mib": rss["torch"] + 1.1 * size / (1 << 20),
        "sha256_of_plaintext_ms": sha256_ms,
        "import_ms": imports,
        "samples": {m: len(v) for m, v in times.items()},
        "torch": torch.__version__,
        "cores": os.cpu_count(),
    }
    pathlib.Path(arguments.json).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(arguments.json).write_text(json.dumps(result, indent=2))

    print(f"ResNet-50 state_dict, {size / 1e6:.1f} MB, torch {torch.__version__}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; medians of {len(times['torch'])} warm loads in "
          f"{arguments.rounds} fresh processes each\n")
    print("| loader | median wall ms | × torch.load | median CPU ms (all threads) | peak RSS increase MiB |")
    print("|---|---:|---:|---:|---:|")
    for method in METHODS:
        print(f"| {method} | {median[method]:.1f} | {median[method] / reference:.2f} | {median_cpu[method]:.1f} | "
              f"{rss[method]:.0f} |")
    print(f"\nRSS budget (torch.load + 1.1 × file): {result['rss_budget_mib']:.0f} MiB")
    print(f"SHA-256 of the plaintext (what trust= will add, issue 5): {sha256_ms:.1f} ms")
    print("\n| fresh interpreter | median ms |\n|---|---:|")
    for name, value in imports.items():
        print(f"| {name} | {value:.0f} |")


if __name__ == "__main__":
    main()
