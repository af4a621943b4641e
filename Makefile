# The front door: `make run` serves the site, `make test` runs lint and the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Without DJANGO_SECRET_KEY, settings read the key generated once in var/secret-key.
# Production-like values for the deployment check (never used to serve anything).
DEPLOY_ENV = DJANGO_DEBUG=false KOMMOGEN_HTTPS=true DJANGO_ALLOWED_HOSTS=www.kommogen.com \
	DJANGO_SECRET_KEY=deploy-check-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	KOMMOGEN_EVIDENCE_KEY=deploy-check-evidence-key \
	KOMMOGEN_SIGNING_KEY=$$(head -c 32 /dev/urandom | base64) \
	KOMMOGEN_HOSTING="Example Hosting, Germany" KOMMOGEN_MAIL="Example Mail, Ireland" \
	KOMMOGEN_CRM="data centres in Country" KOMMOGEN_BACKUPS="Example Hosting, Germany"

.PHONY: install install-dev checkers bench run admin test test-fast test-dates pytest lint migrations-check deploy-check messages screenshots lock clean

# Production installs requirements.lock only; the tests and lint add requirements-dev.lock.
install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.lock
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock $(VENV)/.installed
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
	touch $@

# The browser tests' checkers (axe-core, vnu-jar) from package-lock.json, when npm is
# here; without them those tests are skipped locally (and fail in CI).
checkers:
	@if command -v npm >/dev/null; then \
		test node_modules/.installed -nt package-lock.json || \
		{ npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && touch node_modules/.installed; }; \
	else echo "npm not found: the accessibility and HTML checks will be skipped"; fi

var/secret-key var/evidence-key:
	mkdir -p var
	umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# The Ed25519 key that signs checkpoints and receipts: 32 random bytes, base64.
var/signing-key:
	mkdir -p var
	umask 077 && $(PYTHON) -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())' > $@

run: install var/secret-key var/evidence-key var/signing-key
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) load_content
	$(MANAGE) make_checkpoint --adopt
	@echo
	@echo "The site is at http://127.0.0.1:8000/ (Ctrl-C stops it and the outbox worker)."
	@echo "Create the operator's admin account with 'make admin', then sign in at http://127.0.0.1:8000/admin/."
	@echo
	@# The outbox worker beside the site, started again whenever it exits; Ctrl-C stops both.
	deploy/keep-running 5 $(MANAGE) deliver & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/gunicorn -c gunicorn.conf.py

admin: install var/secret-key var/evidence-key var/signing-key
	$(MANAGE) migrate --noinput
	$(MANAGE) createsuperuser

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

migrations-check: install-dev
	mkdir -p var
	DJANGO_DEBUG=true $(MANAGE) makemigrations --check --dry-run

deploy-check: install-dev
	$(DEPLOY_ENV) $(MANAGE) check --deploy --fail-level WARNING

# Tests run in production mode (DEBUG off) with a throwaway key.
test: lint migrations-check deploy-check pytest

TEST_KEYS = DJANGO_SECRET_KEY=tests-only-key-$$$$ KOMMOGEN_EVIDENCE_KEY=tests-only-evidence-key \
	KOMMOGEN_SIGNING_KEY=dGVzdHMtb25seSBzaWduaW5nIGtleSwgMzIgYnl0ZXM=

pytest: install-dev checkers
	$(TEST_KEYS) $(BIN)/pytest $(PYTEST_ARGS)

# The quick loop: everything but the tests that start a live site or a browser.
test-fast: install-dev
	$(TEST_KEYS) $(BIN)/pytest -q --no-cov -m "not live" $(PYTEST_ARGS)

# The quick suite again with the clock moved (tests/conftest.py --clock): a Saturday, a
# Sunday just before midnight, a Monday just after it, 29 February and 31 December just
# before the new year, two at a time (each with its own database; logs in
# var/test-dates/). CI runs it: no test may depend on the day or hour it runs.
CLOCKS = 2027-03-06T10:00:00+00:00 2027-03-07T23:58:00+00:00 2027-03-08T00:01:00+00:00 \
	2028-02-29T12:00:00+00:00 2027-12-31T23:58:00+00:00
test-dates: install-dev
	@mkdir -p var/test-dates
	@printf '%s\n' $(CLOCKS) | xargs -P 2 -I MOMENT sh -c '\
		log=var/test-dates/$$(echo MOMENT | tr -c "0-9\n" -); \
		KOMMOGEN_TEST_DATABASE=$$log.sqlite3 $(TEST_KEYS) $(BIN)/pytest -q --no-cov \
			-m "not live" -p no:cacheprovider --clock=MOMENT $(PYTEST_ARGS) > $$log.log 2>&1; \
		status=$$?; echo "== the clock at MOMENT: $$(tail -n 1 $$log.log)"; \
		if [ $$status -ne 0 ]; then cat $$log.log; exit 255; fi'

# Benchmarks, by hand (not part of make test): about 15 minutes; see bench/README.md.
# The outbox's needs the local SMTP sink of the tests (aiosmtpd): install-dev.
bench: install-dev
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.outbox
	$(BIN)/python -m bench.pack

# Screenshots of every page of the site `make run` serves (start it first; it sends one
# request): see tests/screenshots.py and README. LABEL names the folder, SITE the address,
# ADMIN=user:password adds the operator's pages.
screenshots: install-dev
	$(BIN)/python -m tests.screenshots $(or $(SITE),http://127.0.0.1:8000) \
		var/screenshots/$(or $(LABEL),latest) $(if $(ADMIN),--admin "$(ADMIN)")

# The interface's message catalogues (locale/): new strings of the code and templates into
# the .po files, then compiled to the .mo files that are committed (make run needs no
# gettext). Needs Debian's gettext.
messages: install-dev var/secret-key var/evidence-key var/signing-key
	$(MANAGE) makemessages -l ru -l vi --no-location --no-obsolete --ignore=.venv \
		--ignore=node_modules --ignore=var --ignore=tests --ignore=bench --ignore=static
	$(MANAGE) compilemessages --ignore=.venv

lock: install-dev
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev --strip-extras \
		--no-emit-index-url --no-emit-find-links -o requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) var/static node_modules
