#!/usr/bin/env python3
"""Writes Tests/Vectors/folder: set manifests of sealed folders (spec/FOLDERS.md §1), made from the spec
alone (no ModelSeal code): `ok-*.json` must parse and re-encode to the same bytes, `bad-*.json` must be
refused, each named after the rule it breaks.

    python3 scripts/gen-folder-vectors.py [OUT_DIR]      (default: Tests/Vectors/folder)
"""
import hashlib
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def canonical(document) -> bytes:
    # RFC 8785 for documents of strings, booleans, arrays, objects and small integers.
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def sealed(name, length, plaintext, root=None):
    member = {"header_sha256": digest("header " + name), "length": length, "name": name,
              "plaintext_length": plaintext, "sealed": True}
    if root:
        member["chunks_root"] = digest("root " + name)
    return member


def clear(name, length):
    return {"length": length, "name": name, "sealed": False, "sha256": digest("file " + name)}


def manifest(files):
    return {"files": files, "format": "modelseal-folder", "version": 1}


def vectors():
    hf = [sealed("config.json", 700, 650, True), sealed("model-00001-of-00002.safetensors", 1049000, 1048576, True),
          sealed("model-00002-of-00002.safetensors", 9000, 8000, True),
          sealed("model.safetensors.index.json", 600, 550, True), clear("README.md", 21),
          clear("tokenizer.json", 4096)]
    yield "ok-signed-hf-folder", canonical(manifest(sorted(hf, key=lambda m: m["name"].encode())))
    yield "ok-unsigned-one-file", canonical(manifest([sealed("model.pt", 120, 88)]))
    yield "ok-empty-file-in-clear", canonical(manifest([clear("LICENSE", 0), sealed("model.pt", 120, 88)]))
    yield "bad-unsorted-members", canonical(manifest([clear("b", 1), clear("a", 1)]))
    yield "bad-same-name-ignoring-case", canonical(manifest([clear("A.txt", 1), clear("a.txt", 1)]))
    yield "bad-subfolder-name", canonical(manifest([clear("tok/vocab.txt", 1)]))
    yield "bad-traversal-name", canonical(manifest([clear("..", 1)]))
    yield "bad-hidden-name", canonical(manifest([clear(".env", 1)]))
    yield "bad-reserved-suffix", canonical(manifest([clear("x.mseal", 1)]))
    yield "bad-collides-with-sealed-file", canonical(manifest([clear("a.mseal", 1), sealed("a", 100, 50)]))
    yield "bad-uppercase-hash", canonical(manifest([dict(clear("a", 1), sha256=digest("a").upper())]))
    yield "bad-short-hash", canonical(manifest([dict(clear("a", 1), sha256=digest("a")[:62])]))
    yield "bad-negative-length", canonical(manifest([clear("a", -1)]))
    yield "bad-extra-field", canonical(manifest([dict(clear("a", 1), mode=420)]))
    yield "bad-sealed-without-plaintext-length", canonical(
        manifest([{k: v for k, v in sealed("a", 100, 50).items() if k != "plaintext_length"}]))
    yield "bad-version-2", canonical(dict(manifest([]), version=2))
    yield "bad-other-format", canonical(dict(manifest([]), format="modelseal-bundle"))
    yield "bad-not-canonical-whitespace", json.dumps(manifest([clear("a", 1)]), sort_keys=True).encode()
    reordered = {"version": 1, "format": "modelseal-folder", "files": [clear("a", 1)]}
    yield "bad-not-canonical-order", json.dumps(reordered, separators=(",", ":")).encode()


def main() -> None:
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "Tests" / "Vectors" / "folder"
    out.mkdir(parents=True, exist_ok=True)
    for name, data in vectors():
        (out / f"{name}.json").write_bytes(data)


if __name__ == "__main__":
    main()
