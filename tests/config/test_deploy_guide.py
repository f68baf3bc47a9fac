"""docs/deploy.md and deploy/systemd/ say only what exists, and their environment passes
`sequence check --deploy` with 0 warnings for every role (web, worker, engine, release)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.worker import database_url

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
UNITS = ROOT / "deploy" / "systemd"
ENV_FILE = UNITS / "sequence.env"
DJANGO_UNITS = ["sequence-web.service", "sequence-worker@.service", "sequence-engine@.service",
                "sequence-release.service"]
# Upper-case names the guide mentions that are Django settings, not environment variables
NOT_ENVIRONMENT = {"SECURE_PROXY_SSL_HEADER", "NAME_FILE"}


def env_file(path: Path) -> dict[str, str]:
    """systemd's EnvironmentFile= format: NAME=value, optionally in double quotes, # comments."""
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            out[name.strip()] = value.strip().removeprefix('"').removesuffix('"')
    return out


def unit_lines(unit: str, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in (UNITS / unit).read_text().splitlines() if line.startswith(key + "=")]


def documented_names() -> set[str]:
    texts = [GUIDE.read_text(), *(path.read_text() for path in UNITS.iterdir())]
    names = set(env_file(ENV_FILE))
    for text in texts:
        names |= set(re.findall(r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)", text))  # `NAME` in the prose
        names |= set(re.findall(r"^Environment=([A-Z0-9_]+)=", text, re.MULTILINE))
    return names - NOT_ENVIRONMENT


def test_every_documented_variable_is_read_by_the_code():
    from sequence.exchanges.config import API_URL_SETTINGS

    source = "\n".join(path.read_text() for path in (ROOT / "src" / "sequence").rglob("*.py"))
    read = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', source)) | set(API_URL_SETTINGS.values())
    # NAME_FILE works for the names read with env_secret (directly or through _required_secret)
    secrets = set(re.findall(r'(?:env_secret|_required_secret)\("([A-Z0-9_]+)"', source))
    procrastinate = subprocess.run([sys.executable, "-m", "sequence.cli", "procrastinate", "worker", "--help"],
                                   capture_output=True, text=True, timeout=60, check=True).stdout
    names = documented_names()
    assert {"SECRET_KEY_FILE", "VAULT_PRIVATE_KEYS_FILE", "TRUSTED_PROXY_COUNT"} <= names  # the parse works
    unknown = sorted(
        name for name in names
        if not (name in read or (name.endswith("_FILE") and name.removesuffix("_FILE") in secrets)
                or (name.startswith("PROCRASTINATE_") and f"env: {name}" in procrastinate)))
    assert unknown == [], f"documented but never read: {unknown}"


def test_every_documented_command_exists():
    from django.core.management import get_commands

    from sequence.cli import PURE_COMMANDS

    texts = [GUIDE.read_text(), *(path.read_text() for path in UNITS.glob("*.service"))]
    commands = {name for text in texts for name in re.findall(r"(?:`|bin/)sequence ([a-z_]+)", text)}
    assert {"migrate", "procrastinate", "venue", "vault", "check"} <= commands
    missing = sorted(commands - set(PURE_COMMANDS) - set(get_commands()))
    assert missing == [], f"documented commands that do not exist: {missing}"
    # what gunicorn is told to load
    import importlib

    web = " ".join(unit_lines("sequence-web.service", "ExecStart"))
    assert "sequence.config.wsgi" in web
    module, _, cls = "sequence.config.access_log.GunicornLogger".rpartition(".")
    assert f"--logger-class {module}.{cls}" in (UNITS / "sequence-web.service").read_text()
    assert hasattr(importlib.import_module(module), cls)


def test_the_web_process_never_gets_the_vault_private_keys():
    assert not any("vault_private" in line.lower() or "VAULT_PRIVATE" in line
                   for line in (UNITS / "sequence-web.service").read_text().splitlines()
                   if not line.startswith("#"))
    for unit in ("sequence-worker@.service", "sequence-engine@.service"):
        assert "VAULT_PRIVATE_KEYS_FILE=%d/vault_private_keys" in (UNITS / unit).read_text()


@pytest.mark.django_db
@pytest.mark.parametrize("unit", DJANGO_UNITS)
def test_check_deploy_is_clean_with_the_documented_environment(unit, tmp_path):
    """The unit's environment as systemd builds it: a clean one, the shared file, the unit's
    Environment= lines, its credentials in its own directory (%d)."""
    from django.db import connection

    from sequence.core.sealing import generate_keypair

    public, private = generate_keypair("k1")
    values = {"database_url": database_url(connection.settings_dict),
              "secret_key": "x9" * 40 + "-production-grade-secret-key-for-the-check",
              "field_encryption_key": "k1:" + "A" * 43 + "=", "vault_public_key": public,
              "vault_private_keys": private, "email_host_password": "relay password"}
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    for line in unit_lines(unit, "LoadCredential"):
        name = line.split(":", 1)[0]
        (credentials / name).write_text(values[name] + "\n")
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "PYTHONPATH"}}
    env.update(env_file(ENV_FILE))
    for line in unit_lines(unit, "Environment"):
        name, _, value = line.partition("=")
        env[name] = value.replace("%d", str(credentials)).replace("%H", "host").replace("%i", "1")
    env.update(SEQUENCE_VAR=str(tmp_path / "var"), STATIC_ROOT=str(tmp_path / "static"))  # paths, not policy
    result = subprocess.run([sys.executable, "-m", "sequence.cli", "check", "--deploy", "--fail-level", "WARNING"],
                            env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert not (tmp_path / "var").exists()  # nothing generated locally: every secret came from the unit
