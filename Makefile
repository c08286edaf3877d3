# Fresh machine: `make demo` serves the demo data, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1

.PHONY: install demo serve test lint typecheck bench-matching bench-imports clean

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
	@echo
	@echo "Kakehashi is starting on http://$(HOST):$(PORT)"
	@echo "  API docs:  http://$(HOST):$(PORT)/docs"
	@echo "  API key:   $$(cat .demo-key)   (PICHTR admin; also in .demo-key)"
	@echo "  try:       curl -H \"Authorization: Bearer $$(cat .demo-key)\" http://$(HOST):$(PORT)/api/v1/solicitations?limit=3"
	@echo
	$(BIN)/kakehashi serve --host $(HOST) --port $(PORT)

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

clean:
	rm -rf $(VENV) .cache .mypy_cache .pytest_cache .ruff_cache kakehashi.db* .demo-key
