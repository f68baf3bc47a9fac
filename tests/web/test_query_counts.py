"""Queries per page for the pages `bench/web_load.py` loads: a fixed number, whatever the bots.

Each bound is the count measured after the N+1 fixes (the dashboard made 5 queries per bot
before: its latest submission, then the engine, sides, orders and fills of its live panel).
A page whose count grows with the bots shown fails the "same count" tests below first.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import PASSWORD
from tests.support import web_seed

# The pages and their bounds, as measured (session, user, the page's reads).
# The dashboard's +1 is its withdrawal notices (sequence.compliance; its bots come from the page's rows).
MAX_QUERIES = {"dashboard": 11 + 1, "submission": 10, "bot": 10, "console queue": 8, "console bot": 13}


@pytest.fixture
def offerings(db):
    return web_seed.catalogue()


def signed_in(client, user) -> None:
    web_seed.signed_in_with_app(client, user, web_seed.totp_on(user), PASSWORD)


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries)


@pytest.fixture
def client_of_three(client, make_user, offerings):
    user, bots = web_seed.client_with_bots(make_user, "three@example.com", offerings, bots=3)
    signed_in(client, user)
    return client, bots


@pytest.mark.django_db
def test_dashboard_of_a_client_with_three_bots(client_of_three, django_assert_max_num_queries):
    client, bots = client_of_three
    with django_assert_max_num_queries(MAX_QUERIES["dashboard"]):
        page = client.get("/dashboard/").content.decode()
    assert all(f'id="live-{bot.pk}"' in page for bot in bots)  # every bot's live panel is there


@pytest.mark.django_db
def test_submission_page(client_of_three, django_assert_max_num_queries):
    client, _ = client_of_three
    with django_assert_max_num_queries(MAX_QUERIES["submission"]):
        assert client.get("/submit/?type=new").status_code == 200


@pytest.mark.django_db
def test_bot_page(client_of_three, django_assert_max_num_queries):
    client, bots = client_of_three
    with django_assert_max_num_queries(MAX_QUERIES["bot"]):
        assert client.get(f"/dashboard/bots/{bots[0].pk}/live/").status_code == 200


@pytest.mark.django_db
def test_dashboard_queries_do_not_grow_with_the_bots(client, make_user, offerings):
    one, _ = web_seed.client_with_bots(make_user, "one@example.com", offerings, bots=1)
    signed_in(client, one)
    with_one = queries(client, "/dashboard/")
    client.logout()
    three, _ = web_seed.client_with_bots(make_user, "three@example.com", offerings, bots=3)
    signed_in(client, three)
    assert queries(client, "/dashboard/") == with_one


@pytest.mark.django_db
def test_the_batched_live_views_equal_one_by_one(make_user, offerings):
    from sequence.trading.selectors import bot_live, bots_live

    _, bots = web_seed.client_with_bots(make_user, "three@example.com", offerings, bots=3)
    batched = bots_live(bots, fills=5, events=2)
    for bot, view in zip(bots, batched, strict=True):
        alone = bot_live(bot, fills=5, events=2)
        assert view.engine == alone.engine and view.engine is not None
        for part in ("sides", "orders", "fills", "events"):
            assert [row.pk for row in getattr(view, part)] == [row.pk for row in getattr(alone, part)], part
        assert len(view.fills) == 5 and len(view.events) == 2 and len(view.orders) == 4


@pytest.fixture
def operator_client(client, operator, make_user, offerings):
    for n in range(2):
        web_seed.client_with_bots(make_user, f"client{n}@example.com", offerings, bots=3)
    signed_in(client, operator)
    return client


@pytest.mark.django_db
def test_console_queue(operator_client, django_assert_max_num_queries):
    from bench.web_load import CONSOLE_QUEUE

    with django_assert_max_num_queries(MAX_QUERIES["console queue"]):
        assert operator_client.get(CONSOLE_QUEUE).status_code == 200


@pytest.mark.django_db
def test_console_queue_queries_do_not_grow_with_the_bots(operator_client, make_user, offerings):
    from bench.web_load import CONSOLE_QUEUE

    before = queries(operator_client, CONSOLE_QUEUE)
    web_seed.client_with_bots(make_user, "more@example.com", offerings, bots=3)
    assert queries(operator_client, CONSOLE_QUEUE) == before


@pytest.mark.django_db
def test_console_bot_page(operator_client, django_assert_max_num_queries):
    from sequence.trading.models import Bot

    bot = Bot.objects.filter(user__email="client0@example.com").first()
    with django_assert_max_num_queries(MAX_QUERIES["console bot"]):
        assert operator_client.get(f"/ops/bots/{bot.pk}/").status_code == 200
