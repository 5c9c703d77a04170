"""Issue 13 items 3 and 5 against the built binary: what the software binding of license v2 stops, and the
limits it states instead of hiding (SECURITY.md, licensee row). Written as the attacker: a second "machine"
in a mount namespace (`unshare -m`), a fresh licensing folder, a restored backup, a clock set back with
faketime (through LD_PRELOAD, which the preload guard reports: policy warn)."""
import datetime
import os
import shutil
import subprocess

import pytest
from cryptography.fernet import Fernet

MACHINE_A = {"machine-id": "0a" * 16, "cpu": "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", "mac": "52:54:00:aa:00:01",
             "product": "PowerEdge R750"}
MACHINE_B = {"machine-id": "0b" * 16, "cpu": "AMD EPYC 7763 64-Core Processor", "mac": "52:54:00:bb:00:02",
             "product": "ProLiant DL385"}

# Replaces every fingerprint source a licensed open reads with the values of one "machine": /etc/machine-id,
# /proc/cpuinfo, and /sys (a tmpfs with one physical NIC and DMI names; no block devices, so no disk and no
# root-fs component). Runs as root in a private mount namespace: nothing outside it changes.
NAMESPACE = r"""
set -e
mount -t tmpfs none /sys
mkdir -p /sys/class/net/eth0 /sys/class/dmi/id /sys/block /sys/class/block
echo "$FAKE_MAC" > /sys/class/net/eth0/address
ln -s ../../../devices/pci0000:00/0000:00:03.0 /sys/class/net/eth0/device
echo "Dell Inc." > /sys/class/dmi/id/sys_vendor
echo "$FAKE_PRODUCT" > /sys/class/dmi/id/product_name
mount --bind "$FAKE_ROOT/machine-id" /etc/machine-id
mount --bind "$FAKE_ROOT/cpuinfo" /proc/cpuinfo
exec "$@"
"""


@pytest.fixture
def machines(modelseal_bin, tmp_path):
    """A runner for modelseal on fake machine A or B (or B spoofing A), each with its own folders."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.fail("this attack needs root and unshare(1) (util-linux), as scripts/test.sh provides")

    def on(machine, *args, spoof=None, check=True, folder=None):
        values = spoof or machine
        root = tmp_path / ("fake-" + values["machine-id"][:2])
        root.mkdir(exist_ok=True)
        (root / "machine-id").write_text(values["machine-id"] + "\n")
        (root / "cpuinfo").write_text(f"processor\t: 0\nmodel name\t: {values['cpu']}\nflags\t\t: fpu sse2\n\n")
        name = "a" if machine is MACHINE_A else "b"
        env = {key: value for key, value in os.environ.items() if key != "MODELSEAL_HOST_TOKEN_FILE"}
        env.update(SWIFT_BACKTRACE="enable=no", FAKE_MAC=values["mac"], FAKE_PRODUCT=values["product"],
                   FAKE_ROOT=str(root), MODELSEAL_LICENSE_DIR=str(folder or tmp_path / f"licensing-{name}"),
                   XDG_STATE_HOME=str(tmp_path / f"state-{name}"))
        result = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", NAMESPACE, "sh",
                                 modelseal_bin, *map(str, args)], cwd=tmp_path, env=env, capture_output=True,
                                timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"modelseal {' '.join(map(str, args))} exited {result.returncode}: "
                                 f"{result.stderr.decode()}")
        return result

    return on


def vendor_and_model(run, tmp_path):
    key = Fernet.generate_key().decode()
    run("keygen", "--sign", "-o", "vendor.key")
    (tmp_path / "model.bin").write_bytes(os.urandom(3000))
    run("seal", "--key-env", "K", "--sign-key", "vendor.key", "-o", "m.mseal", "model.bin", env={"K": key})
    return key


def test_the_namespace_clone_of_a_software_binding_still_opens(run, tmp_path, machines):
    """13.3, a stated limit: the review's "second machine" (a mount namespace with /proc/cpuinfo, /sys and
    machine-id spoofed to the licensed machine's values, plus a copy of the licensing folder) opens the model.
    The same copy on a machine that does not spoof is refused, so this test can fail both ways."""
    key = vendor_and_model(run, tmp_path)
    machines(MACHINE_A, "license", "request", "--vendor", "vendor.key.pub", "-o", "req.json")
    request = (tmp_path / "req.json").read_text()
    assert '"version":2' in request and '"kem":"x25519"' in request
    assert MACHINE_A["machine-id"] not in request and "52:54:00:aa" not in request
    run("license", "issue", "--request", "req.json", "--customer", "ACME", "--sign-key", "vendor.key", "--model",
        "m.mseal", "--key-env", "K", "-o", "acme.lic", env={"K": key})
    assert machines(MACHINE_A, "open", "--license", "acme.lic", "-o", "-", "m.mseal").stdout == \
        (tmp_path / "model.bin").read_bytes()

    # The attacker copies the licensing folder and the records kept outside it (~/.local/state/...).
    shutil.copytree(tmp_path / "licensing-a", tmp_path / "licensing-b")
    shutil.copytree(tmp_path / "state-a", tmp_path / "state-b")
    honest = machines(MACHINE_B, "open", "--license", "acme.lic", "-o", "-", "m.mseal", check=False)
    assert honest.returncode == 33 and honest.stdout == b""
    assert b"wrong machine" in honest.stderr

    clone = machines(MACHINE_B, "open", "--license", "acme.lic", "-o", "-", "m.mseal", spoof=MACHINE_A)
    assert clone.stdout == (tmp_path / "model.bin").read_bytes()  # the limit SECURITY.md states

    shown = machines(MACHINE_A, "license", "show", "acme.lic").stdout.decode()
    assert "software binding" in shown and "mount namespace" in shown and "advisory" in shown


def test_a_fresh_licensing_folder_does_not_reset_loads_but_a_full_restore_does(run, tmp_path):
    """13.5: a fresh MODELSEAL_LICENSE_DIR with a copy of machine.json no longer restores loads (the record
    outside it remains); restoring every licensing and record file from a backup still does (a stated limit)."""
    key = vendor_and_model(run, tmp_path)
    env = {"MODELSEAL_LICENSE_DIR": str(tmp_path / "licensing"), "XDG_STATE_HOME": str(tmp_path / "state")}
    run("license", "request", "--vendor", "vendor.key.pub", "-o", "req.json", env=env)
    run("license", "issue", "--request", "req.json", "--customer", "ACME", "--sign-key", "vendor.key", "--model",
        "m.mseal", "--key-env", "K", "--max-loads", "2", "-o", "acme.lic", env={"K": key})
    shutil.copytree(tmp_path / "licensing", tmp_path / "licensing.bak")
    for _ in range(2):
        run("open", "--license", "acme.lic", "-o", "-", "m.mseal", env=env)
    assert run("open", "--license", "acme.lic", "-o", "-", "m.mseal", env=env, check=False).returncode == 35
    assert list((tmp_path / "state" / "modelseal" / "license-records").rglob("*.record"))

    fresh = dict(env, MODELSEAL_LICENSE_DIR=str(tmp_path / "fresh"))
    [machine] = (tmp_path / "licensing").rglob("machine.json")
    (tmp_path / "fresh" / machine.parent.name).mkdir(parents=True)
    shutil.copy2(machine, tmp_path / "fresh" / machine.parent.name / "machine.json")
    refused = run("open", "--license", "acme.lic", "-o", "-", "m.mseal", env=fresh, check=False)
    assert refused.returncode == 37 and refused.stdout == b""
    assert b"rolled back" in refused.stderr

    # The full restore: the licensing folder from before the loads, and no records (as before the first load).
    restored = dict(env, MODELSEAL_LICENSE_DIR=str(tmp_path / "licensing.bak"), XDG_STATE_HOME=str(tmp_path / "s2"))
    assert run("open", "--license", "acme.lic", "-o", "-", "m.mseal", env=restored).stdout == \
        (tmp_path / "model.bin").read_bytes()


def test_a_clock_set_back_after_the_expiry_was_seen_is_a_rollback(run, tmp_path, modelseal_bin):
    """13.5: the clock set just before expiry opened forever; once an expiry was seen here (marked in the
    licensing folder and in the records outside it), an earlier clock is refused, fresh folder or not."""
    key = vendor_and_model(run, tmp_path)
    env = {"MODELSEAL_LICENSE_DIR": str(tmp_path / "licensing"), "XDG_STATE_HOME": str(tmp_path / "state")}
    run("license", "request", "--vendor", "vendor.key.pub", "-o", "req.json", env=env)
    tomorrow = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    run("license", "issue", "--request", "req.json", "--customer", "ACME", "--sign-key", "vendor.key", "--model",
        "m.mseal", "--key-env", "K", "--expires", tomorrow, "-o", "acme.lic", env={"K": key})
    shutil.copytree(tmp_path / "licensing", tmp_path / "fresh")
    run("open", "--license", "acme.lic", "--check", "m.mseal", env=env)
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=5)).strftime("%Y-%m-%d %H:%M:%S")
    expired = subprocess.run(["faketime", later, modelseal_bin, "open", "--license", "acme.lic", "--check", "m.mseal"],
                             cwd=tmp_path, env=dict(os.environ, **env), capture_output=True, timeout=120)
    assert expired.returncode == 31, expired.stderr
    for folder in (env, dict(env, MODELSEAL_LICENSE_DIR=str(tmp_path / "fresh"))):
        back = run("open", "--license", "acme.lic", "-o", "-", "m.mseal", env=folder, check=False)
        assert back.returncode == 36 and back.stdout == b""
        assert b"seen expired here" in back.stderr
    assert "seen expired at" in run("license", "show", "acme.lic", env=env).stdout.decode()
    # Stated limit: without the records (a full restore), the fresh folder opens with the clock set back.
    without = dict(env, MODELSEAL_LICENSE_DIR=str(tmp_path / "fresh"), XDG_STATE_HOME=str(tmp_path / "s2"))
    run("open", "--license", "acme.lic", "--check", "m.mseal", env=without)
