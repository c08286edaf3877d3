# Fresh machine: `make demo` serves the demo data, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1

.PHONY: install browser-deps demo serve test lint typecheck bench-matching bench-imports bench-admin-upload bench-load clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# The CPU build of torch first; otherwise sentence-transformers pulls a CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/kakehashi db upgrade
	$(BIN)/kakehashi seed
	$(BIN)/kakehashi embed
	@test -s .demo-key || $(BIN)/kakehashi keys create --org pichtr --role admin --label demo > .demo-key
	@test -s .demo-login || $(BIN)/kakehashi users create demo --org pichtr --role admin --display-name "Demo analyst" --generate-password > .demo-login
	@echo
	@echo "Kakehashi is starting on http://$(HOST):$(PORT)"
	@echo "  API docs:  http://$(HOST):$(PORT)/docs"
	@echo "  API key:   $$(cat .demo-key)   (PICHTR admin; also in .demo-key)"
	@echo "  Admin:     http://$(HOST):$(PORT)/admin   user demo, password $$(cat .demo-login)   (also in .demo-login)"
	@echo "  try:       curl -H \"Authorization: Bearer $$(cat .demo-key)\" http://$(HOST):$(PORT)/api/v1/solicitations?limit=3"
	@echo
	$(BIN)/kakehashi serve --host $(HOST) --port $(PORT)

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

bench-imports: install
	$(BIN)/python bench/bench_imports.py

bench-admin-upload: install
	$(BIN)/python bench/bench_admin_upload.py

# 16 clients, 60 s per target, beside hello-world; PostgreSQL too when BENCH_POSTGRES_URL names a
# scratch database (its schema is dropped). Quick run: make bench-load BENCH_ARGS="--duration 10".
bench-load: install
	$(BIN)/python bench/bench_load.py $(if $(BENCH_POSTGRES_URL),--postgres-url $(BENCH_POSTGRES_URL)) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .cache .mypy_cache .pytest_cache .ruff_cache kakehashi.db* .demo-key .demo-login var test-artifacts
