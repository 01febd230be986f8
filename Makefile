# make chat  - set up (first time) and talk to the assistant in this terminal
# make test  - set up (first time) and run the knowledge check and the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: chat test check eval bench catalogs clean

$(READY): pyproject.toml
	rm -f $(VENV)/.ready-*
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

chat: $(READY)
	$(BIN)/python -m bot chat

# pytest exits 5 when it collects no test: that is not a failure of the suite.
test: $(READY)
	$(BIN)/python -m bot check
	$(BIN)/python -m pytest -q; status=$$?; if [ $$status -eq 5 ]; then exit 0; else exit $$status; fi

check: $(READY)
	$(BIN)/python -m bot check

eval: $(READY)
	$(BIN)/python -m bot eval

bench: $(READY)
	$(BIN)/python benchmarks/match_speed.py

# Extract interface strings into bot/locales/messages.pot and update every catalog.
catalogs: $(READY)
	$(BIN)/pybabel extract --no-location --omit-header -k gettext -o bot/locales/messages.pot bot
	$(BIN)/pybabel update --no-fuzzy-matching -i bot/locales/messages.pot -d bot/locales

clean:
	rm -rf $(VENV) .pytest_cache
