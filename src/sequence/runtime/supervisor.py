"""`sequence run`: the whole platform with a demo, in one terminal.

Starts (or reuses) the embedded PostgreSQL under var/pg unless DATABASE_URL
is set, the local SMTP sink unless EMAIL_HOST is set, migrates, seeds the
demo, then runs the web server, the job worker and the simulated exchange as
child processes (the process types of `process_types`), supervised by
`children`: one that dies is restarted with back-off. Ctrl-C or SIGTERM stops
them all; if `sequence run` itself is killed, even with kill -9, its children
die with it (`child`) and so does the embedded PostgreSQL it started
(`pg_guard`). Demo passwords are generated once, kept in var/demo-logins.json
and printed at every start (DEMO_PASSWORD overrides both).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path

from sequence.runtime import embedded_pg, pg_guard, process_types
from sequence.runtime.children import Children
from sequence.runtime.paths import var_dir

DEMO_USERS = ("operator@example.com", "client@example.com")


def demo_passwords(var: Path) -> dict[str, str]:
    override = os.environ.get("DEMO_PASSWORD")
    if override:
        return dict.fromkeys(DEMO_USERS, override)
    path = var / "demo-logins.json"
    if path.exists():
        stored = json.loads(path.read_text())
        if set(stored) == set(DEMO_USERS):
            return stored
    stored = {user: secrets.token_urlsafe(12) for user in DEMO_USERS}
    path.write_text(json.dumps(stored, indent=1))
    path.chmod(0o600)
    return stored


def split_vault_keys(env: dict) -> tuple[dict, dict]:
    """The web process gets only the vault's public key; the worker both (DESIGN.md section 7).

    With no keys configured (the demo), the pair generated under var/ is handed out that way.
    """
    if env.get("VAULT_PUBLIC_KEY") or env.get("VAULT_PRIVATE_KEYS") or env.get("VAULT_PRIVATE_KEYS_FILE"):
        return env, env
    from sequence.vault.keys import local_pair

    public, private = local_pair()
    worker = dict(env, VAULT_PUBLIC_KEY=public, VAULT_PRIVATE_KEYS=private)
    web = dict(env, VAULT_PUBLIC_KEY=public)
    return worker, web


def wait_for_http(url: str, what: str, children: Children, timeout: float = 30.0) -> None:
    """Wait for `url` to answer, supervising meanwhile: a child that dies while starting is restarted."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        children.tick()
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own loopback service
                return
        except (urllib.error.URLError, OSError) as exc:
            if time.monotonic() > deadline:
                raise SystemExit(f"sequence run: {what} did not start at {url}: {exc}") from None
            time.sleep(0.2)


def run_step(cmd: list[str], env: dict, what: str) -> None:
    if subprocess.call(cmd, env=env) != 0:
        raise SystemExit(f"sequence run: {what} failed (see above)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sequence run", description="The platform with a demo.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--smtp-port", type=int, default=int(os.environ.get("SMTP_SINK_PORT", "8025")))
    parser.add_argument("--venue-port", type=int, default=int(os.environ.get("VENUE_PORT", "8100")))
    args = parser.parse_args(argv)

    var = var_dir()
    env = dict(os.environ)
    env.setdefault("SEQUENCE_DEMO", "1")
    env.setdefault("SITE_URL", f"http://127.0.0.1:{args.port}")
    env.setdefault("SECURE_COOKIES", "0")  # plain HTTP on loopback; production sits behind TLS
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    env["SEQUENCE_VAR"] = str(var)
    py = sys.executable
    children = Children()
    server = guard = None

    def shutdown(*_):
        raise KeyboardInterrupt

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, shutdown)
    try:
        if not env.get("DATABASE_URL"):
            print(f"Starting the embedded PostgreSQL ({var / 'pg'})...", flush=True)
            pg_guard.forget_dead_handles(var / "pg")  # a run killed with -9 never let go of it
            try:
                server = embedded_pg.start(var / "pg")
                embedded_pg.ensure_database(server, "sequence")
            except embedded_pg.DatabaseStartError as exc:
                print(exc, file=sys.stderr)
                return 2
            guard = pg_guard.start(os.getpid(), var / "pg")
            env["DATABASE_URL"] = embedded_pg.socket_url(server, "sequence")
        if not env.get("EMAIL_HOST"):
            env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(args.smtp_port), DEMO_MAILDIR=str(var / "mail"))
            children.start("smtp-sink", process_types.smtp_sink(py, args.smtp_port, var / "mail"), env)
        passwords = demo_passwords(var)
        seq = [py, "-m", "sequence.cli"]
        run_step([*seq, "migrate", "--noinput", "-v", "0"], env, "migrating the database")
        run_step([*seq, "collectstatic", "--noinput", "-v", "0"], env, "collecting static files")
        seed_env = dict(env, DEMO_OPERATOR_PASSWORD=passwords[DEMO_USERS[0]],
                        DEMO_CLIENT_PASSWORD=passwords[DEMO_USERS[1]],
                        VENUE_URL=f"http://127.0.0.1:{args.venue_port}")
        if find_spec("sequence.venue.cli") and not env.get("BYBIT_API_URL"):
            venue_url = seed_env["VENUE_URL"]
            env.update(VENUE_URL=venue_url, BYBIT_API_URL=venue_url, OKX_API_URL=venue_url,
                       PAPER_VENUE_URL=venue_url)
            seed_env.update(BYBIT_API_URL=venue_url, OKX_API_URL=venue_url, PAPER_VENUE_URL=venue_url)
            candles = Path(__file__).with_name("demo_data") / "binanceus_BTCUSDT_1m_2023-03.csv.gz"
            children.start("venue", process_types.venue(py, args.venue_port, candles, var / "venue-state.pkl"), env)
            wait_for_http(f"{venue_url}/admin/clock", "the simulated exchange", children)
        else:
            seed_env.pop("VENUE_URL")
        run_step([*seq, "seed_demo"], seed_env, "seeding the demo")
        worker_env, web_env = split_vault_keys(env)
        children.start("worker", process_types.worker(py), worker_env)
        children.start("web", process_types.web(py, args.port), web_env)
        wait_for_http(f"http://127.0.0.1:{args.port}/", "the web server", children, timeout=60)
        banner(args.port, passwords)
        while True:
            children.tick()
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the stop short
        children.stop()
        if server is not None:
            server.cleanup()
        if guard is not None:
            guard.terminate()  # we are alive and stopped the server ourselves: it just goes
            guard.wait()


def banner(port: int, passwords: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{port}/"
    lines = [
        "",
        f"  Sequence is running at {url}",
        "",
        "  Demo logins (demo only: passwords are printed here on purpose):",
        *(f"    {user:24} {password}" for user, password in passwords.items()),
        "",
        f"  Emails (sign-in codes too) land in the demo mailbox: {url}ops/demo/mailbox/",
        "  Sign in as the operator first (its code is there too, from a private window), or read",
        "  the newest mail in this terminal with: .venv/bin/sequence demo_mail",
        "  Press Ctrl-C to stop everything.",
        "",
    ]
    print("\n".join(lines), flush=True)
