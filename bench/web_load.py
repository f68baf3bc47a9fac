"""Web load: locust, headless on loopback, against gunicorn with its documented worker count.

    python bench/web_load.py            # 50 users for 2 minutes (make bench)
    WEB_LOAD_USERS=10 WEB_LOAD_SECONDS=20 python bench/web_load.py    # a quick run

What it does: a throwaway PostgreSQL (or DATABASE_URL), migrations, static files collected as in
production; then the people: clients with 3 live bots each (`tests.support.web_seed`: the
submission, verification and launch services, then the engine's rows) and operators, every one
with an authenticator app. gunicorn serves `sequence.config.wsgi` with (2 x cores) + 1 sync
workers (gunicorn's documentation), the web role's environment: the vault's public key only.
Each locust user signs in once in `on_start` through the real pages (password, then the app's
code), then GETs its pages with 1-3 s between requests (`bench/web_load_users.py`).

Prints p50, p95 and p99 per page, the errors, and the CPU that locust itself and gunicorn
used (locust's share matters on 2 cores: it competes with the server it measures). Goal
(issue 15): p95 at most 150 ms on every page and 0 errors.

Environment: WEB_LOAD_USERS (50), WEB_LOAD_SECONDS (120), WEB_LOAD_SPAWN_RATE (5 users/s),
WEB_LOAD_WORKERS (2 x cores + 1), WEB_LOAD_PORT (8300), WEB_LOAD_STEADY (1: figures from the
end of the ramp on, locust's --reset-stats; default 0, the whole run), DB_CONN_MAX_AGE (60, as in
deploy/systemd/sequence.env), DATABASE_URL (unset: a throwaway embedded PostgreSQL).
"""

from __future__ import annotations

import base64
import csv
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent

# The console's queue (H1): every submission with its checks and flags
# (tests/web/test_query_counts.py counts its queries too).
CONSOLE_QUEUE = "/ops/submissions/"
# The measured pages: name -> path; {bot} is one of the signed-in client's bots.
PAGES = {
    "dashboard": "/dashboard/",
    "submission": "/submit/?type=new",
    "bot": "/dashboard/bots/{bot}/live/",
    "console queue": CONSOLE_QUEUE,
}
CLIENT_PAGES = ("dashboard", "submission", "bot")
OPERATOR_PAGES = ("console queue",)
OPERATOR_EVERY = 5  # one locust user in five is an operator (web_load_users.py weights)
P95_GOAL_MS = 150
PASSWORD = "bench passphrase, long enough 42"  # noqa: S105 - the bench's own throwaway accounts


def setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw.strip() else default
    except ValueError:
        raise SystemExit(f"{name} must be a whole number; got {raw!r}") from None


def prepare(var: Path, clients: int, operators: int) -> tuple[dict, object | None]:
    """The database, static files and people; returns the web process's environment."""
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    from sequence.core.sealing import generate_keypair

    public, _private = generate_keypair("bench")  # the web role seals, it never opens
    env = {**os.environ, "SECRET_KEY": secrets.token_urlsafe(50),
           "FIELD_ENCRYPTION_KEY": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
           "VAULT_PUBLIC_KEY": public, "SEQUENCE_VAR": str(var), "STATIC_ROOT": str(var / "static"),
           "ALLOWED_HOSTS": "127.0.0.1", "SECURE_COOKIES": "0", "SECURE_SSL_REDIRECT": "0",  # plain HTTP here
           "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "sequence.config.settings",
           # as in deploy/systemd/sequence.env: a connection per gunicorn worker, not per request
           "DB_CONN_MAX_AGE": os.environ.get("DB_CONN_MAX_AGE", "60")}
    env.pop("SEQUENCE_DEMO", None)
    env.pop("DEBUG", None)
    server = None
    if not env.get("DATABASE_URL"):
        from sequence.runtime import embedded_pg

        server = embedded_pg.throwaway("sequence-web-load-")
        embedded_pg.ensure_database(server, "bench")
        env["DATABASE_URL"] = embedded_pg.socket_url(server, "bench")
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    accounts = seed(clients, operators)
    (var / "accounts.json").write_text(json.dumps(accounts))
    connections.close_all()
    env["WEB_LOAD_ACCOUNTS"] = str(var / "accounts.json")
    return env, server


def seed(clients: int, operators: int) -> dict:
    from tests.support import web_seed

    from sequence.accounts.services import user_create

    offerings = web_seed.catalogue()

    def make_user(email, **extra):
        return user_create(email=email, password=PASSWORD, anti_phishing_code="bench-code", **extra)

    out: dict = {"client": [], "operator": []}
    for n in range(clients):
        user, bots = web_seed.client_with_bots(make_user, f"client{n}@bench.example", offerings, bots=3)
        out["client"].append({"email": user.email, "password": PASSWORD, "totp": web_seed.totp_on(user),
                              "bots": [str(bot.pk) for bot in bots]})
    for n in range(operators):
        user = make_user(f"operator{n}@bench.example", is_operator=True)
        out["operator"].append({"email": user.email, "password": PASSWORD, "totp": web_seed.totp_on(user),
                                "bots": []})
    return out


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode} before serving")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own loopback server
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer at {url} within {timeout:.0f} s") from None
            time.sleep(0.2)


def cpu_seconds_when_done(proc: subprocess.Popen) -> float:
    """User + system CPU of a child, once it has finished (and of the children it reaped)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def tree_cpu_seconds(pid: int) -> float:
    """CPU used so far by a process, the children it reaped and its live descendants (gunicorn's
    workers; the PostgreSQL postmaster's backends)."""
    import psutil

    root = psutil.Process(pid)
    own = root.cpu_times()
    total = own.user + own.system + own.children_user + own.children_system
    for child in root.children(recursive=True):
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["Name"] != "Aggregated"]


def report(rows: list[dict], seconds: float, users: int, workers: int, locust_cpu: float, web_cpu: float,
           db_cpu: float | None) -> int:
    by_name = {row["Name"]: row for row in rows}
    errors = sum(int(row["Failure Count"]) for row in rows)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{users} users, {seconds:.0f} s, gunicorn {workers} workers, {os.cpu_count()} cores, "
          f"load average at the end {load} (other work on the machine skews the figures)")
    print(f"{'page':<22}{'requests':>9}{'errors':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    figures: dict = {}
    for name in [*PAGES, *sorted(set(by_name) - set(PAGES))]:
        row = by_name.get(name)
        if row is None:
            print(f"{name:<22}{'no requests':>9}")
            continue
        p50, p95, p99 = (int(float(row[key])) for key in ("50%", "95%", "99%"))
        print(f"{name:<22}{int(row['Request Count']):>9}{int(row['Failure Count']):>8}{p50:>8}{p95:>8}{p99:>8}")
        figures[name] = {"requests": int(row["Request Count"]), "errors": int(row["Failure Count"]),
                         "p50_ms": p50, "p95_ms": p95, "p99_ms": p99}
    print(f"errors: {errors}")
    print(f"locust's own CPU: {locust_cpu:.1f} s = {100 * locust_cpu / seconds:.0f} % of one core "
          f"(gunicorn: {web_cpu:.1f} s = {100 * web_cpu / seconds:.0f} %)")
    # per request, whatever else ran on the machine (sign-ins included: argon2 is most of theirs)
    requests = sum(int(row["Request Count"]) for row in rows) or 1
    per_request = {"web_cpu_ms_per_request": round(1000 * web_cpu / requests, 1)}
    if db_cpu is not None:
        per_request["db_cpu_ms_per_request"] = round(1000 * db_cpu / requests, 1)
    print("CPU per request (all requests): " + ", ".join(f"{k.split('_')[0]} {v} ms" for k, v in per_request.items()))
    missed = [name for name in PAGES if name not in figures or figures[name]["p95_ms"] > P95_GOAL_MS]
    verdict = "met" if not missed and errors == 0 else f"missed ({', '.join(missed) or 'errors'})"
    print(f"goal (p95 <= {P95_GOAL_MS} ms on every page, 0 errors): {verdict}")
    print(json.dumps({"bench": "web_load", "users": users, "seconds": round(seconds), "workers": workers,
                      "load_average": os.getloadavg()[0],
                      "errors": errors, "locust_cpu_pct": round(100 * locust_cpu / seconds),
                      "web_cpu_pct": round(100 * web_cpu / seconds), **per_request, "pages": figures}))
    return 1 if errors else 0


def main() -> int:
    users = setting("WEB_LOAD_USERS", 50)
    seconds = setting("WEB_LOAD_SECONDS", 120)
    rate = setting("WEB_LOAD_SPAWN_RATE", 5)
    workers = setting("WEB_LOAD_WORKERS", 2 * (os.cpu_count() or 1) + 1)
    port = setting("WEB_LOAD_PORT", 8300)
    steady = setting("WEB_LOAD_STEADY", 0) == 1
    if users < 1 or seconds < 1 or rate < 1 or workers < 1:
        raise SystemExit("WEB_LOAD_USERS, WEB_LOAD_SECONDS, WEB_LOAD_SPAWN_RATE and WEB_LOAD_WORKERS must be 1 or more")
    operators = max(1, users // OPERATOR_EVERY)
    var = Path(tempfile.mkdtemp(prefix="sequence-web-load-"))
    started = time.monotonic()
    env, server = prepare(var, clients=users - operators + 1, operators=operators + 1)  # +1: spares
    print(f"prepared in {time.monotonic() - started:.0f} s: {users - operators + 1} clients with 3 bots, "
          f"{operators + 1} operators", flush=True)
    bin_dir = Path(sys.executable).parent
    from sequence.config.access_log import GUNICORN_LOGGER

    web = subprocess.Popen([str(bin_dir / "gunicorn"), "sequence.config.wsgi", "--bind", f"127.0.0.1:{port}",
                            "--workers", str(workers), "--log-level", "warning",
                            "--logger-class", GUNICORN_LOGGER], env=env)
    web_cpu = locust_cpu = 0.0
    db_cpu: float | None = None
    try:
        wait_for(f"http://127.0.0.1:{port}/signin/", web)
        prefix = var / "locust"
        # the run's share only: not gunicorn's start-up, nor the seeding (DATABASE_URL: a server
        # elsewhere, not ours to measure)
        web_before = tree_cpu_seconds(web.pid)
        db_before = 0.0 if server is None else tree_cpu_seconds(server.get_pid())
        locust = subprocess.Popen(
            [str(bin_dir / "locust"), "-f", str(HERE / "web_load_users.py"), "--headless",
             "--users", str(users), "--spawn-rate", str(rate), "--run-time", f"{seconds}s",
             "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
             "--stop-timeout", "5", "--loglevel", "WARNING", *(["--reset-stats"] if steady else [])], env=env)
        locust_cpu = cpu_seconds_when_done(locust)
        web_cpu = tree_cpu_seconds(web.pid) - web_before
        db_cpu = None if server is None else tree_cpu_seconds(server.get_pid()) - db_before
        rows = read_stats(prefix)
    finally:
        web.terminate()
        web.wait(timeout=30)
        if server is not None:
            server.cleanup()
            shutil.rmtree(server.pgdata.parent, ignore_errors=True)  # the throwaway's own directory
        shutil.rmtree(var, ignore_errors=True)  # static files, accounts, locust's CSV (read above)
    if steady:
        print("WEB_LOAD_STEADY=1: locust reset its figures once every user was spawned (the ramp and most "
              "sign-ins are not in them; the CPU figures still are)")
    return report(rows, seconds, users, workers, locust_cpu, web_cpu, db_cpu)


if __name__ == "__main__":
    sys.exit(main())
