#!/usr/bin/env python3
"""Benchmark `modelseal inspect` and `modelseal convert` on a ~1 GiB checkpoint made with real torch.

    .venv/bin/python scripts/bench-formats.py [--size-mib 1024] [--runs 9] [--bin PATH]

Builds nothing: run `swift build -c release --scratch-path .build-formats` first (default --bin is
.build-formats/release/modelseal). Installs picklescan into the running interpreter's environment
if it is missing (benchmark only). Prints a Markdown table; everything is created in a temporary
directory that is deleted at the end. The page cache is warm for every tool alike (each file is
read once before timing); /usr/bin/time -v gives peak RSS (apt-get install -y time).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(cmd, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):  # picklescan exits 1 when it finds something
            raise SystemExit(f"{cmd} failed: {result.stderr.decode()[:500]}")
    return statistics.median(samples), min(samples), max(samples)


def peak(cmd):
    """Wall seconds, peak RSS (KiB) and CPU seconds (user + system) of one run, from /usr/bin/time -v."""
    result = subprocess.run(["/usr/bin/time", "-v", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{cmd} failed: {result.stderr[-800:]}")
    rss = wall = None
    cpu = 0.0
    for line in result.stderr.splitlines():
        if "User time (seconds)" in line or "System time (seconds)" in line:
            cpu += float(line.split(":")[-1])
        if "Maximum resident set size" in line:
            rss = int(line.split(":")[-1])
        if "Elapsed (wall clock)" in line:
            parts = line.split(": ")[-1].split(":")
            wall = sum(float(p) * 60 ** i for i, p in enumerate(reversed(parts)))
    return wall, rss, cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--bin", default=str(REPO / ".build-formats" / "release" / "modelseal"))
    args = parser.parse_args()
    if not Path(args.bin).is_file():
        raise SystemExit(f"{args.bin} missing: swift build -c release --scratch-path .build-formats")
    if not Path("/usr/bin/time").exists():
        raise SystemExit("/usr/bin/time missing: apt-get install -y time")
    try:
        import picklescan  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "picklescan"], check=True)
    picklescan_bin = str(Path(sys.executable).parent / "picklescan")

    import torch

    load_before = f"{os.getloadavg()[0]:.2f}"
    work = Path(tempfile.mkdtemp(prefix="modelseal-bench-"))
    try:
        # ~size MiB of float32 in 16 MiB tensors, named like a transformer's state_dict.
        count = max(1, args.size_mib // 16)
        torch.manual_seed(0)
        state = {}
        for layer in range(count):
            state[f"layers.{layer}.mlp.weight"] = torch.randn(4096, 1024)
        for layer in range(count):  # a few hundred small tensors too, as in real models
            state[f"layers.{layer}.norm.weight"] = torch.ones(1024)
            state[f"layers.{layer}.norm.bias"] = torch.zeros(1024)
        ckpt = work / "model.pt"
        torch.save(state, ckpt)
        del state
        size = ckpt.stat().st_size
        for path in [ckpt]:
            with open(path, "rb") as f:
                while f.read(1 << 24):
                    pass

        ours = timed([args.bin, "inspect", str(ckpt)], args.runs)
        ours_json = timed([args.bin, "inspect", "--json", str(ckpt)], args.runs)
        theirs = timed([picklescan_bin, "--path", str(ckpt)], args.runs)
        _, inspect_rss, _ = peak([args.bin, "inspect", str(ckpt)])

        st = work / "model.safetensors"
        back = work / "back.pt"
        # Writing 1 GiB is dominated by the disk and its flush, which vary run to run on a VM:
        # medians of 3, interleaved with the `cp` reference.
        to_st, to_pt, copies = [], [], []
        for _ in range(3):
            to_st.append(peak([args.bin, "convert", "--force", str(ckpt), str(st)]))
            to_pt.append(peak([args.bin, "convert", "--force", str(st), str(back)]))
            copies.append(peak(["sh", "-c", f"cp '{ckpt}' '{work / 'copy.pt'}' && sync"]))
        to_st_wall, to_st_rss, to_st_cpu = (statistics.median(r[0] for r in to_st), max(r[1] for r in to_st),
                                            statistics.median(r[2] for r in to_st))
        to_pt_wall, to_pt_rss, to_pt_cpu = (statistics.median(r[0] for r in to_pt), max(r[1] for r in to_pt),
                                            statistics.median(r[2] for r in to_pt))
        copy_wall, copy_cpu = statistics.median(r[0] for r in copies), statistics.median(r[2] for r in copies)

        mib = size / (1 << 20)
        print(f"load average before/after: {load_before} / {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        print(f"checkpoint: {mib:.0f} MiB, {2 * count + count} tensors (torch {torch.__version__}); medians of {args.runs} runs\n")
        print("| measurement | result |")
        print("|---|---|")
        print(f"| `modelseal inspect` (table) | {ours[0] * 1000:.1f} ms (min {ours[1] * 1000:.1f}, max {ours[2] * 1000:.1f}) |")
        print(f"| `modelseal inspect --json` | {ours_json[0] * 1000:.1f} ms |")
        print(f"| `picklescan --path` | {theirs[0] * 1000:.1f} ms (min {theirs[1] * 1000:.1f}, max {theirs[2] * 1000:.1f}) |")
        print(f"| speed-up over picklescan | {theirs[0] / ours[0]:.1f}× |")
        print(f"| `inspect` peak RSS | {inspect_rss / 1024:.1f} MiB |")
        print(f"| `convert` .pt → .safetensors (median of 3) | {to_st_wall:.2f} s, {mib / to_st_wall:.0f} MiB/s, CPU {to_st_cpu:.2f} s, peak RSS {to_st_rss / 1024:.1f} MiB |")
        print(f"| `convert` .safetensors → .pt (median of 3, CRC-32 included) | {to_pt_wall:.2f} s, {mib / to_pt_wall:.0f} MiB/s, CPU {to_pt_cpu:.2f} s, peak RSS {to_pt_rss / 1024:.1f} MiB |")
        print(f"| `cp` of the same file + sync (disk reference, median of 3) | {copy_wall:.2f} s, {mib / copy_wall:.0f} MiB/s, CPU {copy_cpu:.2f} s |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
