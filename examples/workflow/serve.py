"""Customer: load the sealed model in memory (never a plaintext file) and serve predictions.

    python serve.py --sealed delivery/models/model.mseal --identity customer.key --trust vendor.pub < requests.jsonl
    python serve.py --model <(modelseal open -i customer.key -o - delivery/models/model.mseal) < requests.jsonl

`--sealed` calls `modelseal.load`, which checks the signature and the model's environment contract
against this interpreter before anything is decrypted; `--model` reads a decrypted state_dict from a
path or pipe (for a program that cannot import modelseal).
Each request line is {"id": ..., "features": [8 numbers]}; each answer line is {"id": ..., "class": 0|1, "p": ...}.
"""
import argparse
import io
import json
import sys

import torch

from model import RiskNet


def main() -> None:
    parser = argparse.ArgumentParser()
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--sealed", help="the sealed model, loaded with modelseal.load")
    source.add_argument("--model", help="a path or /dev/fd/N carrying the decrypted state_dict")
    parser.add_argument("--identity", help="with --sealed: the customer's identity file")
    parser.add_argument("--trust", help="with --sealed: the vendor's public key")
    args = parser.parse_args()
    if args.sealed:
        import modelseal

        state = modelseal.load(args.sealed, identity=args.identity, trust=args.trust, map_location="cpu")
    else:
        with open(args.model, "rb") as stream:
            state = torch.load(io.BytesIO(stream.read()), weights_only=True, map_location="cpu")
    model = RiskNet()
    model.load_state_dict(state)
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
