#!/usr/bin/env python3
"""Lists Swift functions, initialisers and closures-as-properties in Sources/ longer than a limit.

    scripts/check-function-length.py [LIMIT]     (default 80 lines; exit 1 when any is longer)

A function runs from its `func`/`init`/`deinit`/`subscript` line to the closing brace at the same
indentation. Long functions hide control flow; the house rule is "no function over about 80 lines".
"""
import os
import re
import sys

LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 80
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources")
START = re.compile(r"^(\s*)(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|private|fileprivate|internal|package|static|class|"
                   r"final|override|mutating|nonisolated|convenience|required|@inlinable|@usableFromInline)\s+)*"
                   r"(func|init|deinit|subscript)\b")

long = []
for folder, _, files in os.walk(ROOT):
    for name in sorted(files):
        if not name.endswith(".swift"):
            continue
        path = os.path.join(folder, name)
        lines = open(path, encoding="utf-8").read().split("\n")
        for number, line in enumerate(lines):
            match = START.match(line)
            if not match or line.rstrip().endswith(")") and "{" not in line and not lines[number + 1].strip().startswith(("{", "throws", "->", "where")) and "{" not in "".join(lines[number + 1:number + 4]):
                continue
            indent = match.group(1)
            for end in range(number + 1, len(lines)):
                if lines[end].startswith(indent + "}") and not lines[end].startswith(indent + " "):
                    length = end - number + 1
                    if length > LIMIT:
                        long.append((length, os.path.relpath(path, os.path.join(ROOT, "..")), number + 1))
                    break
for length, path, line in sorted(long, reverse=True):
    print(f"{path}:{line}: {length} lines")
print(f"{len(long)} function(s) over {LIMIT} lines")
sys.exit(1 if long else 0)
