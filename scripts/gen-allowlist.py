#!/usr/bin/env python3
"""Print torch's default weights-only allowlist, one `module.name` per line.

Used to refresh `torchDefaultNames` in Sources/ModelFormats/Pickle/Allowlist.swift:
    .venv/bin/python scripts/gen-allowlist.py
"""
import torch
from torch._weights_only_unpickler import _get_allowed_globals

print(f"# torch {torch.__version__}")
for name in sorted(_get_allowed_globals()):
    print(name)
