"""`sequence backup` and `sequence restore`: bad input gets a clear message (exit 2, no traceback,
no password), a dump is private and complete, and a restore into PostgreSQL 15 works with the
PostgreSQL 18 tools of the wheel. The whole rehearsal is test_backup_restore.py."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid

import psycopg
import pytest

from sequence.runtime import backup, restore
from tests.support.worker import database_url

SERVER_15 = "postgresql://postgres@127.0.0.1:5432/postgres"  # issue 15: the machine's own server


@pytest.fixture
def test_db_url(db):
    from django.db import connection

    return database_url(connection.settings_dict)


@pytest.fixture
def no_database(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "DATABASE_URL_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SEQUENCE_VAR", str(tmp_path / "var"))  # no `sequence run` there


def test_backup_without_a_database_says_so(no_database, capsys, tmp_path):
    assert backup.main(["--output", str(tmp_path / "x.dump")]) == 2
    assert "DATABASE_URL is not set and no `sequence run` is running here" in capsys.readouterr().err
    assert not (tmp_path / "x.dump").exists()


def test_restore_needs_a_named_database(no_database, capsys, tmp_path):
    assert restore.main([str(tmp_path / "x.dump")]) == 2
    assert "DATABASE_URL is not set: name the database to restore into" in capsys.readouterr().err


def test_an_unreachable_database_is_named_without_its_password(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://sequence:hunter2secret@127.0.0.1:1/sequence")
    assert backup.main(["--output", str(tmp_path / "x.dump")]) == 2
    err = capsys.readouterr().err
    assert "cannot connect to the database 'sequence' on 127.0.0.1:1" in err
    assert "hunter2secret" not in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


def test_a_dump_is_private_complete_and_never_overwritten(test_db_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", test_db_url)
    out = tmp_path / "nightly.dump"
    assert backup.main(["--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and "holds no master key" in printed
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it holds personal data and sealed keys
    assert list(tmp_path.iterdir()) == [out]
    assert backup.main(["--output", str(out)]) == 2
    assert "exists: a dump is never overwritten" in capsys.readouterr().err


def test_restore_refuses_what_is_not_a_dump_and_a_database_in_use(test_db_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", test_db_url)
    assert restore.main([str(tmp_path / "missing.dump")]) == 2
    assert "missing.dump: no such file" in capsys.readouterr().err
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"not a dump at all")
    assert restore.main([str(junk)]) == 2
    assert "is not a dump of `sequence backup`" in capsys.readouterr().err
    dump = tmp_path / "ok.dump"
    assert backup.main(["--output", str(dump)]) == 0
    capsys.readouterr()
    assert restore.main([str(dump)]) == 2  # into the database it comes from, which has tables
    err = capsys.readouterr().err
    assert "already has" in err and "restore into a new, empty database" in err


def test_the_commands_are_on_the_sequence_command_line():
    usage = subprocess.run([sys.executable, "-m", "sequence.cli", "--help"], capture_output=True, text=True,
                           timeout=60, check=True).stdout
    assert "backup " in usage and "restore " in usage
    bad = subprocess.run([sys.executable, "-m", "sequence.cli", "restore"], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and "the following arguments are required: dump" in bad.stderr


def _server_15() -> str | None:
    try:
        with psycopg.connect(SERVER_15, connect_timeout=2) as conn:
            return str(conn.info.server_version)
    except psycopg.OperationalError:
        return None


def test_a_restore_into_postgresql_15_with_the_wheels_tools(test_db_url, monkeypatch, capsys, tmp_path):
    """pg_restore 18 writes a PostgreSQL 17 setting first; a 15 server gets the script without it."""
    version = _server_15()
    if version is None or not version.startswith("15"):
        pytest.skip("no PostgreSQL 15 answers on 127.0.0.1:5432")
    monkeypatch.setenv("DATABASE_URL", test_db_url)
    dump = tmp_path / "for-15.dump"
    assert backup.main(["--output", str(dump)]) == 0
    name = f"sequence_restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(SERVER_15, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:5432/{name}")
        assert restore.main([str(dump)]) == 0, capsys.readouterr().err
        assert "restored" in capsys.readouterr().out
        count = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        with psycopg.connect(test_db_url) as source, psycopg.connect(os.environ["DATABASE_URL"]) as target:
            assert target.execute(count).fetchone()[0] == source.execute(count).fetchone()[0] > 20
            migrations = "SELECT count(*) FROM django_migrations"
            assert target.execute(migrations).fetchone()[0] == source.execute(migrations).fetchone()[0]
    finally:
        with psycopg.connect(SERVER_15, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
