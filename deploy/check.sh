#!/usr/bin/env bash
# The deployment files, checked without a Docker engine (none runs in CI): the compose file against the Compose
# Specification's schema, the Dockerfile with hadolint, and the Dockerfile's own build commands
# (deploy/image-*.sh) run in a clean venv on a copy of exactly what the image copies, which then must start
# (import the ASGI application) and pass `manage.py check` without tests/ or bench/ beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TOOLS=.venv-deploy

if [ ! -x "$TOOLS/bin/hadolint" ] || ! cmp -s requirements-deploy.txt "$TOOLS/.installed"; then
  rm -rf "$TOOLS" && "$PYTHON" -m venv "$TOOLS"
  "$TOOLS/bin/pip" install --quiet --disable-pip-version-check -r requirements-deploy.txt
  cp requirements-deploy.txt "$TOOLS/.installed"
fi

echo "-- compose file against the Compose Specification"
"$TOOLS/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml
echo "-- hadolint"
"$TOOLS/bin/hadolint" --failure-threshold info Dockerfile
echo "-- .env.example lists every setting"
"$PYTHON" deploy/env_example.py --check

echo "-- the image's build commands, in a clean venv, on what the image copies"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The Dockerfile's COPY lines, read from it, so this copy cannot drift from the image's.
sed -n 's/^COPY \([^-][^ ]*\( [^ ]*\)*\) [^ ]*$/\1/p' Dockerfile | tr ' ' '\n' | sort -u | while read -r item; do
  [ -e "$item" ] && cp -r "$item" "$work/"
done
cp -r deploy "$work/"  # image-install.sh, which the build stage copies flat
(
  cd "$work"
  for gone in tests bench; do [ ! -e "$gone" ] || { echo "$gone/ would ship in the image" >&2; exit 1; }; done
  PYTHON_BIN=$(command -v "$PYTHON")
  ln -s "$PYTHON_BIN" "$work/python"
  PATH="$work:$PATH" sh deploy/image-install.sh "$work/venv"
  sh deploy/image-collect.sh "$work/venv"
  test -s var/static/staticfiles.json
  # A REDIS_URL that is never dialled: importing the application connects nothing, and runs no embedded jobs.
  env -u DATABASE_URL REDIS_URL=redis://127.0.0.1:1/0 DEBUG=0 SECRET_KEY=deploy-check-only-"$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    STARTUP_CHECKS=0 "$work/venv/bin/python" -c "import project.asgi"
  env -u DATABASE_URL -u REDIS_URL DEBUG=0 SECRET_KEY=x "$work/venv/bin/python" manage.py check --fail-level CRITICAL >/dev/null
)
echo "deployment files: ok"
