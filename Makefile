# Fresh machine: `make demo` serves the demo data, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1

.PHONY: install browser-deps demo demo-reset serve test lint typecheck bench-matching bench-api-matching bench-imports bench-admin-upload bench-load bench-crash clean

$(STAMP): pyproject.toml
	@echo "Installing Kakehashi into $(VENV): the CPU build of torch, then the other packages."
	@echo "A first install fetches about 470 MB of wheels (1.8 GB installed) and takes several minutes;"
	@echo "pip shows its progress below. Later runs skip this step."
	$(PYTHON) -m venv $(VENV)
	# The CPU build of torch first; otherwise sentence-transformers pulls a CUDA build.
	$(BIN)/pip install --progress-bar on torch==2.13.0
	$(BIN)/pip install --progress-bar on -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The key and the password are kept in files only you can read, and shown on every start.
demo: install
	@$(BIN)/kakehashi serve --host $(HOST) --port $(PORT) --check-port >/dev/null
	$(BIN)/kakehashi db upgrade
	$(BIN)/kakehashi seed
	$(BIN)/kakehashi embed
	$(BIN)/kakehashi insights snapshot
	@umask 077; if [ ! -s .demo-key ]; then \
		out=$$($(BIN)/kakehashi keys create --org pichtr --role admin --label demo 2>&1 >.demo-key) \
			|| { echo "$$out" >&2; rm -f .demo-key; exit 1; }; \
		echo "created an admin API key for PICHTR, kept in .demo-key"; fi
	@umask 077; if [ ! -s .demo-login ]; then \
		out=$$($(BIN)/kakehashi users create demo --org pichtr --role admin \
			--display-name "Demo analyst" --generate-password 2>&1 >.demo-login) \
			|| { echo "$$out" >&2; rm -f .demo-login; exit 1; }; \
		echo "created the admin-pages user demo (PICHTR admin), password kept in .demo-login"; fi
	@chmod 600 .demo-key .demo-login
	@echo
	@echo "Kakehashi demo: SQLite database kakehashi.db, uploads in var/uploads"
	@echo "  API        http://$(HOST):$(PORT)/api/v1   key $$(cat .demo-key)"
	@echo "  API docs   http://$(HOST):$(PORT)/docs   (also /redoc; both work offline)"
	@echo "  Admin      http://$(HOST):$(PORT)/admin   user demo, password $$(cat .demo-login)"
	@echo "  Secrets    the key is kept in .demo-key and the password in .demo-login (mode 600)"
	@echo "  CLI        source .venv/bin/activate, then: kakehashi --help   (or .venv/bin/kakehashi)"
	@echo "  Next       README.md, 'Using the API': run its steps from here in another terminal"
	@echo "  Start over make demo-reset, then make demo"
	@echo
	$(BIN)/kakehashi serve --host $(HOST) --port $(PORT)

# Forget the demo's data, key and user (not the virtualenv), for a fresh walkthrough.
demo-reset:
	rm -rf kakehashi.db kakehashi.db-wal kakehashi.db-shm .demo-key .demo-login var/uploads

# Debian's Chromium for the browser tests (never a downloaded browser), and CJK fonts so
# Japanese names render in their screenshots. Without it those tests skip.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/opentype/noto ]; then \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo"; \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium chromium-driver fonts-noto-cjk; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -q

bench-matching: install
	$(BIN)/python bench/bench_matching.py

# The match GET through a real server at 10,000 partners, the index work after one change, and
# with BENCH_ARGS="--memory-profiles 100000" the memory of two workers sharing the index files.
bench-api-matching: install
	$(BIN)/python bench/bench_api_matching.py $(BENCH_ARGS)

# A plain parse-and-insert beside the first import of the same file; PostgreSQL instead of SQLite
# when BENCH_POSTGRES_URL names a scratch database (its schema is dropped).
bench-imports: install
	$(BIN)/python bench/bench_imports.py $(if $(BENCH_POSTGRES_URL),--database-url $(BENCH_POSTGRES_URL)) $(BENCH_ARGS)

bench-admin-upload: install
	$(BIN)/python bench/bench_admin_upload.py

# 16 clients, 60 s per target, beside hello-world; PostgreSQL too when BENCH_POSTGRES_URL names a
# scratch database (its schema is dropped). Quick run: make bench-load BENCH_ARGS="--duration 10".
bench-load: install
	$(BIN)/python bench/bench_load.py $(if $(BENCH_POSTGRES_URL),--postgres-url $(BENCH_POSTGRES_URL)) $(BENCH_ARGS)

# kill -9 a server mid-import and mid-embedding, restart it, and count what came out.
bench-crash: install
	$(BIN)/python bench/bench_crash.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .cache .mypy_cache .pytest_cache .ruff_cache kakehashi.db* .demo-key .demo-login var test-artifacts
