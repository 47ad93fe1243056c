# The two commands of the README: `make demo` and `make test`. Each creates .venv and
# installs what it needs on first use (and again when the packaging changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint bench images clean

$(INSTALLED): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/python -m inferline.training.demo

test: $(INSTALLED)
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check containers stages training tests benchmarks

bench: $(INSTALLED)
	$(BIN)/python benchmarks/serving.py

# The serving images (docs/images.md), on python:3.11-slim; `make images LOCAL_BASE=1`
# builds on a Debian base made here with debootstrap instead (as root; for no registry).
images: $(INSTALLED)
	$(BIN)/inferline build all $(if $(LOCAL_BASE),--local-base)

clean:
	rm -rf $(VENV) build *.egg-info
