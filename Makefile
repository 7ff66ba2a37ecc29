# esendex.us collection: test entry points. Everything runs through tools/run_tests.py,
# which builds its own pinned virtual environments under .venvs/ and logs to .venvs/logs/.
#
#   make test                                # every stage CI runs
#   make test STAGES="sanity-2.21 units-2.21" # a subset (stage names, kinds or lines like 2.21)
#   make lint | sanity | units | integration # one kind of stage
#   make test JOBS=1                         # one stage at a time (default 2)
#   make list                                # the stages and what each runs
#   make demo                                # the main job on the bundled emulator
#   make bench                               # the benchmark (docs/performance.md)
#   make docs                                # the HTML docs site, in docs/build/html/ (antsibull-docs + Sphinx)

PYTHON ?= python3
STAGES ?=
JOBS ?=
RUN_TESTS = $(strip $(PYTHON) tools/run_tests.py $(if $(JOBS),--jobs $(JOBS)))

.PHONY: test lint sanity units integration list demo bench docs clean-venvs

test:
	$(RUN_TESTS) $(STAGES)

lint:
	$(RUN_TESTS) lint

sanity:
	$(RUN_TESTS) sanity

units:
	$(RUN_TESTS) units

integration:
	$(RUN_TESTS) integration

list:
	$(RUN_TESTS) --list

# The main job on the bundled emulator: no Esendex account needed.
demo:
	$(PYTHON) tools/demo.py

# Benchmark of esendex_cancel_calls against ansible.builtin.uri (not part of `make test`).
bench:
	$(PYTHON) benchmarks/bench_cancel.py

# The docs site as docs.ansible.com shows it (module docs and docs/docsite/), built offline by the docs-build stage
# (tools/release_checks.py docs-site) and kept in docs/build/.
docs:
	DOCS_OUTPUT=$(CURDIR)/docs/build $(RUN_TESTS) docs-build
	@echo "docs site: docs/build/html/index.html"

# Remove the harness's virtual environments and logs (the next run rebuilds them cold).
clean-venvs:
	rm -rf .venvs
