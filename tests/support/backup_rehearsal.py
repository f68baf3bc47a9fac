"""The parts of a backup-and-restore rehearsal: clusters of their own, a platform's environment,
its commands, and what the databases and the simulated exchange say.

The platform dumped is not the test's database: it runs on a throwaway cluster of its own, like
a production server, and the dump is restored into another fresh cluster. The test reads both
with plain SQL (the test process's Django is bound to the test database).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg

from sequence.core.sealing import generate_keypair
from sequence.runtime import embedded_pg
from tests.support.worker import engine_env

ROOT = Path(__file__).resolve().parents[2]


class Cluster:
    """A fresh embedded PostgreSQL with an empty database "sequence"."""

    def __init__(self, prefix: str) -> None:
        self.server = embedded_pg.throwaway(prefix)
        embedded_pg.ensure_database(self.server, "sequence")
        self.url = embedded_pg.socket_url(self.server, "sequence")

    def rows(self, query: str, params: tuple | list = ()) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def value(self, query: str, params: tuple | list = ()):
        return self.rows(query, params)[0][0]

    def close(self) -> None:
        self.server.cleanup()  # deletes the cluster; the empty directory made for it goes too
        shutil.rmtree(Path(self.server.pgdata).parent, ignore_errors=True)


def master_keys() -> dict[str, str]:
    """The secrets a platform's processes share and a dump never holds."""
    public, private = generate_keypair("k1")
    return {"SECRET_KEY": os.environ["SECRET_KEY"], "FIELD_ENCRYPTION_KEY": os.environ["FIELD_ENCRYPTION_KEY"],
            "VAULT_PUBLIC_KEY": public, "VAULT_PRIVATE_KEYS": private}


def platform_env(url: str, keys: dict[str, str], *, venue_url: str, smtp_port: int, var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "DATABASE_URL"))}
    env.update(keys, **engine_env(venue_url), DATABASE_URL=url, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port),
               SEQUENCE_VAR=str(var), PYTHONPATH=str(ROOT))
    return env


def sequence(env: dict, *args: str, timeout: float = 120, ok: bool = True) -> subprocess.CompletedProcess:
    """`sequence <args>` as an operator types it, with `env`."""
    done = subprocess.run([sys.executable, "-m", "sequence.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    if ok and done.returncode != 0:
        raise AssertionError(f"sequence {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def driver(env: dict, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "tests.support.platform_driver", *args], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    if done.returncode != 0:
        raise AssertionError(f"platform_driver {' '.join(args)} exited {done.returncode}:\n{done.stderr[-4000:]}")
    return done


def emailer(env: dict, every: float, log: Path) -> subprocess.Popen:
    """Clients' activity: an email into the outbox every `every` seconds until terminated."""
    return subprocess.Popen([sys.executable, "-m", "tests.support.platform_driver", "emails", "--every", str(every)],
                            env=env, stdout=subprocess.DEVNULL, stderr=log.open("ab"), cwd=ROOT)


def venue_orders(admin, account: str) -> list[dict]:
    """Every order the simulated exchange holds for the account, open and closed."""
    return admin.call("GET", f"/admin/accounts/{account}/orders")["orders"]


def email_ids(messages) -> list[int]:
    return [int(str(m["X-Sequence-Email-Id"])) for m in messages]
