#!/usr/bin/env python3
"""Batch replay: seeded byte mutations of the scan vectors and the shared corpus (plus a libFuzzer corpus
when one is given), judged by the differential oracle (scripts/scan_oracle.py) against ONE scanner process.

    .venv/bin/python scripts/scan-replay.py [--rounds N] [--seed S] [--extra DIR]...

The mutated cases are pickles only (the first 64 KiB of each pickle-like input, mutated): zips and .npy
files are left to their own tests. Mutating never runs anything: the oracle's unpickler returns inert
stand-ins for every global. Prints the counts and each disagreement; exit 1 on any.
"""
import argparse
import pathlib
import random
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import scan_oracle  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent


def seeds(extra):
    roots = [REPO / "Tests" / "Vectors" / "scan", REPO.parent / "shared" / "corpus" / "pickles"] + extra
    for path in scan_oracle.expand([root for root in roots if root.exists()]):
        data = path.read_bytes()[:65536]
        if data[:4] in (b"PK\x03\x04", b"PK\x05\x06") or data[:6] == b"\x93NUMPY" or not data:
            continue
        yield path.name, data


def mutate(data, rng):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        position = rng.randrange(len(data))
        if kind < 0.6:
            data[position] = rng.randrange(256)
        elif kind < 0.8 and len(data) > 1:
            del data[position]
        else:
            data.insert(position, rng.choice(b"(tR.0123456789\n \x80\x93\x94\x8c}]qh"))
    return bytes(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="mutations per seed file")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--extra", action="append", default=[], type=pathlib.Path)
    parser.add_argument("--bin", default=str(REPO / ".build/debug/modelseal"))
    parser.add_argument("--keep", type=pathlib.Path, help="copy each disagreeing case into this folder")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for name, data in seeds(args.extra):
            for round_ in range(args.rounds):
                path = pathlib.Path(folder) / f"{name}.{round_}.bin"
                path.write_bytes(mutate(data, rng))
                files.append(path)
        counts, disagreements = scan_oracle.compare(files, args.bin)
        if args.keep and disagreements:
            args.keep.mkdir(parents=True, exist_ok=True)
            for path, *_rest in disagreements:
                (args.keep / pathlib.Path(path).name).write_bytes(pathlib.Path(path).read_bytes())
        for path, kinds, expected, seen in disagreements[:50]:
            print(f"DISAGREE {pathlib.Path(path).name}: {', '.join(kinds)}\n  oracle:  {expected}\n  scanner: {seen}")
        print(" ".join(f"{key}={value}" for key, value in counts.items()))
        return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
