"""A real SoftHSM2 token in a temporary folder, made with softhsm2-util and filled with pkcs11-tool (opensc)."""
import os
import shutil
import subprocess

import pytest

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "1234"


def tool(env, *args, check=True):
    """Runs pkcs11-tool on the SoftHSM2 module with `env` (SOFTHSM2_CONF)."""
    return subprocess.run(["pkcs11-tool", "--module", MODULE, *args], env=env, check=check, capture_output=True,
                          text=True)


def init_token(folder, label):
    """An empty token `label` (user PIN `PIN`) whose objects live under `folder`/tokens; returns the environment
    that finds it (os.environ plus SOFTHSM2_CONF)."""
    for program in ("softhsm2-util", "pkcs11-tool"):
        if shutil.which(program) is None:
            pytest.fail(f"{program} is missing: apt-get install softhsm2 opensc (scripts/test.sh installs them)")
    (folder / "tokens").mkdir()
    config = folder / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = dict(os.environ, SOFTHSM2_CONF=str(config))
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", PIN,
                    "--so-pin", "87654321"], env=env, check=True, capture_output=True)
    return env
