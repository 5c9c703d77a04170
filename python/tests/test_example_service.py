"""The example service answers predictions from a sealed model, loaded by modelseal or by `modelseal run`."""
import json
import os
import pathlib
import subprocess
import sys
import urllib.request

import pytest
import torch

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "serve"


def reference_scores(rows):
    sys.path.insert(0, str(EXAMPLE))
    try:
        from model import Classifier
    finally:
        sys.path.remove(str(EXAMPLE))
    torch.manual_seed(0)
    model = Classifier().eval()
    with torch.no_grad():
        return torch.softmax(model(torch.tensor(rows)), dim=1)


def start(command, env):
    process = subprocess.Popen(command, cwd=EXAMPLE, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line.startswith("serving on "):
        process.kill()
        raise AssertionError(f"service did not start: {line}{process.stderr.read()}")
    return process, line.split()[-1]


def post(url, body):
    request = urllib.request.Request(url + "/predict", data=json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def environment(modelseal_pkg, fernet_key):
    python_path = [str(pathlib.Path(modelseal_pkg.__file__).parents[1])]
    return dict(os.environ, MODEL_KEY=fernet_key.decode(), PYTHONPATH=os.pathsep.join(python_path),
                SWIFT_BACKTRACE="enable=no", PYTHONDONTWRITEBYTECODE="1")


@pytest.mark.parametrize("how", ["modelseal.load_model", "modelseal run"])
def test_service_predicts_from_a_sealed_model(tmp_path, environment, modelseal_bin, how):
    sealed = tmp_path / "model.mseal"
    subprocess.run([sys.executable, "seal_model.py", str(sealed)], cwd=EXAMPLE, env=environment, check=True)
    serve = [sys.executable, "serve.py", "--port", "0"]
    command = serve + [str(sealed)] if how == "modelseal.load_model" else [
        modelseal_bin, "run", "--model", str(sealed), "--key-env", "MODEL_KEY", "--"] + serve
    process, url = start(command, environment)
    try:
        rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
        status, body = post(url, {"inputs": rows})
        assert status == 200
        assert torch.allclose(torch.tensor(body["scores"]), reference_scores(rows), atol=1e-6)
        assert len(body["labels"]) == 2
        status, body = post(url, {"inputs": [[1, 2]]})
        assert status == 400
        with urllib.request.urlopen(url + "/health", timeout=30) as response:
            assert json.loads(response.read()) == {"status": "ok"}
    finally:
        process.terminate()
        process.wait(timeout=30)
