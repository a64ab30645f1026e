# Thin aliases; the scripts and modules they call do the work.
PYTHON := .venv/bin/python

.PHONY: demo setup export flask up status down compare test test-fast test-stack test-load \
	compose-test lint clean

demo:                   ## the main job: set up, bring the stack up, compare, stop it
	@bash deploy/demo.sh

setup:                  ## system packages (when missing), .venv, the RedisAI module
	@bash deploy/setup.sh

export: setup           ## every model: train if needed, then TorchScript, ONNX, .mar archives
	$(PYTHON) -m exporters all

flask: export           ## serve the contract from Flask under gunicorn (foreground)
	$(PYTHON) -m services.flask

up: setup               ## flask, mms and redisai side by side, in the background
	$(PYTHON) -m services up

status:
	$(PYTHON) -m services status

down:                   ## stop everything `up` started
	$(PYTHON) -m services down

compare:                ## Locust against each running backend (python -m loadtest compare --help)
	$(PYTHON) -m loadtest compare

lint: setup
	.venv/bin/ruff check .

test: lint              ## the whole test suite, then the RedisAI module's under ASan + UBSan
	@mkdir -p run
	$(PYTHON) -m pytest --basetemp=run/pytest --ignore=tests/compose/test_compose.py
	$(MAKE) --no-print-directory -j2 -C services/redisai/module test-asan

test-fast: setup        ## codecs, exporters, handlers, the contract in process: about a minute
	@mkdir -p run
	$(PYTHON) -m pytest --basetemp=run/pytest-fast -m "not stack and not load" \
		--ignore=tests/compose/test_compose.py

test-stack: setup       ## the tests that start real servers (no load generators)
	@mkdir -p run
	$(PYTHON) -m pytest --basetemp=run/pytest-stack -m "stack and not load" \
		--ignore=tests/compose/test_compose.py

test-load: setup        ## the load tools against real servers
	@mkdir -p run
	$(PYTHON) -m pytest --basetemp=run/pytest-load -m load --ignore=tests/compose/test_compose.py

compose-test: setup     ## the stack in Docker: build, up, contract, MMS scaling, Locust, redis restart, down -v
	POLYSERVE_REQUIRE_DOCKER=1 $(PYTHON) -m pytest tests/compose -p no:cacheprovider -q

clean:                  ## generated files (keeps .venv)
	rm -rf artifacts run results
