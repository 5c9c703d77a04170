#!/usr/bin/env python3
"""Helper for scripts/bench-container.sh: the Fernet baseline, the timing loop and the report.

  bench_container.py fernet-encrypt IN OUT     the article's method (key in $MODEL_KEY)
  bench_container.py fernet-decrypt IN OUT
  bench_container.py measure --plan PLAN --runs N --results OUT.json
  bench_container.py report --results OUT.json [--json FILE] [--meta KEY=VALUE ...]

Top-level imports are kept to `os` and `sys` so that a Fernet run, timed in a fresh process,
pays the interpreter start and `import cryptography` the way the article's script does, and
nothing more.
"""

import os
import sys


# --- The article's method, as written there: the whole file in memory. ----------------------

def encrypt_file(path, out_path, key):
    from cryptography.fernet import Fernet

    f = Fernet(key)
    with open(path, "rb") as file:
        data = file.read()
    encrypted = f.encrypt(data)
    with open(out_path, "wb") as file:
        file.write(encrypted)


def decrypt_file(path, out_path, key):
    from cryptography.fernet import Fernet

    f = Fernet(key)
    with open(path, "rb") as file:
        data = file.read()
    decrypted = f.decrypt(data)
    with open(out_path, "wb") as file:
        file.write(decrypted)


# --- Timing loop. ----------------------------------------------------------------------------
#
# A plan line is tab-separated:
#   size_label  bytes  section  key  label  peers  prep  argv
# section: seal | open | file | scrypt; key: unique within a size (e.g. "open/age");
# peers: comma-separated keys this row is compared with ("-" for none);
# prep: comma-separated untimed steps before every run ("sync", "rm:PATH") or "-";
# argv: the command, arguments separated by \x1f.

TIME = "/usr/bin/time"


def read_plan(path):
    rows = []
    with open(path, encoding="utf-8") as plan:
        for number, line in enumerate(plan, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) != 8:
                raise SystemExit(f"plan line {number}: expected 8 fields, got {len(fields)}")
            size_label, size, section, key, label, peers, prep, argv = fields
            rows.append({
                "size": size_label, "bytes": int(size), "section": section, "key": key, "label": label,
                "peers": [] if peers == "-" else peers.split(","),
                "prep": [] if prep == "-" else prep.split(","),
                "argv": argv.split("\x1f"),
            })
    return rows


def run_once(row, scratch):
    """Runs the command once under /usr/bin/time; returns (wall s, cpu s, peak RSS KiB)."""
    import time

    for step in row["prep"]:
        if step == "sync":
            os.sync()
        elif step.startswith("rm:"):
            try:
                os.unlink(step[3:])
            except FileNotFoundError:
                pass
        else:
            raise SystemExit(f"unknown prep step {step!r}")
    rss_path = os.path.join(scratch, "rss")
    err_path = os.path.join(scratch, "stderr")
    argv = [TIME, "-f", "%M", "-o", rss_path, "--"] + row["argv"]
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
    ]
    start = time.perf_counter()
    pid = os.posix_spawn(TIME, argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        with open(err_path, encoding="utf-8", errors="replace") as err:
            detail = err.read().strip()
        raise SystemExit(f"FAILED ({code}): {' '.join(row['argv'])}\n{detail}")
    with open(rss_path, encoding="utf-8") as rss:
        peak_kib = int(rss.read().split()[-1])
    # wait4 on /usr/bin/time reports its own CPU plus its reaped child's: the tool's, in microseconds.
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, peak_kib


def measure(args):
    import json
    import random

    rows = read_plan(args.plan)
    scratch = args.scratch or os.path.dirname(os.path.abspath(args.results))
    rng = random.Random(args.seed)
    results = {id(row): {**row, "wall": [], "cpu": [], "rss_kib": []} for row in rows}
    sizes = []
    for row in rows:
        if row["size"] not in sizes:
            sizes.append(row["size"])
    for size in sizes:
        group = [row for row in rows if row["size"] == size]
        # One untimed warm-up of each command (page cache, dynamic loader, CPU frequency), then
        # N rounds; each round runs every command once in a shuffled order, so that a burst of
        # load from a neighbour on this shared machine spreads over all tools instead of
        # landing on one tool's consecutive runs.
        log(f"[{size}] warm-up: {len(group)} commands")
        for row in group:
            run_once(row, scratch)
        for round_number in range(1, args.runs + 1):
            order = group[:]
            rng.shuffle(order)
            log(f"[{size}] round {round_number}/{args.runs}")
            for row in order:
                wall, cpu, rss = run_once(row, scratch)
                entry = results[id(row)]
                entry["wall"].append(wall)
                entry["cpu"].append(cpu)
                entry["rss_kib"].append(rss)
    with open(args.results, "w", encoding="utf-8") as out:
        json.dump({"runs": args.runs, "rows": [results[id(row)] for row in rows]}, out, indent=1)


def log(text):
    print(text, file=sys.stderr, flush=True)


# --- Report. ---------------------------------------------------------------------------------

SECTIONS = [
    ("seal", "Seal, output to /dev/null"),
    ("open", "Open, output to /dev/null"),
    ("file", "File output (page-cache write-back dominates; swings from run to run)"),
    ("scrypt", "Passphrase (scrypt log2 N = 18, r = 8, p = 1), output to /dev/null"),
    ("startup", "Fixed costs (no data)"),
]



def peer_name(key):
    return "Fernet" if "fernet" in key else "age"

# (description, key of ours, key of the peer, minimum ratio of throughputs)
THROUGHPUT_TARGETS = [
    ("open (raw key) >= 3x age -d", "open/ours-raw", "open/age", 3.0),
    ("open (X25519) >= 3x age -d", "open/ours-x25519", "open/age", 3.0),
    ("open (raw key) >= 20x Fernet", "open/ours-raw", "open/fernet", 20.0),
    ("open (X25519) >= 20x Fernet", "open/ours-x25519", "open/fernet", 20.0),
    ("seal (raw key) >= 3x age -e", "seal/ours-raw", "seal/age", 3.0),
    ("seal (X25519) >= 3x age -e", "seal/ours-x25519", "seal/age", 3.0),
]
RSS_TARGET_KIB = 64 * 1024
RSS_TARGET_KEYS = ["seal/ours-raw", "seal/ours-x25519", "open/ours-raw", "open/ours-x25519",
                   "open/ours-raw-check", "open/ours-x25519-check",
                   "file/ours-seal-raw", "file/ours-open-raw"]


def summarize(row):
    import statistics

    wall = statistics.median(row["wall"])
    return {
        "size": row["size"], "bytes": row["bytes"], "section": row["section"], "key": row["key"],
        "label": row["label"], "command": row["argv"], "peers": row["peers"],
        "runs_wall_s": row["wall"], "median_wall_s": wall, "min_wall_s": min(row["wall"]),
        "max_wall_s": max(row["wall"]), "median_cpu_s": statistics.median(row["cpu"]),
        "throughput_MBps": row["bytes"] / wall / 1e6 if row["bytes"] else None, "peak_rss_kib": max(row["rss_kib"]),
        "ratios": {}, "cpu_ratios": {},
    }


def human_rate(mbps):
    if mbps is None:
        return "-"
    return f"{mbps / 1000:.2f} GB/s" if mbps >= 1000 else f"{mbps:.0f} MB/s"


def human_time(seconds):
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def report(args):
    import json

    data = {"runs": None, "rows": []}
    for path in args.results:
        with open(path, encoding="utf-8") as results:
            part = json.load(results)
        data["runs"] = part["runs"]
        data["rows"] += part["rows"]
    rows = [summarize(row) for row in data["rows"]]
    by_key = {(row["size"], row["key"]): row for row in rows}
    for row in rows:
        for peer in row["peers"]:
            other = by_key.get((row["size"], peer))
            if other:
                row["ratios"][peer] = row["throughput_MBps"] / other["throughput_MBps"]
                row["cpu_ratios"][peer] = other["median_cpu_s"] / row["median_cpu_s"]

    lines = []
    sizes = []
    for row in rows:
        if row["size"] not in sizes:
            sizes.append(row["size"])
    header = (f"{'command':<46} {'median':>8} {'min..max':>15} {'throughput':>11} {'CPU':>8} {'peak RSS':>9}"
              "  throughput ratio ours/peer (CPU time peer/ours)")
    for size in sizes:
        for section, title in SECTIONS:
            group = [row for row in rows if row["size"] == size and row["section"] == section]
            if not group:
                continue
            lines.append("")
            lines.append(f"== {size}: {title}")
            lines.append(header)
            for row in group:
                spread = f"{human_time(row['min_wall_s'])}..{human_time(row['max_wall_s'])}"
                ratios = ", ".join(
                    f"{ratio:.2f}x {peer_name(peer)} (CPU {row['cpu_ratios'][peer]:.2f}x)"
                    for peer, ratio in row["ratios"].items())
                lines.append(
                    f"{row['label']:<46} {human_time(row['median_wall_s']):>8} {spread:>15} "
                    f"{human_rate(row['throughput_MBps']):>11} {human_time(row['median_cpu_s']):>8} "
                    f"{row['peak_rss_kib'] / 1024:>5.0f} MiB  {ratios}")

    targets = []
    for size in sizes:
        for description, ours, peer, minimum in THROUGHPUT_TARGETS:
            a, b = by_key.get((size, ours)), by_key.get((size, peer))
            if a and b:
                ratio = a["throughput_MBps"] / b["throughput_MBps"]
                cpu_ratio = b["median_cpu_s"] / a["median_cpu_s"]
                targets.append({"size": size, "target": description,
                                "value": f"{ratio:.2f}x (CPU-time ratio {cpu_ratio:.2f}x)",
                                "ratio": ratio, "cpu_time_ratio": cpu_ratio, "pass": ratio >= minimum})
        for key in RSS_TARGET_KEYS:
            row = by_key.get((size, key))
            if row and row["bytes"] >= 1 << 30:
                targets.append({"size": size, "target": f"peak RSS <= 64 MiB: {row['label']}",
                                "value": f"{row['peak_rss_kib'] / 1024:.1f} MiB",
                                "pass": row["peak_rss_kib"] <= RSS_TARGET_KIB})
    lines.append("")
    lines.append("== Targets (ratios of median throughputs; open measured with -o /dev/null; CPU-time ratio:")
    lines.append("   peer CPU seconds / ours, the work ratio, which load from other processes moves less)")
    for target in targets:
        verdict = "PASS" if target["pass"] else "FAIL"
        lines.append(f"{verdict}  [{target['size']}] {target['target']}: {target['value']}")
    print("\n".join(lines).lstrip("\n"))

    if args.json:
        meta = dict(item.split("=", 1) for item in args.meta)
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"meta": meta, "runs": data["runs"], "results": rows, "targets": targets}, out, indent=2)
            out.write("\n")


def main():
    if len(sys.argv) == 4 and sys.argv[1] in ("fernet-encrypt", "fernet-decrypt"):
        key = os.environ["MODEL_KEY"].encode()
        (encrypt_file if sys.argv[1] == "fernet-encrypt" else decrypt_file)(sys.argv[2], sys.argv[3], key)
        return
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("measure")
    p.add_argument("--plan", required=True)
    p.add_argument("--runs", type=int, required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--scratch")
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=measure)
    p = commands.add_parser("report")
    p.add_argument("--results", action="append", required=True)
    p.add_argument("--json")
    p.add_argument("--meta", action="append", default=[])
    p.set_defaults(func=report)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
