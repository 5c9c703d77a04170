"""Customer: load the decrypted state_dict from a pipe (never a plaintext file) and serve predictions.

    python serve.py --model <(modelseal open -i customer.key -o - delivery/models/model.mseal) < requests.jsonl

Each request line is {"id": ..., "features": [8 numbers]}; each answer line is {"id": ..., "class": 0|1, "p": ...}.
With the Python package the same is `state = modelseal.load("delivery/models/model.mseal", identity="customer.key",
trust="vendor.pub")`; run.sh keeps the pipe because the default `exact` contract refuses a venv that has
modelseal itself installed (issue 15, item 2).
"""
import argparse
import io
import json
import sys

import torch

from model import RiskNet


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True, help="a path or /dev/fd/N carrying the decrypted state_dict")
    args = parser.parse_args()
    with open(args.model, "rb") as stream:
        buffer = io.BytesIO(stream.read())
    model = RiskNet()
    model.load_state_dict(torch.load(buffer, weights_only=True, map_location="cpu"))
    model.eval()
    served = 0
    with torch.no_grad():
        for line in sys.stdin:
            if not line.strip():
                continue
            request = json.loads(line)
            probabilities = torch.softmax(model(torch.tensor([request["features"]], dtype=torch.float32)), dim=1)[0]
            label = int(probabilities.argmax())
            print(json.dumps({"id": request["id"], "class": label, "p": round(float(probabilities[label]), 4)}))
            served += 1
    print(f"served {served} predictions", file=sys.stderr)


if __name__ == "__main__":
    main()
