# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test fuzz lint bench axe a11y clean-venv

$(VENV)/.installed: pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(VENV)/bin/kb init --if-needed
	$(VENV)/bin/kb serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# axe-core from npm into .tools/ (git-ignored), where tests/e2e/test_pages_a11y.py looks for it
# (KB_AXE_JS names another axe.min.js).
AXE_JS := .tools/node_modules/axe-core/axe.min.js
axe: $(AXE_JS)
$(AXE_JS):
	npm install --prefix .tools --no-save --no-audit --no-fund axe-core@4

# Only the accessibility and phone-width checks of every page; screenshots and figures go to
# test-artifacts/ (KB_TEST_ARTIFACTS to put them elsewhere).
a11y: $(VENV)/.installed-test $(AXE_JS)
	KB_REQUIRE_BROWSER=1 $(VENV)/bin/pytest tests/e2e/test_pages_a11y.py $(PYTEST_ARGS)

# Only the schemathesis run against /api/v1 (part of `make test` too); KB_FUZZ_EXAMPLES=300
# or KB_FUZZ_RANDOM=1 for a longer or a fresh look.
fuzz: $(VENV)/.installed-test
	$(VENV)/bin/pytest -m fuzz $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(VENV)/.installed-test
	$(VENV)/bin/python bench/search_quality.py
	$(VENV)/bin/python bench/search_speed.py --sizes 1000,10000
	$(VENV)/bin/python bench/tree_steps.py

clean-venv:
	rm -rf $(VENV)
