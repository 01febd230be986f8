# make chat  - set up (first time) and talk to the assistant in this terminal
# make test  - set up (first time) and run the knowledge check and the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The stamp names a checksum of pyproject.toml, constraints.txt and EXTRAS: a change of any installs again.
# EXTRAS: the optional dependencies to install, e.g. `make chat EXTRAS=test,embeddings`
# for the sentence embeddings of the emergency check (README: "Sentence embeddings").
EXTRAS ?= test
READY := $(VENV)/.ready-$(shell echo '$(EXTRAS)' | cat pyproject.toml constraints.txt - | cksum | cut -d' ' -f1)

.PHONY: chat test browser check eval bench report catalogs constraints clean

# The exact versions of constraints.txt (pyproject.toml has the lower bounds).
$(READY): pyproject.toml constraints.txt
	rm -f $(VENV)/.ready-*
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[$(EXTRAS)]'
	touch $@

chat: $(READY)
	$(BIN)/python -m bot chat

# pytest exits 5 when it collects no test: that is not a failure of the suite.
# The quality bars (eval on ../shared/eval/dev.jsonl) are tests too: tests/test_quality.py.
test: $(READY) browser
	$(BIN)/python -m bot check
	$(BIN)/python -m pytest -q; status=$$?; if [ $$status -eq 5 ]; then exit 0; else exit $$status; fi

# The HTML report is tested in headless Chromium: installed from Debian where we may (root, apt-get);
# elsewhere that one test is skipped and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	       && { apt-get install -y -qq chromium >/dev/null 2>&1 \
	            || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }; }; } \
	  || echo "Chromium is not installed: the HTML report's browser test will be skipped."

check: $(READY)
	$(BIN)/python -m bot check

eval: $(READY)
	$(BIN)/python -m bot eval

# The maintainers' report of the last 30 days, as a page: data/report.html
report: $(READY)
	$(BIN)/python -m bot report --html data/report.html

bench: $(READY)
	$(BIN)/python benchmarks/match_speed.py

# Extract interface strings into bot/locales/messages.pot and update every catalog.
catalogs: $(READY)
	$(BIN)/pybabel extract --no-location --omit-header -k gettext -o bot/locales/messages.pot bot
	$(BIN)/pybabel update --no-fuzzy-matching -i bot/locales/messages.pot -d bot/locales

# Pin what .venv holds now (after e.g. `.venv/bin/python -m pip install -U aiohttp` and `make test`):
# constraints.txt keeps its comment lines and gets pip freeze without the project itself
# (so .venv should hold nothing the project does not need).
constraints: $(READY)
	{ sed -n '/^#/p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable | grep -iv '^wegwijs=='; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache
