"""`sequence vault keygen|rotate|status`, the system checks, and a real web-role process."""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sequence.core.sealing import PrivateKeyring, PublicKeyring, context_for
from sequence.vault import checks
from sequence.vault.keys import _resolve, local_path, vault_keys
from sequence.vault.services import credential_store
from tests.support.worker import database_url
from tests.vault.conftest import PAIR1, PAIR2


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("vault", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_keygen_prints_a_working_pair_in_the_env_format():
    out, err = run("keygen", "--kid", "k7")
    lines = dict(line.split("=", 1) for line in out.splitlines())
    assert set(lines) == {"VAULT_PUBLIC_KEY", "VAULT_PRIVATE_KEYS"}
    public, private = PublicKeyring.parse(lines["VAULT_PUBLIC_KEY"]), PrivateKeyring.parse(lines["VAULT_PRIVATE_KEYS"])
    assert public.current == "k7" and private.matches(public)
    ctx = context_for("p", 1, 2, "f")
    assert private.open(public.seal(b"x", ctx), ctx) == b"x"
    assert "workers" in err
    default, _ = run("keygen")
    assert default.startswith("VAULT_PUBLIC_KEY=v")


@pytest.mark.parametrize(("args", "message"), [
    ((), "the following arguments are required"),
    (("frobnicate",), "invalid choice: 'frobnicate'"),
    (("keygen", "--kid", "no-dashes"), "kid must be 1-16 ASCII letters or digits"),
    (("rotate", "--limit", "0"), "--limit must be a positive number"),
    (("rotate", "--limit", "many"), "invalid int value"),
])
def test_bad_arguments_get_a_clear_message(args, message, worker_keys):
    with pytest.raises(CommandError, match=message):
        run(*args)


@pytest.mark.django_db
def test_status_and_rotate(alice, settings):
    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = PAIR1
    for i in range(2):
        credential_store(owner=alice, exchange="okx", fields={"api_key": f"key-{i}-abcdefgh", "api_secret": "s"})
    out, _ = run("status")
    assert "current kid: k1" in out and "k1: 4 sealed value(s) (current)" in out and "2 live" in out
    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = PAIR2[0], f"{PAIR2[1]},{PAIR1[1]}"
    out, _ = run("status")
    assert "k1: 4 sealed value(s) (to re-seal)" in out and "run `sequence vault rotate`" in out
    assert run("rotate")[0].strip() == "re-sealed 4 field(s) of 2 credential(s) under kid k2"
    assert run("rotate")[0].strip() == "re-sealed 0 field(s) of 0 credential(s) under kid k2"
    assert '"k2": 4' in run("status", "--json")[0]
    settings.VAULT_PRIVATE_KEYS = ""  # the web role cannot rotate
    with pytest.raises(CommandError, match="no vault private key"):
        run("rotate")
    assert "private kids here: none (cannot open)" in run("status")[0]


@pytest.mark.django_db
def test_verify_opens_every_live_credential_with_the_keys_it_was_sealed_to(alice, settings):
    """After a restore: the keys given to the processes are those of the dump's platform."""
    from sequence.vault.models import DecryptionRecord
    from sequence.vault.services import credential_destroy

    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = PAIR1
    stored = [credential_store(owner=alice, exchange="okx", fields={"api_key": f"key-{i}-abcdefgh", "api_secret": "s"})
              for i in range(3)]
    credential_destroy(credential=stored[2], reason="test")
    assert run("verify")[0].strip() == "opened 2 of 2 live credential(s)"
    assert DecryptionRecord.objects.filter(purpose="verify the vault keys").count() == 2  # recorded, as every opening
    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = PAIR2  # another platform's keys
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match=re.escape("2 credential(s) do not open with these keys")):
        call_command("vault", "verify", stdout=out, stderr=err)
    assert out.getvalue().startswith("opened 0 of 2 live credential(s); 2 could not be opened")
    assert str(stored[0].pk) in out.getvalue() and "key-0" not in out.getvalue()
    settings.VAULT_PRIVATE_KEYS = ""  # the web role
    with pytest.raises(CommandError, match="no vault private key"):
        run("verify")


def ids(issues):
    return sorted(issue.id for issue in issues)


def test_keys_are_generated_once_under_var_when_none_are_set(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("SEQUENCE_VAR", str(tmp_path))
    settings.VAULT_PUBLIC_KEY = settings.VAULT_PRIVATE_KEYS = ""
    _resolve.cache_clear()
    try:
        keys = vault_keys()
        assert keys.generated_locally and keys.private.matches(keys.public)
        path = local_path()
        assert path.parent == tmp_path and stat.S_IMODE(path.stat().st_mode) == 0o600
        _resolve.cache_clear()
        assert vault_keys().public.to_text() == keys.public.to_text()  # reused, not regenerated
        issues = checks.vault_keys_check()
        assert ids(issues) == ["vault.I001"] and "generated locally under var/" in issues[0].msg
        assert ids(checks.vault_keys_deploy_check()) == ["vault.W001"]
    finally:
        _resolve.cache_clear()


def test_configured_keys_pass_the_checks(worker_keys):
    assert checks.vault_keys_check() == [] and checks.vault_keys_deploy_check() == []


def test_checks_catch_bad_or_mismatched_keys(settings):
    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = "k1:no!", ""
    [issue] = checks.vault_keys_check()
    assert issue.id == "vault.E001" and "not valid base64" in issue.msg
    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = PAIR2[0], PAIR1[1]
    assert ids(checks.vault_keys_check()) == ["vault.E003"]  # new values would not open here
    settings.VAULT_PUBLIC_KEY = PAIR2[0].replace("k2:", "k1:")
    assert ids(checks.vault_keys_check()) == ["vault.E004"]  # wrong public half
    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = "", PAIR1[1]  # public derived from the private
    assert checks.vault_keys_check() == [] and vault_keys().public.to_text() == PAIR1[0]


@pytest.mark.django_db(transaction=True)
def test_a_web_process_with_only_the_public_key_file_cannot_open(make_user, settings, tmp_path):
    from django.db import connection

    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = PAIR1
    credential = credential_store(owner=make_user("web@example.com"), exchange="okx",
                                  fields={"api_key": "web-key-abcdefgh", "api_secret": "CanaryWebSecret"})
    key_file = tmp_path / "public.key"
    key_file.write_text(PAIR1[0] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    env.update(VAULT_PUBLIC_KEY_FILE=str(key_file), DATABASE_URL=database_url(connection.settings_dict),
               SEQUENCE_VAR=str(tmp_path / "var"))
    script = (
        "from sequence.vault.models import Credential\n"
        "from sequence.vault.services import credential_open, credential_store, VaultLocked\n"
        f"c = Credential.objects.get(pk='{credential.pk}')\n"
        "new = credential_store(owner=c.owner, exchange='okx', fields={'api_key': 'from-the-web-1234'})\n"
        "print('stored', new.sealed_fields.get().kid)\n"
        "try:\n"
        "    credential_open(credential=c, purpose='peek', actor='web')\n"
        "except VaultLocked as exc:\n"
        "    print('locked:', exc)\n"
    )
    result = subprocess.run([sys.executable, "-m", "sequence.cli", "shell", "-c", script], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "stored k1" in result.stdout and "locked: this process holds no vault private key" in result.stdout
    assert "CanaryWebSecret" not in result.stdout + result.stderr
    assert not (tmp_path / "var" / "vault-keys.json").exists()  # nothing generated when a key is set
