# The front door. `make run` and `make test` each do every set-up step they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

APP := .venv/bin/python
RASA := .venv-rasa/bin/rasa
VAR := var
# Rasa reads these itself (endpoints.yml) in the commands below; harmless for commands that do not use them. The
# running assistant takes them from Settings (core/config.py, the defaults' one home), which make run hands on.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
# No progress bars in logs (training epochs would fill CI's output).
export TQDM_DISABLE := 1
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:5055/webhook
export TRACKER_DIALECT ?= sqlite
export TRACKER_DB ?= $(CURDIR)/$(VAR)/rasa_tracker.db

.PHONY: help install app-env rasa-env browser haproxy knowledge db model run run-scaled test test-scaled lint unit validate stories pytest eval nlu-eval bench clean

help:
	@echo "make run    - set everything up and start the assistant (Ctrl-C stops it)"
	@echo "make test   - set everything up and run every check (lint, Rasa data, stories, pytest)"
	@echo "make run-scaled - 2 gateways, 2 Rasa servers, 2 action servers behind HAProxy on the local PostgreSQL and Redis"
	@echo "make test-scaled - start run-scaled's system, send conversations through HAProxy, stop it"
	@echo "make unit   - the tests that start nothing (no Rasa, no browser), with the app environment only"
	@echo "make lint   - ruff, ruff format --check and the import contracts, with the app environment only"
	@echo "make knowledge | model | eval | bench | clean"

install: rasa-env app-env

# The gateway, action server, knowledge builder and tests (Python 3.11).
app-env:
	@scripts/setup_env.sh app

# The Rasa server (Python 3.10, TensorFlow): only training, Rasa's own checks and the running assistant need it.
rasa-env:
	@scripts/setup_env.sh rasa

# Browser tests drive Debian's Chromium (a test tool's own browser download is not used).
browser:
	@command -v chromium >/dev/null 2>&1 || { echo "installing chromium for the browser tests"; \
		apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }

# The load balancer of `make run-scaled`: Debian's HAProxy, installed once.
haproxy:
	@command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy || { echo "installing haproxy for make run-scaled"; \
		apt-get update -qq && apt-get install -y -qq haproxy >/dev/null; }

knowledge: app-env
	@$(APP) -m knowledge.build
	@$(APP) -m knowledge.export_nlu

db: app-env
	@$(APP) -m core.storage.migrate

model: knowledge rasa-env
	@$(APP) -m tooling.training > $(VAR)/.model-path
	@echo "rasa model: $$(cat $(VAR)/.model-path)"

run: model db
	@$(APP) -m tooling.launcher "$$(cat $(VAR)/.model-path)"

# Two of each process on this machine behind HAProxy, on the local PostgreSQL and Redis (README, "Scaling past
# one machine"); `make run` stays the embedded set-up. Each variable can be set to another server.
SCALED_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/ir_scaled
SCALED_REDIS_URL ?= redis://127.0.0.1:6379/2

run-scaled: model haproxy
	@ASSISTANT_DATABASE_URL="$(SCALED_DATABASE_URL)" ASSISTANT_RATELIMIT_STORAGE="$(SCALED_REDIS_URL)" \
		$(APP) -m tooling.scaled "$$(cat $(VAR)/.model-path)"

# The scaled tests alone: the scaled system test (three turns through HAProxy) and the kill test with 50
# conversations under SIGKILLs and outages (README, "Scaling past one machine"); `make test` runs the kill test
# with 12 conversations.
test-scaled: model haproxy
	@scripts/run_pytest.sh -m scaled --scaled-conversations 50

lint: app-env
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@.venv/bin/lint-imports --no-cache
	@.venv/bin/mypy

# Every test that needs neither Rasa nor a browser nor a started process (tests/conftest.py marks the others),
# in three worker processes that take each other's waiting tests: on two cores the third fills the time the others
# wait on PostgreSQL, subprocesses and local servers (docs/BENCHMARKS.md, "make unit").
# Compiled modules, and pytest's rewritten test modules, are kept between runs (__pycache__/, ignored by git) even
# where PYTHONDONTWRITEBYTECODE is set: otherwise each worker compiles and rewrites every test module again.
unit: app-env
	@PYTHONDONTWRITEBYTECODE= scripts/run_pytest.sh -n 3 --dist worksteal -m "not system and not browser"

validate: model
	@$(RASA) data validate --config config.yml --domain domain.yml --data data --fail-on-warnings

stories: model
	@$(RASA) test core --stories tests/stories --model "$$(cat $(VAR)/.model-path)" \
		--out $(VAR)/results/stories --fail-on-prediction-errors

pytest: model browser haproxy
	@scripts/run_pytest.sh

test: lint validate stories pytest

eval: model
	@$(APP) -m tooling.evaluate
	@$(APP) scripts/red_flag_report.py
	@$(APP) -m tooling.evaluate_dialogue
	@$(APP) -m tooling.evaluate_answer_first

nlu-eval: install
	@$(APP) scripts/nlu_report.py

bench: model
	@$(APP) -m benchmarks.run

clean:
	rm -rf $(VAR) .rasa
