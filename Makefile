# Thin aliases; the scripts and modules they call do the work.
PYTHON := .venv/bin/python

.PHONY: setup train export flask test lint clean

setup:                  ## system packages (when missing), .venv, the RedisAI module
	@bash deploy/setup.sh

train: setup            ## train the FizzBuzz network into artifacts/
	$(PYTHON) -m models.fizzbuzz.train

export: setup           ## train if needed, then TorchScript + ONNX
	$(PYTHON) -m exporters all --model fizzbuzz

flask: export           ## serve the contract from Flask under gunicorn (foreground)
	$(PYTHON) -m services.flask

lint: setup
	.venv/bin/ruff check .

test: lint              ## the whole test suite
	$(PYTHON) -m pytest

clean:                  ## generated files (keeps .venv)
	rm -rf artifacts run results
