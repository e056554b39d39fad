#!/bin/sh
# The image's static files, with the environment's Python ($1/bin/python): collected into var/static (STATIC_ROOT)
# with hashed names and gzip copies. The throwaway key only lets settings load with DEBUG=0; collectstatic opens
# no database. Run by the Dockerfile's app stage and, in a clean directory, by .ci/run.
set -eu
DEBUG=0 SECRET_KEY=collectstatic-build-only "$1/bin/python" manage.py collectstatic --noinput --verbosity 0
