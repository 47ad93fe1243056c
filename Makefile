# The two commands of the README: `make demo` and `make test`. Each creates .venv and
# installs what it needs on first use (and again when the packaging changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint typecheck bytecode bench bench-batch images clean fuzz hostile soak faults constraints

# Every dependency, pip included, at its pin in constraints.txt: the image wheelhouses
# (containers/images/wheelhouse.py) install from the same pins, so what is tested is what
# ships. A change to constraints.txt reinstalls.
CONSTRAINTS := constraints.txt

$(INSTALLED): setup.cfg pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(INSTALLED)

# constraints.txt from setup.cfg: pip resolves '.[dev]' (every extra) in a throwaway venv
# without installing anything (--dry-run --report), and each distribution it picked is
# pinned (tests/packaging/constraints.py). The pins already there are kept, so a new
# requirement brings only what it needs; UPGRADE=1 resolves everything afresh.
CONSTRAINTS_VENV := build/constraints
constraints:
	rm -rf $(CONSTRAINTS_VENV) && $(PYTHON) -m venv $(CONSTRAINTS_VENV)
	$(CONSTRAINTS_VENV)/bin/python -m pip install --quiet $(if $(UPGRADE),--upgrade,-c $(CONSTRAINTS)) pip
	$(CONSTRAINTS_VENV)/bin/python -m pip install --quiet --dry-run --ignore-installed \
		$(if $(UPGRADE),,-c $(CONSTRAINTS)) --report $(CONSTRAINTS_VENV)/report.json '.[dev]'
	$(CONSTRAINTS_VENV)/bin/python tests/packaging/constraints.py $(CONSTRAINTS_VENV)/report.json \
		> $(CONSTRAINTS_VENV)/constraints.txt
	mv $(CONSTRAINTS_VENV)/constraints.txt $(CONSTRAINTS)

# The checkout's own bytecode, compiled before every target that runs from it: an
# editable install has none (pip compiles only what it copies), and with
# PYTHONDONTWRITEBYTECODE set no import writes it, so every harness, zygote and container
# process compiled inferline's modules again (`inferline up` of the abalone pipeline:
# 1.43 s to its first answer against 1.36 s with them compiled, docs/benchmarks.md).
# Up-to-date files are skipped; `make clean` removes them.
bytecode: $(INSTALLED)
	$(BIN)/python -m compileall -q -j 0 containers stages training

demo: $(INSTALLED) bytecode
	$(BIN)/python -m inferline.training.demo

# The type checker is part of the tests: mypy --strict must be clean before pytest runs.
test: $(INSTALLED) typecheck bytecode
	$(BIN)/python -m pytest

lint: $(INSTALLED) typecheck
	$(BIN)/ruff check containers stages training tests benchmarks

# mypy --strict, configured in pyproject.toml, run by `make test` and `make lint`. It checks the modules under their
# installed names (inferline.containers, ...) through links in build/typecheck/, and
# reports the real paths.
TYPECHECK := build/typecheck
typecheck: $(INSTALLED)
	rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)/inferline
	for folder in containers stages training; do \
		ln -s ../../../$$folder $(TYPECHECK)/inferline/$$folder; done
	{ $(BIN)/mypy; echo $$? > $(TYPECHECK)/status; } | sed 's#^$(TYPECHECK)/inferline/##'
	exit $$(cat $(TYPECHECK)/status)

# The speed suite (benchmarks/suite.py, docs/benchmarks.md): inferline, its peers (each in
# its own venv under ~/.cache/inferline-bench) and the floor, side by side. Not part of
# `make test`. `make bench BENCH_ARGS=--quick` for a shorter run.
BENCH_ARGS ?=
bench: $(INSTALLED) bytecode
	$(BIN)/python benchmarks/suite.py $(BENCH_ARGS)

# Batch transform engines against the floor on a 1,000,000-row CSV (docs/benchmarks.md,
# "Batch transform"); slow on two cores. `make bench-batch BENCH_ARGS="--rounds 1"`.
bench-batch: $(INSTALLED) bytecode
	$(BIN)/python benchmarks/batch.py $(BENCH_ARGS)

# docs/reliability.md: 10 minutes of the car-evaluation pipeline at 16 clients (the table
# is written into the doc), and kill -9 of a container under load with one and two copies.
# Both train car-evaluation into artifacts/ first unless it is up to date (as `make demo`).
soak: $(INSTALLED) bytecode
	$(BIN)/python benchmarks/soak.py --minutes 10 --clients 16 --write

faults: $(INSTALLED) bytecode
	$(BIN)/python benchmarks/faults.py

# Every request decoder under atheris (fuzz/decoders.py) for FUZZ_SECONDS each; crash
# inputs land in build/fuzz/. `make test` runs each for 2000 inputs (tests/property).
FUZZ_SECONDS ?= 60
fuzz: $(INSTALLED)
	mkdir -p build/fuzz
	for name in $$($(BIN)/python fuzz/decoders.py --list); do \
		(cd build/fuzz && ../../$(BIN)/python ../../fuzz/decoders.py "$$name" \
			-max_total_time=$(FUZZ_SECONDS) -max_len=65536) || exit 1; done

# The hostile corpus against a real server of every kind, and the hostile archives:
# their outcomes become the tables of docs/reliability.md (tests/hostile/report.py).
hostile: $(INSTALLED) bytecode
	rm -rf build/hostile
	HOSTILE_RESULTS=build/hostile $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/hostile/test_corpus.py tests/hostile/test_artifacts.py
	$(BIN)/python -m tests.hostile.report build/hostile docs/reliability.md

# The serving images (docs/images.md), on python:3.11-slim; `make images LOCAL_BASE=1`
# builds on a Debian base made here with debootstrap instead (as root; for no registry).
images: $(INSTALLED)
	$(BIN)/inferline build all $(if $(LOCAL_BASE),--local-base)

clean:
	rm -rf $(VENV) build *.egg-info
	find containers stages training -name __pycache__ -type d -prune -exec rm -rf {} +
