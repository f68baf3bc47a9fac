"""Production settings pass Django's deployment checks with zero warnings (SECURITY.md T11)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.worker import database_url


@pytest.mark.django_db
def test_check_deploy_is_clean_with_production_settings():
    from django.db import connection

    from sequence.core.sealing import generate_keypair

    public, private = generate_keypair("k1")
    env = {k: v for k, v in os.environ.items() if k not in {"SECURE_COOKIES", "SECURE_SSL_REDIRECT", "DEBUG"}}
    env.update(
        SECRET_KEY="x9" * 40 + "-production-grade-secret-key-for-the-check",
        FIELD_ENCRYPTION_KEY="k1:" + "A" * 43 + "=",
        ALLOWED_HOSTS="sequence.example.com",
        SEQUENCE_DEMO="0",
        VAULT_PUBLIC_KEY=public,
        VAULT_PRIVATE_KEYS=private,
        DATABASE_URL=database_url(connection.settings_dict),
    )
    result = subprocess.run(
        [sys.executable, "-m", "sequence.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_bad_environment_values_get_a_clear_message():
    env = dict(os.environ, DEBUG="maybe")
    result = subprocess.run([sys.executable, "-m", "sequence.cli", "check"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr
    assert "Traceback" not in result.stderr
