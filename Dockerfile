# The API image: Django + Strawberry served over ASGI by daphne (HTTP and GraphQL websockets).
#
#   docker build -t commerce-api .
#   docker run -e SECRET_KEY=... -e DATABASE_URL=... -e REDIS_URL=... -e ALLOWED_HOSTS=api.example.com \
#              -p 8000:8000 commerce-api
#
# Stages: `build` installs the requirements into a virtualenv; `app` is the runtime (that virtualenv, the
# application's own packages, and nothing of tests/, bench/ or the build tools); `proxy` is nginx with this
# build's static files, in front of the replicas in compose. Base images are pinned to a release.
#
# Migrations are not run by the web command: run `python manage.py migrate --noinput` once per deploy
# (docker-compose.yml does it in its one-off `migrate` service), so that several web replicas never race.
FROM python:3.11.11-slim-bookworm AS build
ENV PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
# All requirements ship wheels (psycopg2-binary bundles libpq), so no compiler is needed.
COPY requirements.txt deploy/image-install.sh ./
RUN sh image-install.sh /opt/venv


FROM python:3.11.11-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=project.settings \
    DEBUG=0

# DejaVu covers the currency signs invoices print (₦ ₵ ₹ €); nothing else comes from the distribution.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core=2.37-6 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# The application only: tests/ and bench/ stay out of the runtime image (and of its build context, .dockerignore).
COPY manage.py schema.graphql ./
COPY project ./project
COPY graph ./graph
COPY commerce ./commerce
COPY tasks ./tasks
COPY deploy ./deploy

RUN sh deploy/image-collect.sh /opt/venv

# The code and the static files stay owned by root (read-only for the process), which runs as a numeric,
# unprivileged UID (so Kubernetes' runAsNonRoot can verify it). It writes only uploaded media (/app/var/media:
# mount a volume there, or keep media in a bucket) and the worker's heartbeat in /tmp.
# The image expects DATABASE_URL (PostgreSQL): the embedded SQLite default could not be written here.
# /app/var/secrets: where the compose stack keeps the SECRET_KEY it generates (a volume takes this owner).
RUN mkdir -p /app/var/media /app/var/secrets && chown 10001:10001 /app/var/media /app/var/secrets
USER 10001:10001

EXPOSE 8000

# Liveness only (/healthz checks nothing behind the process; /readyz is for the load balancer).
# No curl in the slim image, so Python's urllib. Django answers 400 to a Host not in ALLOWED_HOSTS, so the
# probe sends the first concrete entry of ALLOWED_HOSTS ('.example.com' -> 'example.com'; '*' or unset ->
# 'localhost'); urlopen raises on any non-2xx answer, which fails the check. The worker and the scheduler
# override it with `manage.py probe worker|scheduler` (docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = next((x.strip().lstrip('.') for x in os.environ.get('ALLOWED_HOSTS', '').split(',') if x.strip() not in ('', '*')), 'localhost'); r.urlopen(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4)"]

# Exec form: daphne (project.serve: its command line, paths masked in its access log) is PID 1 and gets
# SIGTERM directly on `docker stop`: it stops accepting, closes its websockets with 1012 and finishes the requests in
# flight for SHUTDOWN_TIMEOUT_SECONDS (8), inside Docker's 10 s before SIGKILL.
CMD ["python", "-m", "project.serve", "-b", "0.0.0.0", "-p", "8000", "project.asgi:application"]


# The proxy in front of the web replicas (docker-compose.yml): nginx with deploy/nginx.conf and the static files
# collected above, so the files it serves always match the code the replicas run. 1.27.3 or later: the
# upstream's `resolve` (replicas found again when scaled) needs it.
FROM nginx:1.27.3 AS proxy
COPY --from=app /app/var/static /srv/static
COPY deploy/nginx.conf /etc/nginx/conf.d/default.conf


# Last, so that `docker build .` without --target still builds the API image.
FROM app
