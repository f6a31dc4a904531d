# The two commands of the README: `make run` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV := .venv
# The stamp is named by pyproject.toml's checksum, so a changed pyproject.toml installs
# again. It does not depend on the file's time: a checkout, a branch switch or a fresh
# worktree touches the file without changing it, and must not reinstall everything.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run chat test lint setup clean

$(STAMP):
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP)

# The demo page signs the demo customers' identities for anyone who asks: on here only.
# The demo shop's support hours, as its help centre states them (Monday to Friday, 8 am
# to 8 pm Eastern, Saturday 9 am to 5 pm): a handoff then tells the customer the same
# hours the articles do. A setting exported by the operator wins over each of these
# (SUPPORT__OTHER_DAYS exported empty: no other days).
DEMO_HOURS := SWITCHBOARD_SUPPORT__TIMEZONE=$${SWITCHBOARD_SUPPORT__TIMEZONE:-America/New_York} \
	SWITCHBOARD_SUPPORT__OPENS=$${SWITCHBOARD_SUPPORT__OPENS:-08:00} \
	SWITCHBOARD_SUPPORT__CLOSES=$${SWITCHBOARD_SUPPORT__CLOSES:-20:00} \
	SWITCHBOARD_SUPPORT__OTHER_DAYS=$${SWITCHBOARD_SUPPORT__OTHER_DAYS-sat 09:00-17:00}

run: $(STAMP)
	$(VENV)/bin/switchboard demo seed --if-empty
	$(DEMO_HOURS) SWITCHBOARD_DEMO__ENABLED=true $(VENV)/bin/switchboard serve --host $(HOST) --port $(PORT)

# The terminal chat on the same store with the same demo hours as `make run`, so its
# handoffs promise what the widget's do. CHAT_NAME="..." chats as that customer (a new one per
# name); DEMO_CUSTOMER=ada@example.com as a seeded demo customer (development only;
# not AS: make already has a variable of that name, the assembler).
CHAT_NAME ?= Demo visitor
chat: $(STAMP)
	$(VENV)/bin/switchboard demo seed --if-empty
	$(DEMO_HOURS) $(VENV)/bin/switchboard chat $(if $(DEMO_CUSTOMER),--as "$(DEMO_CUSTOMER)",--name "$(CHAT_NAME)")

# The Debian packages install while pip installs the Python ones (on a fresh machine each
# takes minutes, and neither needs the other); scripts/test.sh checks them again.
test:
	@scripts/system-packages.sh & packages=$$!; \
	$(MAKE) --no-print-directory setup; setup=$$?; \
	wait $$packages && exit $$setup
	scripts/test.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
