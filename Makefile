# stentguide — the two commands a newcomer types are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint typecheck imports pytest bench docs-images clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	@scripts/system-deps.sh run
	$(BIN)/stentguide serve --host $(HOST) --port $(PORT) --demo

lint: install
	$(BIN)/ruff check src tests bench

typecheck: install
	$(BIN)/mypy --strict src

# the import contracts of pyproject.toml: the core never imports a face; layers top to bottom
imports: install
	$(BIN)/lint-imports --no-cache

pytest: install
	@scripts/system-deps.sh test
	@scripts/a11y-deps.sh
	@scripts/ensure-postgres.sh
	$(BIN)/pytest

test: lint typecheck imports pytest

bench: install
	@scripts/system-deps.sh run
	@[ "$${STENTGUIDE_BENCH_PG:-1}" = 0 ] || scripts/ensure-postgres.sh
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache test-output
