#!/usr/bin/env python3
"""Paired before/after benchmark of two modelseal binaries against age, on one machine, in one run.

    scripts/bench-ab.py BASE_BIN HEAD_BIN [--size BYTES] [--rounds N]

Makes a random input (default 1 GiB) and an age identity in a temporary folder, seals the input once with a
raw key, then runs six commands per round in a shuffled order: `seal` and `open -o /dev/null` with each binary,
`age -e` and `age -d`, all to /dev/null, wall time around `/usr/bin/time` (which gives CPU and peak RSS).
Prints medians of the rounds and the ratios to age; the load average before and after says how quiet it was.
Build a base binary with `git worktree add ../base REV && (cd ../base && swift build -c release --product modelseal)`.
"""
import argparse
import os
import random
import statistics
import subprocess
import tempfile
import time


def run(command, env):
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%U %S %M"] + command, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=True, env=env)
    wall = time.perf_counter() - start
    user, system, rss = done.stderr.decode().strip().split("\n")[-1].split()
    return wall, float(user) + float(system), int(rss)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base")
    parser.add_argument("head")
    parser.add_argument("--size", type=int, default=1 << 30)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        plain, sealed, aged, key = (os.path.join(folder, n) for n in ("in.bin", "in.mseal", "in.age", "age.key"))
        with open(plain, "wb") as out:
            out.write(os.urandom(args.size))
        subprocess.run(["age-keygen", "-o", key], check=True, capture_output=True)
        recipient = [line.split()[-1] for line in open(key) if line.startswith("# public key:")][0]
        env = dict(os.environ, MODEL_KEY=subprocess.run([args.head, "keygen", "--symmetric"], check=True,
                                                         capture_output=True, text=True).stdout.strip())
        subprocess.run([args.head, "seal", "--key-env", "MODEL_KEY", "-o", sealed, plain], check=True, env=env,
                       capture_output=True)
        subprocess.run(["age", "-r", recipient, "-o", aged, plain], check=True)
        commands = {}
        for name, binary in (("base", args.base), ("head", args.head)):
            commands[f"seal {name}"] = [binary, "seal", "--key-env", "MODEL_KEY", "-o", "-", plain]
            commands[f"open {name}"] = [binary, "open", "--key-env", "MODEL_KEY", "-o", "/dev/null", sealed]
        commands["age -e"] = ["age", "-r", recipient, "-o", "/dev/null", plain]
        commands["age -d"] = ["age", "-d", "-i", key, "-o", "/dev/null", aged]
        walls = {name: [] for name in commands}
        cpus = {name: [] for name in commands}
        peak = {name: 0 for name in commands}
        for command in commands.values():
            run(command, env)  # warm-up
        print("load before", os.getloadavg())
        for _ in range(args.rounds):
            order = list(commands)
            random.shuffle(order)
            for name in order:
                wall, cpu, rss = run(commands[name], env)
                walls[name].append(wall)
                cpus[name].append(cpu)
                peak[name] = max(peak[name], rss)
        print("load after", os.getloadavg())
        median = {name: statistics.median(values) for name, values in walls.items()}
        cpu = {name: statistics.median(values) for name, values in cpus.items()}
        for name in commands:
            print(f"{name:10s} median {1000 * median[name]:6.0f} ms  min {1000 * min(walls[name]):5.0f}  "
                  f"max {1000 * max(walls[name]):5.0f}  cpu {1000 * cpu[name]:5.0f} ms  rss {peak[name] // 1024} MiB")
        for name in ("base", "head"):
            print(f"{name} seal/age-e {median['age -e'] / median['seal ' + name]:.2f}x "
                  f"(cpu {cpu['age -e'] / cpu['seal ' + name]:.2f}x) open/age-d "
                  f"{median['age -d'] / median['open ' + name]:.2f}x (cpu {cpu['age -d'] / cpu['open ' + name]:.2f}x)")


if __name__ == "__main__":
    main()
