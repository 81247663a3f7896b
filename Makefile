# animal_da: one-command set-up, tests and demo (see README "Quick start").
PY ?= python3.11
VENV ?= .venv
PYTEST_ARGS ?=

.PHONY: install test demo bench clean

install:
	@VENV=$(VENV) PYTHON=$(PY) bash tools/install_stack.sh

test: install
	@echo "[test] running the test suite"
	$(VENV)/bin/python -m pytest -q tests $(PYTEST_ARGS)

demo: install
	$(VENV)/bin/python tools/demo.py

bench: install
	$(VENV)/bin/python tools/bench/domain_shift.py --preset cpu-small

clean:
	rm -rf work_dirs/*/ build *.egg-info
