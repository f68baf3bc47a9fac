"""Issue 14 item 8: outside the demo a missing SECRET_KEY or FIELD_ENCRYPTION_KEY stops the start
with a clear message (no secret is made up under var/: several hosts would each make their own);
in the demo, where one is made up, `check --deploy` says so."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SECRETS = ("SECRET_KEY", "FIELD_ENCRYPTION_KEY")


def run(tmp_path, *args: str, **env_changes: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SECRETS)}
    env.update(SECRET_KEY="x9" * 40 + "-a-long-enough-secret-key-for-the-check",
               FIELD_ENCRYPTION_KEY="k1:" + "A" * 43 + "=", SEQUENCE_VAR=str(tmp_path / "var"), SEQUENCE_DEMO="0")
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run([sys.executable, "-m", "sequence.cli", *args], env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("missing", SECRETS)
@pytest.mark.parametrize("command", [("check",), ("check", "--deploy"), ("migrate", "--plan")])
def test_a_missing_secret_stops_the_start_outside_the_demo(tmp_path, missing, command):
    result = run(tmp_path, *command, **{missing: None})
    assert result.returncode == 2
    assert f"{missing} is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "var" / "local-secrets.json").exists()


def test_a_secret_may_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("y7" * 40 + "-from-a-mounted-file\n")
    result = run(tmp_path, "check", SECRET_KEY=None, SECRET_KEY_FILE=str(key_file))
    assert result.returncode == 0, result.stderr


def test_check_deploy_reports_made_up_secrets_in_the_demo(tmp_path):
    result = run(tmp_path, "check", "--deploy", SEQUENCE_DEMO="1", SECRET_KEY=None, FIELD_ENCRYPTION_KEY=None)
    report = result.stdout + result.stderr
    assert report.count("sequence.W001") == 2
    assert "SECRET_KEY was generated" in report and "FIELD_ENCRYPTION_KEY was generated" in report
    assert (tmp_path / "var" / "local-secrets.json").exists()  # the demo's convenience, said out loud


def test_check_deploy_reports_a_proxy_without_trusted_hops(tmp_path):
    result = run(tmp_path, "check", "--deploy", BEHIND_TLS_PROXY="1", TRUSTED_PROXY_COUNT="0")
    assert "sequence.W002" in result.stdout + result.stderr
    result = run(tmp_path, "check", "--deploy", BEHIND_TLS_PROXY="1", TRUSTED_PROXY_COUNT="1")
    assert "sequence.W002" not in result.stdout + result.stderr
