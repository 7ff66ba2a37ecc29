# esendex.us collection. Every check is a nox session (noxfile.py, antsibull-nox.toml); TESTING.md says how to run each.
#
#   make test                               the CI set, two sessions at a time: a line per session, then `N passed, N failed`
#   make test SESSIONS="lint sanity-2.21"   some sessions only (names from `make list`)
#   make test JOBS=1                        one session at a time
#   make list                               every session (nox -l; * marks the CI set)
#   make demo                               the main job on the bundled emulator (demo/demo.py, standalone)
#   make demo-eda                           the rulebook cancel_on_resolve on the emulator (demo/demo_eda.py; needs Java 17)
#   make bench                              the benchmark (benchmarks/bench_cancel.py, standalone; docs/performance.md)
#   make docs                               the HTML docs site, in docs/build/html/ (nox session docs-build)
#
# nox and antsibull-nox are installed, pinned by tools/constraints.txt, into .nox-bootstrap/ on first use.

PYTHON ?= python3
PYENV_ROOT ?= $(HOME)/.pyenv
# nox runs the tool sessions with its own Python: the newest line's (3.12) when pyenv has it, else python3
BOOTSTRAP_PYTHON ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.12.*/bin/python3.12) $(wildcard $(PYENV_ROOT)/versions/3.13.*/bin/python3.13) python3)
BOOTSTRAP = .nox-bootstrap
NOX = $(BOOTSTRAP)/bin/python -m nox --non-interactive
SESSIONS ?=
JOBS ?= 2

.PHONY: test list demo demo-eda bench docs clean

test: $(BOOTSTRAP)/ready
	$(BOOTSTRAP)/bin/python tools/ci.py --jobs $(JOBS) $(SESSIONS)

list: $(BOOTSTRAP)/ready
	$(NOX) -l

$(BOOTSTRAP)/ready: tools/constraints.txt
	rm -rf $(BOOTSTRAP)
	$(BOOTSTRAP_PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/python -m pip install -q --disable-pip-version-check --no-input -c tools/constraints.txt nox antsibull-nox \
		>$(BOOTSTRAP)/install.log 2>&1 || { cat $(BOOTSTRAP)/install.log; exit 1; }
	touch $@

# The main job on the bundled emulator: no Esendex account needed.
demo:
	$(PYTHON) demo/demo.py

# Event-Driven Ansible: Alertmanager notifications to the rulebook esendex.us.cancel_on_resolve, on the emulator.
demo-eda:
	$(PYTHON) demo/demo_eda.py

# Benchmark of esendex_cancel_calls against ansible.builtin.uri (not part of `make test`).
bench:
	$(PYTHON) benchmarks/bench_cancel.py

docs: $(BOOTSTRAP)/ready
	DOCS_OUTPUT=$(CURDIR)/docs/build $(NOX) -e docs-build
	@echo "docs site: docs/build/html/index.html"

# Remove every virtual environment and log (the next run rebuilds them cold).
clean:
	rm -rf .nox .nox-bootstrap .venvs
