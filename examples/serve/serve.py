"""A tiny HTTP inference service over a sealed model: the article's "start the service".

    MODEL_KEY=... python serve.py model.mseal --port 8000
    modelseal run --model model.mseal --key-env MODEL_KEY -- python serve.py --port 8000

    curl -s localhost:8000/predict -d '{"inputs": [[5.1, 3.5, 1.4, 0.2]]}'
    -> {"labels": ["..."], "scores": [[...]]}

Started by `modelseal run`, it loads the already decrypted weights from $MODELSEAL_MODEL with plain
`torch.load(..., weights_only=True)` and never sees a key; otherwise `modelseal.load_model` decrypts
the sealed file in memory with $MODEL_KEY (or --identity). Binds to 127.0.0.1 unless told otherwise.
"""
import argparse
import json
import logging
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch

from model import LABELS, Classifier

MAX_BODY = 1 << 20
MAX_ROWS = 1024


def load(path, identity):
    handed = os.environ.get("MODELSEAL_MODEL")
    if handed:  # started by `modelseal run`: decrypted and verified already, in a sealed memfd
        model = Classifier()
        model.load_state_dict(torch.load(handed, weights_only=True, mmap=True))
        return model.eval()
    import modelseal

    return modelseal.load_model(Classifier, path, identity=identity)  # the one line


class Handler(BaseHTTPRequestHandler):
    model: torch.nn.Module

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            return self.reply(200, {"status": "ok"})
        self.reply(404, {"error": "not found: GET /health or POST /predict"})

    def do_POST(self):
        if self.path != "/predict":
            return self.reply(404, {"error": "not found: POST /predict"})
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            return self.reply(413, {"error": f"body must be 1..{MAX_BODY} bytes"})
        try:
            rows = json.loads(self.rfile.read(length))["inputs"]
            features = torch.tensor(rows, dtype=torch.float32)
            if features.ndim != 2 or features.shape[1] != 4 or not 0 < features.shape[0] <= MAX_ROWS:
                raise ValueError(f"inputs must be 1..{MAX_ROWS} rows of 4 numbers")
        except (ValueError, KeyError, TypeError) as error:
            return self.reply(400, {"error": str(error)})
        with torch.no_grad():
            scores = torch.softmax(self.model(features), dim=1)
        self.reply(200, {"labels": [LABELS[i] for i in scores.argmax(dim=1).tolist()], "scores": scores.tolist()})

    def log_message(self, format, *args):
        logging.getLogger("serve").debug(format, *args)


def main():
    parser = argparse.ArgumentParser(description="Serve predictions of a sealed model.")
    parser.add_argument("model", nargs="?", default="model.mseal", help="sealed model (ignored under modelseal run)")
    parser.add_argument("--identity", help="identity file instead of $MODEL_KEY")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # shows modelseal's stage timings

    Handler.model = load(arguments.model, arguments.identity)
    server = ThreadingHTTPServer((arguments.host, arguments.port), Handler)
    print(f"serving on http://{arguments.host}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
