from tests.support.strategy_fixtures import _private_cache, main_rows  # noqa: F401 - fixtures
