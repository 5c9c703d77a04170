"""The vendor console (docs/CONSOLE.md) in a real browser: Debian's Chromium driven by Playwright against the
real `modelseal-server`, with the real `modelseal` activating and opening through it.

Screenshots of every page at desktop and phone width go to $MODELSEAL_CONSOLE_SHOTS (default: the test's
temp folder); the README's come from there (docs/console/)."""
import datetime
import os
import re
import shutil
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from test_server import ADMIN_TOKEN, Server, server_binary

CHROMIUM = "/usr/bin/chromium"
XSS_NAME = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">\"'&"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def console(modelseal_bin, run, tmp_path, monkeypatch):
    """A server with one model (m) added through the CLI; yields (server, shots folder)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("Chromium is not installed: apt-get install -y chromium (scripts/test.sh does)")
    monkeypatch.setenv("MODELSEAL_LICENSE_DIR", str(tmp_path / "licensing"))
    server = Server(server_binary(modelseal_bin), tmp_path).start()
    (tmp_path / "model.bin").write_bytes(os.urandom(200_000))
    key = run("keygen", "--symmetric").stdout.decode().strip()
    run("seal", "--key-env", "MODEL_KEY", "-o", "m.mseal", "model.bin", env={"MODEL_KEY": key})
    run("admin", "--server", server.url, "model", "add", "--name", "m", "--key-env", "MODEL_KEY", "m.mseal",
        env={"MODELSEAL_ADMIN_TOKEN": ADMIN_TOKEN, "MODEL_KEY": key})
    shots = Path(os.environ.get("MODELSEAL_CONSOLE_SHOTS", tmp_path / "shots"))
    shots.mkdir(parents=True, exist_ok=True)
    yield server, shots
    server.stop()


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield instance
        instance.close()


def shoot(page, shots, name):
    """Saves the page at desktop and phone width, then restores the desktop size."""
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(shots / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size(SIZES["desktop"])


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post_raw(url, body, cookie=None):
    """A form post outside the browser; a redirect is returned, not followed."""
    request = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    if cookie:
        request.add_header("Cookie", cookie)
    try:
        with urllib.request.build_opener(NoRedirect).open(request) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def log_in(page, url):
    page.goto(url + "/console")
    assert page.url.endswith("/console/login"), "a logged-out visitor is sent to the login page"
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/console")


def test_console_end_to_end(run, tmp_path, console, browser):
    server, shots = console
    url = server.url
    context = browser.new_context(viewport=SIZES["desktop"])
    page = context.new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text) if message.type == "error" else None)

    answer = page.goto(url + "/console/login")
    policy = answer.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "default-src 'none'" in policy
    shoot(page, shots, "login")
    # A login post without the form token is refused (403), not processed.
    status, _ = post_raw(url + "/console/login", "token=" + ADMIN_TOKEN)
    assert status == 403

    log_in(page, url)
    cookie = next(c for c in context.cookies() if c["name"] == "modelseal_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    # A form post with the session cookie but without the CSRF token is refused and changes nothing.
    status, body = post_raw(url + "/console/customers", "name=forged", cookie=f"modelseal_console={cookie['value']}")
    assert status == 403 and "security token" in body
    page.goto(url + "/console/customers")
    assert "forged" not in page.content()

    # XSS in a customer name is shown as text, never run or parsed as markup.
    page.fill("#name", XSS_NAME)
    page.click("form[action='/console/customers'] button")
    page.wait_for_url(re.compile(r".*/console/customers/cus_[0-9a-f]+$"))
    assert page.evaluate("window.__xss") is None
    assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0
    assert XSS_NAME in page.inner_text("h1")
    page.goto(url + "/console/customers")
    assert page.evaluate("window.__xss") is None
    assert page.get_by_text(XSS_NAME).count() == 1
    shoot(page, shots, "customers")

    # A license for ACME through the policy form; its token is shown once.
    page.goto(url + "/console/licenses")
    page.fill("#customer", "ACME")
    page.select_option("#model", "m")
    page.fill("#max_machines", "2")
    page.click("form[action='/console/licenses'] button")
    token = page.inner_text("#license-token").strip()
    assert token.startswith("mst_")
    license_id = re.search(r"lic_[0-9a-f]+", page.inner_text("main")).group(0)
    (tmp_path / "acme.token").write_text(token + "\n")

    # The customer's machine activates and opens through the CLI.
    run("activate", "--server", url, "--token-file", "acme.token")
    run("open", "--server", url, "-o", "out.bin", "m.mseal")
    assert (tmp_path / "out.bin").read_bytes() == (tmp_path / "model.bin").read_bytes()

    # The release is counted on today's bar of the overview chart (from the rollup table).
    page.goto(url + "/console")
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    assert page.get_attribute(f"rect.bar[data-day='{today}']", "data-count") == "1"
    assert page.inner_text("#releases-30").strip() == "1"
    assert page.inner_text("#active-machines").strip() == "1"
    assert "Verified" in page.inner_text("#audit-status")
    shoot(page, shots, "overview")
    page.emulate_media(color_scheme="dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(13, 17, 23)"
    page.screenshot(path=str(shots / "overview-dark.png"), full_page=True)
    page.emulate_media(color_scheme="light")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"

    page.goto(url + "/console/licenses")
    shoot(page, shots, "licenses")
    page.click(f"a[href='/console/licenses/{license_id}']")
    assert page.inner_text("#loads").strip() == "1"
    assert page.locator("button:has-text('Deactivate')").count() == 1
    shoot(page, shots, "license")

    # Edit limits: the form saves them and shows them back.
    page.fill("#max_loads", "10")
    page.click("form[action$='/limits'] button")
    page.wait_for_url(url + f"/console/licenses/{license_id}")
    assert page.input_value("#max_loads") == "10"

    # Revoke behind a confirmation page; the next CLI open is refused.
    page.click("text=Revoke this license")
    assert page.url.endswith(f"/console/licenses/{license_id}/revoke")
    shoot(page, shots, "revoke")
    page.click("button:has-text('Revoke license')")
    page.wait_for_url(url + f"/console/licenses/{license_id}")
    assert "revoked" in page.inner_text("main")
    refused = run("open", "--server", url, "-o", "again.bin", "m.mseal", check=False)
    assert refused.returncode == 30 and b"revoked" in refused.stderr

    page.goto(url + "/console")
    assert "revoked" in page.inner_text("main")  # refusals by reason

    # Deactivate the machine from its license's page.
    page.goto(url + f"/console/licenses/{license_id}")
    page.click("button:has-text('Deactivate')")
    page.wait_for_url(url + f"/console/licenses/{license_id}")
    assert "deactivated" in page.inner_text("main")

    page.goto(url + "/console/models")
    shoot(page, shots, "models")
    page.goto(url + "/console/trace")
    shoot(page, shots, "trace")
    # The audit log names the admin for each console action, filtered by actor.
    page.goto(url + "/console/audit?actor=admin%3Aroot")
    text = page.inner_text("main")
    for action in ["console.login", "customer.add", "license.add", "license.limits", "license.revoke",
                   "machine.revoke"]:
        assert action in text, action
    assert "key.release" not in text
    shoot(page, shots, "audit")

    # Logging out ends the session: the old cookie no longer opens a page.
    page.click("header button")
    page.wait_for_url(url + "/console/login")
    page.goto(url + "/console/licenses")
    assert page.url.endswith("/console/login")
    status, _ = post_raw(url + "/console/customers", "name=x&csrf=y", cookie=f"modelseal_console={cookie['value']}")
    assert status == 303
    assert not [v for v in violations if "Content Security Policy" in v], violations
    context.close()
    if os.environ.get("MODELSEAL_CONSOLE_DOCS"):
        for name in ["overview-desktop", "overview-phone", "overview-dark", "license-desktop", "license-phone",
                     "customers-desktop", "audit-desktop"]:
            shutil.copy(shots / f"{name}.png", Path(os.environ["MODELSEAL_CONSOLE_DOCS"]))


def test_console_policy_form(run, tmp_path, console, browser):
    """A floating license with a daily quota made and edited in the console's policy form: a floating seat
    needs a lease, the CLI's release is refused past the daily quota, raising the quota in the limits form
    lets the next release through, and the seat shows on the license's page until the machine checks in."""
    server, shots = console
    url = server.url
    page = browser.new_context(viewport=SIZES["desktop"]).new_page()
    log_in(page, url)

    def fill_policy(lease_minutes):
        page.goto(url + "/console/licenses")
        page.fill("#customer", "Floaty")
        page.select_option("#model", "m")
        page.select_option("#policy", "floating")
        page.fill("#max_machines", "1")
        page.fill("#max_loads_per_day", "1")
        page.fill("#lease_minutes", lease_minutes)
        page.fill("#grace_minutes", "1")
        page.fill("#cooldown_minutes", "5")

    # A floating seat is a lease: 0 minutes is refused with the reason, and no license is made.
    fill_policy("0")
    with page.expect_response(lambda answer: answer.request.method == "POST") as posted:
        page.click("form[action='/console/licenses'] button")
    assert posted.value.status == 400
    assert "floating license needs a lease" in page.inner_text("main")
    page.goto(url + "/console/licenses")
    assert "Floaty" not in page.inner_text("main")

    fill_policy("10")
    page.click("form[action='/console/licenses'] button")
    (tmp_path / "floaty.token").write_text(page.inner_text("#license-token").strip() + "\n")
    license_id = re.search(r"lic_[0-9a-f]+", page.inner_text("main")).group(0)
    page.goto(url + "/console/licenses")
    assert "floating" in page.inner_text(f"tr:has(a[href='/console/licenses/{license_id}'])")

    # The CLI gets one release today; the second is over the daily quota (exit 35, naming the reset).
    run("activate", "--server", url, "--token-file", "floaty.token")
    run("open", "--server", url, "--check", "m.mseal")
    over = run("open", "--server", url, "--check", "m.mseal", check=False)
    assert over.returncode == 35 and b"daily quota" in over.stderr

    page.goto(url + f"/console/licenses/{license_id}")
    summary = page.inner_text("#policy-summary")
    assert "Floating: at most 1 machine(s) hold a seat" in summary and "10 min" in summary
    assert "1 key release(s) per UTC day" in summary and "offline grace 1 min" in summary
    assert page.input_value("#policy") == "floating" and page.input_value("#lease_minutes") == "10"
    assert page.input_value("#cooldown_minutes") == "5" and page.input_value("#max_loads_per_month") == ""
    assert page.inner_text("td.seat").strip() != "—", "the release took the floating seat"
    shoot(page, shots, "license-floating")

    # Raising the daily quota in the limits form lets the next release through; the audit records the new set.
    page.fill("#max_loads_per_day", "5")
    page.click("form[action$='/limits'] button")
    page.wait_for_url(url + f"/console/licenses/{license_id}")
    assert page.input_value("#max_loads_per_day") == "5" and page.input_value("#policy") == "floating"
    run("open", "--server", url, "--check", "m.mseal")
    page.goto(url + "/console/audit?action=license.limits")
    assert "max_loads_day=5" in page.inner_text("main") and "policy=floating" in page.inner_text("main")

    # A check-in frees the seat.
    run("heartbeat", "--server", url, "--check-in")
    page.goto(url + f"/console/licenses/{license_id}")
    assert page.inner_text("td.seat").strip() == "—"
    page.context.close()


def test_console_is_on_the_admin_listener_only(modelseal_bin, run, tmp_path):
    """With --admin-listen the console answers there; the client listener has no /console. The vendor's
    `admin model add` works against the admin listener alone (it reads the intake key there)."""
    binary = server_binary(modelseal_bin)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        admin_port = probe.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--db", f"sqlite:{tmp_path}/keys.db", "--listen", "127.0.0.1:0", "--insecure-http",
         "--admin-listen", f"127.0.0.1:{admin_port}"],
        env=dict(os.environ, MODELSEAL_ADMIN_TOKEN=ADMIN_TOKEN, SWIFT_BACKTRACE="enable=no"),
        stderr=subprocess.PIPE, text=True)
    try:
        urls = {}
        for _ in range(2):
            match = re.search(r"(\S+) API listening on (http://\S+)", process.stderr.readline())
            assert match, "the server did not start"
            urls[match.group(1)] = match.group(2)
        with urllib.request.urlopen(urls["admin"] + "/console/login") as answer:
            assert answer.status == 200 and "Admin name" in answer.read().decode()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urls["client"] + "/console/login")
        assert refused.value.code == 404
        (tmp_path / "model.bin").write_bytes(os.urandom(10_000))
        key = run("keygen", "--symmetric").stdout.decode().strip()
        run("seal", "--key-env", "MODEL_KEY", "-o", "m.mseal", "model.bin", env={"MODEL_KEY": key})
        added = run("admin", "--server", urls["admin"], "model", "add", "--name", "m", "--key-env", "MODEL_KEY",
                    "m.mseal", env={"MODELSEAL_ADMIN_TOKEN": ADMIN_TOKEN, "MODEL_KEY": key})
        assert added.returncode == 0
        # Guessing tokens is rate-limited: wrong tokens get 401, then 429 past the burst.
        with urllib.request.urlopen(urls["admin"] + "/console/login") as answer:
            login_cookie = answer.headers["Set-Cookie"].split(";")[0]
        form_token = login_cookie.split("=", 1)[1]
        statuses = [post_raw(urls["admin"] + "/console/login", f"csrf={form_token}&token=wrong-{i}",
                             cookie=login_cookie)[0] for i in range(15)]
        assert statuses[0] == 401 and 429 in statuses, statuses
    finally:
        process.terminate()
        process.wait(timeout=30)
