# Two commands matter: `make run` (the platform with a demo) and `make test` (the suite).
# Everything else here is what those two need on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck bench soak install browser screenshots clean

$(STAMP): pyproject.toml requirements.lock requirements.in requirements-dev.in
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip==26.3
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

install: $(STAMP)

run: install
	$(BIN)/sequence run

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports --no-cache

# mypy --strict ([tool.mypy] in pyproject.toml) over every pure package (issue 14 item 21)
TYPED := src/sequence/core src/sequence/strategy src/sequence/backtest src/sequence/exchanges \
         src/sequence/engine src/sequence/metrics src/sequence/venue
typecheck: install
	$(BIN)/mypy $(TYPED)

browser:
	@sh scripts/ensure-chromium

test: install browser lint typecheck
	$(BIN)/sequence test -m "not slow"

bench: install
	$(BIN)/python bench/run_all.py
	$(BIN)/python bench/web_load.py  # locust, 50 users for 2 min (WEB_LOAD_USERS, WEB_LOAD_SECONDS)

# the guide walked in a browser (tests/e2e/test_guide_walk.py) leaves one screenshot per step in
# var/guide-screens/; this copies them into docs/guide/, which the README shows
screenshots: install browser
	$(BIN)/sequence test tests/e2e/test_guide_walk.py
	mkdir -p docs/guide
	rm -f docs/guide/*.png
	cp var/guide-screens/*.png docs/guide/

# against the PostgreSQL server on 127.0.0.1:5432 when one answers (the scale-out test wants a
# server), else on the embedded one; DATABASE_URL given wins
soak: install
	DATABASE_URL=$${DATABASE_URL:-$$(scripts/server-database-url)} $(BIN)/sequence test -m slow -s tests/soak

clean:
	rm -rf $(VENV) var/test-*
