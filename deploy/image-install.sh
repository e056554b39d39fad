#!/bin/sh
# The image's Python environment: a virtualenv at $1 with the runtime requirements only (no test or bench tools).
# The Dockerfile's build stage runs this; .ci/run runs it too, in a clean directory, so a broken pin or a
# package that needs a compiler fails CI rather than the first `docker build` on a server.
set -eu
python -m venv "$1"
"$1/bin/pip" install --no-cache-dir --disable-pip-version-check --quiet -r requirements.txt
