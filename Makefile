# Two commands do all the set-up on a fresh machine with Python 3.11+ and make:
#   make run    serve the demo catalogue at http://127.0.0.1:8000 (PORT=8001 make run to change the port)
#   make test   run the whole test suite (DATABASE_URL=postgres://... make test for PostgreSQL)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
MANAGE := $(BIN)/python manage.py
# Local commands run with debug on unless told otherwise; production sets DJANGO_SECRET_KEY instead.
DEV_ENV := DJANGO_DEBUG=$${DJANGO_DEBUG:-1}

.PHONY: install db run test mutation lint format messages check-messages lock clean bench backup screenshots lighthouse

$(BIN)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

install: $(BIN)/.installed

db: install
	$(DEV_ENV) $(MANAGE) migrate --noinput
	$(DEV_ENV) $(MANAGE) load_demo --verbosity 0

run: db
	$(DEV_ENV) $(MANAGE) runserver 127.0.0.1:$(PORT)

test: db
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Mutation testing (docs/testing.md): plants small bugs in the modules listed under [tool.mutmut] in pyproject.toml
# and counts those the suite catches. Slow (about two hours on 2 cores): not part of CI.
mutation: db
	rm -rf mutants
	$(BIN)/mutmut run
	$(BIN)/python scripts/mutation_report.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) $(MANAGE) makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Translations (docs/translation.md): `make messages` extracts strings into locale/fr and compiles them; the .po
# and the .mo are both committed. `make check-messages` fails when the code has strings the catalogue lacks.
MAKEMESSAGES := $(MANAGE) makemessages --locale fr --no-obsolete --add-location file \
	--ignore .venv --ignore staticfiles --ignore media --ignore tests
messages: install
	$(DEV_ENV) $(MAKEMESSAGES)
	$(DEV_ENV) $(MANAGE) compilemessages --locale fr --ignore .venv

check-messages: install
	$(DEV_ENV) $(MAKEMESSAGES)
	@git diff --ignore-matching-lines='^"POT-Creation-Date' --exit-code locale/ \
		|| { echo "locale/ does not match the code: run 'make messages', translate, commit locale/"; exit 1; }

lock: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	( echo "# Every package, pinned: what CI installed. Regenerate with 'make lock' after changing pyproject.toml."; \
	  $(BIN)/python -m pip freeze --exclude-editable ) > requirements.lock

# Backups (docs/operations.md): the database (PostgreSQL or SQLite) and the uploaded files, into a new folder.
# Restore one into an empty database with: $(MANAGE) restore backups/<folder>
backup: install
	$(DEV_ENV) $(MANAGE) backup backups/$$(date +%Y-%m-%dT%H%M%S)

# The benchmark (docs/performance.md): builds a 100,000-case PostgreSQL database once (sevices_bench), then
# measures the production stack with wrk against a bare one-view Django (scripts/ceiling/), warm, cached and cold,
# and rewrites the "Measured" section of docs/performance.md.
bench: install
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python scripts/bench.py

# Screenshots (docs/design.md): every page type at 390 and 1366 px in English and French, into screenshots/ (not
# committed), from the browser test that takes them; needs Debian's Chromium.
screenshots: install
	$(BIN)/python -m pytest tests/test_browser.py -m browser -p no:randomly -k screenshots_of_every_page_type

# Lighthouse (docs/design.md): the home page, the case list and a case page served as in production, scored on a
# phone and on a desk; fails below 100. Needs node, npm and Debian's Chromium; not part of CI (a few minutes).
lighthouse: install
	$(BIN)/python scripts/lighthouse.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
