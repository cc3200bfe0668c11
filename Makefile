# Accord: `make run` serves the app, `make test` runs the whole suite. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= ./data
export DATA_DIR
# Python keeps the bytecode it compiles (in __pycache__/, git-ignored) even where the environment
# says not to: the suite starts ~100 app processes, each compiling app/ again without it, and
# pytest's workers would rewrite every test module's asserts on every run.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run install install-dev migrate test test-js lint lint-js typecheck pytest pg-up pg-running browser-deps caddy-deps wrk-deps js-deps bench bench-profile bench-history bench-reminders bench-sync bench-pwa bench-live bench-e2ee clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

# The app and the suite's tools in one resolve (a fresh clone's `make test` pays for one).
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/alembic upgrade head

# API_DOCS=1: the interactive API reference at /docs, for local development (off by default).
run: migrate
	API_DOCS=1 $(BIN)/uvicorn --factory app.main:create_app --host $(HOST) --port $(PORT) --proxy-headers

# The PostgreSQL the suite runs against: the machine's server on 127.0.0.1:5432, started with
# pg_ctlcluster if it is down. When none answers there and none can be started, the suite starts
# a private server of its own for the run (tests/postgres.py), so this makes sure Debian's
# postgresql package is installed for it. (The suite also falls back to its own server when the
# machine's asks for a password, or TEST_POSTGRES_URL names one that does not answer.)
pg-up:
	@pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }; \
	  pg_up && exit 0; \
	  for cluster in /etc/postgresql/*/main; do \
	    [ -d "$$cluster" ] && command -v pg_ctlcluster >/dev/null || continue; \
	    pg_ctlcluster --skip-systemctl-redirect "$$(basename "$$(dirname "$$cluster")")" main start \
	      && for i in $$(seq 1 30); do pg_up && exit 0; sleep 1; done; \
	  done; \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	    SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	    $$SUDO apt-get update && \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; }; \
	  echo "No PostgreSQL on 127.0.0.1:5432: the suite starts a private server for the run." >&2

# The benchmarks need the machine's server itself (they start no private one).
pg-running: pg-up
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  echo "PostgreSQL is not running on 127.0.0.1:5432 (pg_ctlcluster could not start it)" >&2; \
	  exit 1; }

lint: install-dev lint-js
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/ruff format --check app tests migrations bench

# The web app's tools (Biome), pinned by package.json and package-lock.json: `npm ci` installs
# exactly the locked versions into node_modules/ (git-ignored), again whenever the lock changes.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

js-deps: node_modules/.installed

# Biome lints the web app and checks its formatting (biome.jsonc); `npm run format` rewrites it.
lint-js: js-deps
	npx --no-install biome ci

# The unit tests of the web app's pure modules, on Node's own test runner (tests/js/).
test-js:
	node --test tests/js/

typecheck: install-dev
	$(BIN)/mypy app tests bench

# The browser tests drive Debian's chromium through Playwright (never `playwright install`),
# with a colour emoji font, so screenshots show the 🔒 and the moods as a phone does.
browser-deps:
	@test -x /usr/bin/chromium && test -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver \
	    fonts-noto-color-emoji; }

# The reverse proxy of compose.yaml (deploy/Caddyfile), which tests/test_deploy_caddy.py runs in
# front of two app processes: Debian's caddy.
caddy-deps:
	@command -v caddy >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y caddy; }

# The load generator of the benchmarks that need one that cannot be the bottleneck.
wrk-deps:
	@command -v wrk >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; }

# The suite's files spread over PYTEST_WORKERS processes (pytest-xdist; a file stays on one
# worker, so a module's browser server and Chromium start once); PYTEST_WORKERS=0 runs it in
# this process alone.
PYTEST_WORKERS ?= 2
pytest: install-dev pg-up browser-deps caddy-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The static checks (ruff, Biome, mypy, the JS unit tests) run beside pytest, on the cores its
# workers leave idle; their output is printed when pytest ends, and either failing fails this.
test: install-dev js-deps
	@checks=$$(mktemp); \
	  $(MAKE) --no-print-directory lint typecheck test-js > "$$checks" 2>&1 & static=$$!; \
	  trap 'kill $$static 2>/dev/null; rm -f "$$checks"; exit 130' INT TERM; \
	  $(MAKE) --no-print-directory pytest; tests=$$?; \
	  wait $$static; static=$$?; \
	  echo "--- ruff, Biome, mypy and the JS unit tests:"; cat "$$checks"; rm -f "$$checks"; \
	  [ $$static -eq 0 ] || echo "make test: the static checks failed (above)" >&2; \
	  [ $$static -eq 0 ] && [ $$tests -eq 0 ]

bench: install-dev pg-running wrk-deps
	$(BIN)/python -m bench.spine

# Where the hot paths' time goes (cProfile): tables under bench/results/profile-*/.
bench-profile: install-dev pg-running
	$(BIN)/python -m bench.profile

bench-history: install-dev pg-running
	$(BIN)/python -m bench.history

bench-reminders: install-dev pg-running
	$(BIN)/python -m bench.reminders

bench-sync: install-dev pg-running
	$(BIN)/python -m bench.sync

bench-pwa: install-dev browser-deps
	$(BIN)/python -m bench.pwa

bench-live: install-dev pg-running wrk-deps
	$(BIN)/python -m bench.live

bench-e2ee: install-dev browser-deps
	$(BIN)/python -m bench.e2ee

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
