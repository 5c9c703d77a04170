#!/usr/bin/env python3
"""The robustness table of docs/MARKING.md on two small models trained here (reported, not a test): a small CNN
and a small transformer encoder, each trained briefly on generated data, marked for one customer, attacked as in
python/tests/test_mark.py, and traced against 10,000 issued ids. Prints a Markdown table.

    MODELSEAL_BIN=.build/release/modelseal .venv/bin/python scripts/mark-small-models.py
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python" / "tests"))
from test_mark import rtn  # noqa: E402  (the same RTN quantizer as the test)

BIN = os.environ.get("MODELSEAL_BIN", ".build/release/modelseal")
IDS = [f"cust-{i:05d}" for i in range(10_000)]
LEAKER = "cust-00042"


def small_cnn():
    return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(128 * 4 * 4, 256), nn.ReLU(), nn.Linear(256, 10))


class SmallTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(1000, 128)
        layer = nn.TransformerEncoderLayer(128, 4, 512, batch_first=True, dropout=0.0)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(128, 10)

    def forward(self, tokens):
        return self.head(self.encoder(self.embed(tokens)).mean(1))


def train(model, inputs, epochs=2):
    labels = torch.randint(0, 10, (inputs.shape[0],), generator=torch.Generator().manual_seed(5))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    for _ in range(epochs):
        for x, y in zip(inputs.split(32), labels.split(32)):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def attacks(marked, model, inputs):
    def floats(fn):
        return {k: (fn(k, v) if v.is_floating_point() and v.dim() >= 2 else v) for k, v in marked.items()}

    gen = torch.Generator().manual_seed(7)

    def noise(level):
        def add(_, v):
            rms = v.reshape(v.shape[0], -1).pow(2).mean(1).sqrt().reshape(-1, *([1] * (v.dim() - 1)))
            return v + level * rms * torch.randn(v.shape, generator=gen)
        return floats(add)

    def prune(fraction):
        def cut(_, v):
            threshold = v.abs().flatten().kthvalue(max(1, int(fraction * v.numel()))).values
            return torch.where(v.abs() <= threshold, torch.zeros_like(v), v)
        return floats(cut)

    model.load_state_dict(marked)
    yield "none", marked
    yield "fp16", {k: v.half() if v.is_floating_point() else v for k, v in marked.items()}
    yield "bf16", {k: v.bfloat16() if v.is_floating_point() else v for k, v in marked.items()}
    yield "int8 per-channel RTN", floats(lambda _, v: rtn(v, 8))
    yield "int4 group-128 RTN", floats(lambda _, v: rtn(v, 4, 128))
    yield "50% pruning", prune(0.5)
    yield "90% pruning", prune(0.9)
    yield "noise 1% RMS", noise(0.01)
    yield "noise 10% RMS", noise(0.1)
    yield "fine-tuning 2 epochs", train(model, inputs)


def main():
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "secret").write_bytes(bytes(range(32)))
        (root / "ids.txt").write_text("\n".join(IDS) + "\n")
        models = [("small CNN", small_cnn(), torch.randn(256, 3, 32, 32)),
                  ("small transformer", SmallTransformer(), torch.randint(0, 1000, (256, 32)))]
        rows = []
        for name, model, inputs in models:
            original = train(model, inputs)
            torch.save(original, root / "orig.pt")
            report = json.loads(subprocess.run(
                [BIN, "mark", "--secret", root / "secret", "--customer", LEAKER, "--model-id", name, "--registry",
                 root / "r.json", "--json", "-f", "-o", root / "marked.pt", root / "orig.pt"],
                check=True, capture_output=True, text=True).stdout)
            marked = torch.load(root / "marked.pt", weights_only=True)
            for attack, state in attacks(marked, model, inputs):
                torch.save(state, root / "suspect.pt")
                out = json.loads(subprocess.run(
                    [BIN, "trace", root / "suspect.pt", "--original", root / "orig.pt", "--secret", root / "secret",
                     "--model-id", name, "--customers", root / "ids.txt", "--json"],
                    check=True, capture_output=True, text=True).stdout)
                accused = [a["customer"] for a in out["accused"]]
                z = max((a["z"] for a in out["accused"] if a["customer"] == LEAKER), default=None)
                scored = out["evidence"]["tier_b"]["weights_scored"]
                # z grows as √(scored weights): the size at which it would fall to the threshold.
                minimum = int(scored * (out["threshold_z"] / z) ** 2) if z else None
                verdict = "the leaker" if accused == [LEAKER] else "nobody" if not accused else f"WRONG: {accused}"
                rows.append((name, report["marked_weights"], attack, verdict, z,
                             (out["runner_up"] or {}).get("z"), scored, minimum))
        print("| model (marked weights) | attack | accused | z | runner-up z (best id not accused) | weights scored | min. scored weights (extrapolated) |")
        print("|---|---|---|---|---|---|---|")
        for name, size, attack, verdict, z, runner, scored, minimum in rows:
            print(f"| {name} ({size:,}) | {attack} | {verdict} | {z and round(z, 1)} | "
                  f"{runner and round(runner, 2)} | {scored:,} | {minimum and f'{minimum:,}'} |")


if __name__ == "__main__":
    main()
