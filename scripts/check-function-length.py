#!/usr/bin/env python3
"""Lists Swift functions and initialisers in Sources/ longer than a limit.

    scripts/check-function-length.py [LIMIT]     (default 80 lines; exit 1 when any is longer)

A function runs from its `func`/`init`/`deinit`/`subscript` line to the brace that closes its body
(braces counted outside string literals and comments). Declarations without a body (protocol
requirements) are skipped. Long functions hide control flow; the house rule is "no function over
about 80 lines".
"""
import os
import re
import sys

LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 80
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources")
START = re.compile(r"^\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*(?:(?:public|private|fileprivate|internal|package|static|"
                   r"class|final|override|mutating|nonisolated|convenience|required)\s+)*(func|init|deinit|subscript)\b")
STRING = re.compile(r'"(?:\\.|[^"\\])*"')


def code(line):
    """The line without string literals and a trailing // comment (multi-line strings are rare here)."""
    line = STRING.sub('""', line)
    return line.split("//", 1)[0]


def length(lines, start):
    depth = 0
    opened = False
    for index in range(start, len(lines)):
        text = code(lines[index])
        if not opened and index > start and START.match(lines[index]):
            return None  # a declaration without a body
        for character in text:
            if character == "{":
                depth += 1
                opened = True
            elif character == "}":
                depth -= 1
        if opened and depth <= 0:
            return index - start + 1
        if not opened and (text.strip() == "}" or index - start > 12):
            return None
    return None


long = []
for folder, _, files in os.walk(ROOT):
    for name in sorted(files):
        if not name.endswith(".swift"):
            continue
        path = os.path.join(folder, name)
        lines = open(path, encoding="utf-8").read().split("\n")
        for number, line in enumerate(lines):
            if START.match(line):
                count = length(lines, number)
                if count and count > LIMIT:
                    long.append((count, os.path.relpath(path, os.path.join(ROOT, "..")), number + 1))
for count, path, line in sorted(long, reverse=True):
    print(f"{path}:{line}: {count} lines")
print(f"{len(long)} function(s) over {LIMIT} lines")
sys.exit(1 if long else 0)
