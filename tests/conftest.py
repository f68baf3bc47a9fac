"""Shared fixtures: personas, a real SMTP server, a real worker process, a real browser."""

from __future__ import annotations

import os

import pytest

from tests.support.smtp import SmtpSink
from tests.support.worker import WorkerProcess, engine_env

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing(django_test_environment):
    """Users are created and sign in in nearly every test: hashing at the platform's cost
    would be minutes of the run (tests/support/hashers.py). The platform's own list stays
    first after it, and tests/accounts/test_password_hashing.py checks the platform's."""
    from django.conf import settings
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["tests.support.hashers.CheapArgon2PasswordHasher",
                                             *settings.PASSWORD_HASHERS]):
        yield


@pytest.fixture(scope="session")
def smtp_sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def venue():
    """The simulated exchange on 127.0.0.1 (Bybit and OKX protocols), paused market clock."""
    from sequence.venue import running_venue

    with running_venue(candles=None, speed=0, price=30000.0) as running:
        yield running


@pytest.fixture
def venue_settings(settings, venue):
    settings.BYBIT_API_URL = settings.OKX_API_URL = venue.url
    settings.EGRESS_IPS = ["127.0.0.1"]
    settings.EXCHANGE_ACCOUNT_RATE_SCALE = 20  # the venue's limits are raised in tests (engine_env)
    return venue


@pytest.fixture(scope="session")
def worker_process(django_db_setup, django_db_blocker, smtp_sink, venue, tmp_path_factory):
    from django.db import connection

    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    worker = WorkerProcess(db_settings=connection.settings_dict, smtp_port=smtp_sink.port, log_path=log_path,
                           extra_env=engine_env(venue.url)).start()
    yield worker
    worker.stop()


@pytest.fixture
def worker(worker_process, transactional_db, smtp_sink):
    """Jobs run for real: use with tests whose writes commit (transactional_db).

    At the end of the test, wait until the worker has finished the test's jobs: the database is
    then flushed for the next test, and a job still running would deadlock with that flush (or
    run later against rows that are gone)."""
    smtp_sink.clear()
    yield worker_process
    wait_for_idle_worker()


def wait_for_idle_worker(timeout: float = 30.0) -> None:
    """Until no job is running or due; a worker still busy after `timeout` fails the test."""
    from django.db import connection

    from tests.support.eventually import eventually

    def busy_jobs() -> list:
        with connection.cursor() as cur:
            cur.execute("SELECT task_name, status FROM procrastinate_jobs WHERE queue_name <> 'housekeeping' "
                        "AND (status = 'doing' OR (status = 'todo' AND "
                        "(scheduled_at IS NULL OR scheduled_at <= now())))")
            return cur.fetchall()

    try:
        eventually(lambda: not busy_jobs(), timeout=timeout, interval=0.1,
                   what="the worker to finish the test's jobs")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; still running or due: {busy_jobs()}") from None


@pytest.fixture
def make_user(db):
    from sequence.accounts.services import user_create

    def make(email="alice@example.com", password=PASSWORD, **extra):
        extra.setdefault("anti_phishing_code", "bluefalcon")
        return user_create(email=email, password=password, **extra)

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice@example.com")


@pytest.fixture
def bob(make_user):
    return make_user("bob@example.com", anti_phishing_code="redheron")


@pytest.fixture
def operator(make_user):
    return make_user("operator@example.com", is_operator=True, anti_phishing_code="opscode")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test that used the real worker shows the end of the worker's log."""
    report = yield
    worker = getattr(item, "funcargs", {}).get("worker")
    if report.failed and worker is not None:
        report.sections.append(("worker log (last 6000 characters)", worker.output()[-6000:]))
    return report


def pytest_collection_modifyitems(items):
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread
    while it is open, and asyncio.run() in other tests must not find one."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture(scope="module")
def browser():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop shares the thread
    from playwright.sync_api import sync_playwright

    if not os.path.exists("/usr/bin/chromium"):
        pytest.fail("/usr/bin/chromium is missing: run `sh scripts/ensure-chromium` (make test does)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture(autouse=True)
def _lane_connections():
    """The engine's lanes (sequence.trading.lanes) hold connections of their own: closed after
    each test, or the test database could not be dropped."""
    yield
    from sequence.trading import lanes

    lanes.close_all()
