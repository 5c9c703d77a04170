"""The console's named admins and trace page (docs/CONSOLE.md §Security, §Trace) in a real browser
(Debian's Chromium via Playwright) against the real `modelseal-server`, with marks issued by the real
`modelseal mark` / `seal --mark` into the server's registry (docs/MARKING.md §Registry on the key server)."""
import json
import os
import re
import sqlite3
import urllib.error
import urllib.request

import pytest
import torch

from test_console import CHROMIUM, SIZES, browser  # noqa: F401 (the browser fixture)
from test_server import ADMIN_TOKEN, Server, server_binary

MODEL_ID = "tiny-v1"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def lab(modelseal_bin, tmp_path, monkeypatch):
    """A small float model in the originals folder, the vendor's mark secret, and the server."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("Chromium is not installed: apt-get install -y chromium (scripts/test.sh does)")
    monkeypatch.setenv("MODELSEAL_LICENSE_DIR", str(tmp_path / "licensing"))
    originals = tmp_path / "originals"
    originals.mkdir()
    torch.manual_seed(7)
    state = {f"layer{i}.weight": torch.randn(256, 256) * 0.05 for i in range(4)}
    state["layer0.bias"] = torch.zeros(256)
    torch.save(state, originals / "tiny.pt")
    (tmp_path / "secret").write_bytes(os.urandom(32))
    server = Server(server_binary(modelseal_bin), tmp_path).start(
        extra=["--originals", str(originals), "--mark-secret", str(tmp_path / "secret"), "--trace-max-mib", "2"])
    yield server, originals
    server.stop()


def log_in(page, url, name=None, secret=ADMIN_TOKEN):
    page.goto(url + "/console/login")
    if name:
        page.fill("#name", name)
    page.fill("#token", secret)
    page.click("button[type=submit]")


def admin_get(url, path):
    request = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + ADMIN_TOKEN})
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


def test_named_admin_logs_in_with_a_password(run, lab, browser):
    server, _ = lab
    admin = {"MODELSEAL_ADMIN_TOKEN": ADMIN_TOKEN}
    # A short password is refused by the server; the password never goes on the command line.
    short = run("admin", "--server", server.url, "user", "add", "carol", "--password-env", "PW",
                env=dict(admin, PW="short"), check=False)
    assert short.returncode != 0 and b"at least 12" in short.stderr
    added = json.loads(run("admin", "--server", server.url, "user", "add", "alice", "--password-env", "ALICE_PW",
                           env=dict(admin, ALICE_PW=PASSWORD)).stdout)
    assert added["name"] == "alice" and added["password"] is True
    assert PASSWORD not in json.dumps(added)

    page = browser.new_context(viewport=SIZES["desktop"]).new_page()
    # A wrong password and an unknown name are refused alike, and no session cookie is set.
    for name, secret in [("alice", PASSWORD + "x"), ("mallory", PASSWORD)]:
        log_in(page, server.url, name, secret)
        assert page.url.endswith("/console/login")
        assert "do not match" in page.inner_text("main")
        assert not [c for c in page.context.cookies() if c["name"] == "modelseal_console"]

    log_in(page, server.url, "alice", PASSWORD)
    page.wait_for_url(server.url + "/console")
    page.goto(server.url + "/console/customers")
    page.fill("#name", "Made by Alice")
    page.click("form[action='/console/customers'] button")
    page.wait_for_url(re.compile(r".*/console/customers/cus_[0-9a-f]+$"))
    page.goto(server.url + "/console/audit?actor=admin%3Aalice")
    rows = page.inner_text("main")
    assert "console.login" in rows and "customer.add" in rows and "Made by Alice" in rows
    # The stored form is scrypt, not the password.
    database = str(server.folder / "keys.db")
    stored = sqlite3.connect(database).execute("SELECT password_hash FROM admins WHERE name='alice'").fetchone()[0]
    assert stored.startswith("scrypt$15$8$1$") and PASSWORD not in stored


def test_trace_page_names_the_leaker(run, lab, browser, tmp_path):
    server, originals = lab
    admin = {"MODELSEAL_ADMIN_TOKEN": ADMIN_TOKEN}
    # Two customers' marked copies, recorded in the server's registry: one by `mark`, one by `seal --mark`.
    run("mark", "--secret", "secret", "--customer", "acme", "--model-id", MODEL_ID, "--registry", server.url,
        "-o", "acme.pt", originals / "tiny.pt", env=admin)
    key = run("keygen", "--symmetric").stdout.decode().strip()
    run("seal", "--mark", "globex", "--secret", "secret", "--model-id", MODEL_ID, "--registry", server.url,
        "--key-env", "K", "-o", "globex.mseal", originals / "tiny.pt", env=dict(admin, K=key))
    marks = admin_get(server.url, f"/v1/admin/marks?model_id={MODEL_ID}")["items"]
    assert [m["customer"] for m in marks] == ["acme", "globex"]
    assert marks[0]["version"] == "" and re.fullmatch(r"[0-9a-f]{32}", marks[1]["version"])
    assert marks[0]["parameters"]["min_elements"] == 4096 and marks[0]["actor"] == "admin:root"
    # Keyset paging: after the first mark's seq comes the second only.
    assert [m["customer"] for m in admin_get(server.url, f"/v1/admin/marks?after={marks[0]['seq']}")["items"]] == [
        "globex"]
    # The CLI traces against the server's registry too.
    traced = json.loads(run("trace", "acme.pt", "--original", originals / "tiny.pt", "--secret", "secret",
                            "--model-id", MODEL_ID, "--registry", server.url, "--json", env=admin).stdout)
    assert [a["customer"] for a in traced["accused"]] == ["acme"]

    context = browser.new_context(viewport=SIZES["desktop"])
    page = context.new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text) if message.type == "error" else None)
    log_in(page, server.url)
    page.wait_for_url(server.url + "/console")

    def trace(path):
        page.goto(server.url + "/console/trace")
        page.fill("#model_id", MODEL_ID)
        page.select_option("#original", "tiny.pt")
        page.set_input_files("#suspect", str(path))
        page.click("form[action='/console/trace'] button")
        page.wait_for_selector("#verdict")
        return page.inner_text("main")

    text = trace(tmp_path / "acme.pt")
    accused = page.inner_text("#accused")
    assert "acme" in accused and "globex" not in accused
    assert "globex" in page.inner_text("#runner-up")
    page.screenshot(path=str(tmp_path / "trace-result.png"), full_page=True)
    # The unmarked original accuses nobody, and says so.
    text = trace(originals / "tiny.pt")
    assert "Nobody accused" in text and page.locator("#accused").count() == 0
    page.goto(server.url + "/console/audit?action=trace.run")
    assert page.inner_text("main").count("trace.run") >= 2

    # A multipart post without the CSRF token is refused before any file byte is kept.
    cookie = next(c for c in context.cookies() if c["name"] == "modelseal_console")
    page.goto(server.url + "/console/trace")
    csrf = page.get_attribute("input[name=csrf]", "value")

    def post_upload(csrf_field, size):
        boundary = "b0undary"
        head = ""
        if csrf_field:
            head = f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf_field}\r\n"
        body = (head + f"--{boundary}\r\nContent-Disposition: form-data; name=\"model_id\"\r\n\r\n{MODEL_ID}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"original\"\r\n\r\ntiny.pt\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"suspect\"; filename=\"x.pt\"\r\n\r\n"
                f"{'x' * size}\r\n--{boundary}--\r\n")
        request = urllib.request.Request(server.url + "/console/trace", data=body.encode(), method="POST", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Cookie": f"modelseal_console={cookie['value']}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)
        return refused.value.code, refused.value.read().decode()

    assert post_upload(None, 1000)[0] == 403
    # Over --trace-max-mib (2 here) the upload is refused and nothing is traced.
    status, text = post_upload(csrf, 3 << 20)
    assert status == 413 and "over 2 MiB" in text
    # Bytes that are no model file are refused with a reason, not a crash.
    status, text = post_upload(csrf, 5000)
    assert status == 422 and "could not" in text
    assert not [v for v in violations if "Content Security Policy" in v], violations
    context.close()
