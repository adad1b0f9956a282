# Two commands on a fresh machine: `make demo` serves the demo shop, `make test` passes the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := $(BIN)/flask --app demo

.PHONY: demo test bench wheel clean

$(STAMP): setup.cfg pyproject.toml requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e . -r requirements-dev.txt
	touch $(STAMP)

demo: $(STAMP)
	$(DEMO) tsuide db upgrade
	$(DEMO) demo seed
	$(DEMO) tsuide mine
	$(DEMO) run --host 127.0.0.1 --port 5000

test: $(STAMP)
	bash scripts/test.sh

bench: $(STAMP)
	$(BIN)/python bench/quote_latency.py

wheel: $(STAMP)
	$(BIN)/python -m build --wheel --outdir dist .

clean:
	rm -rf $(VENV) build dist *.egg-info demo/instance
