# Quick start: `make run` and `make test`. Both create .venv/ at the repo root if it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test docs bench clean lambda-zip

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Everything the suite needs (the test, audit and cfn-lint extras), at the exact versions CI uses.
$(STAMP): $(BIN)/python pyproject.toml setup.py constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,audit,cfn-lint]' -c constraints.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/rumpolicy check examples; status=$$?; \
	  if [ $$status -gt 1 ]; then exit $$status; fi; \
	  echo "(exit status $$status: examples/broken is meant to fail)"

# `make test` runs the whole suite, the benchmark-sized tests included (a plain `pytest` leaves those out:
# marker `bench`, pyproject.toml), with Hypothesis's `default` profile (fewer examples, tests/conftest.py);
# .ci/run adds the thorough profile through PYTEST_ARGS. The tests are shared out among PYTEST_WORKERS
# processes (pytest-xdist), one for each core; `make test PYTEST_WORKERS=0` runs them in this one.
# PYTHONDONTWRITEBYTECODE is emptied so that the many `python -m rumpolicy` subprocesses reuse the
# compiled modules instead of compiling them again.
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m 'bench or not bench' $(PYTEST_ARGS)

docs: $(STAMP)
	$(BIN)/python -m rumpolicy.docs

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# The AWS Config rule's Lambda package (docs/aws-config.md), built from what .venv has installed. The zip holds
# compiled extensions, so build it on Linux with the architecture and Python version of the Lambda runtime;
# the build refuses otherwise and prints the Runtime and Architecture to deploy it with.
LAMBDA_ZIP ?= build/rumpolicy-config-rule.zip

lambda-zip: $(STAMP)
	$(BIN)/python -m rumpolicy.aws_config.package $(LAMBDA_ZIP)

clean:
	rm -rf $(VENV) build *.egg-info
