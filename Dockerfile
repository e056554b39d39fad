# The API image: Django + Strawberry served over ASGI by daphne (HTTP and GraphQL websockets).
#
#   docker build -t commerce-api .
#   docker run -e SECRET_KEY=... -e DATABASE_URL=... -e REDIS_URL=... -e ALLOWED_HOSTS=api.example.com \
#              -p 8000:8000 commerce-api
#
# Migrations are not run by the web command: run `python manage.py migrate --noinput` once per deploy
# (docker-compose.yml does it in its one-off `migrate` service), so that several web replicas never race.
# Stage `proxy` (--target proxy) is nginx with this build's static files, in front of the replicas in compose.
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DJANGO_SETTINGS_MODULE=project.settings \
    DEBUG=0

WORKDIR /app

# Runtime dependencies first, so that code changes reuse this layer. All of them ship wheels
# (psycopg2-binary bundles libpq), so no compiler or apt packages are needed.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

# Static files (the admin's, GraphiQL's) are collected into /app/var/static (STATIC_ROOT) at build time, with
# hashed names and gzip copies; the server serves them itself (project/files.py). The throwaway key only lets
# settings load with DEBUG=0, and collectstatic touches no database.
RUN SECRET_KEY=collectstatic-build-only python manage.py collectstatic --noinput --verbosity 0

# The code and the static files stay owned by root (read-only for the process); it runs unprivileged.
# Note: the embedded SQLite default cannot be written here; the image expects DATABASE_URL (PostgreSQL).
# Uploaded media go to /app/var/media (MEDIA_ROOT), the one folder the process writes: mount a volume there, or
# keep media in a bucket (README, "Files").
RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /app/var/media && chown app:app /app/var/media
USER app

EXPOSE 8000

# Liveness only (/healthz checks nothing behind the process; /readyz is for the load balancer).
# No curl in the slim image, so Python's urllib. Django answers 400 to a Host not in ALLOWED_HOSTS, so the
# probe sends the first concrete entry of ALLOWED_HOSTS ('.example.com' -> 'example.com'; '*' or unset ->
# 'localhost'); urlopen raises on any non-2xx answer, which fails the check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = next((x.strip().lstrip('.') for x in os.environ.get('ALLOWED_HOSTS', '').split(',') if x.strip() not in ('', '*')), 'localhost'); r.urlopen(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4)"]

# Exec form: daphne (project.serve: its command line, paths masked in its access log) is PID 1 and gets
# SIGTERM directly on `docker stop`: it stops accepting, closes its websockets with 1012 and finishes the requests in
# flight for SHUTDOWN_TIMEOUT_SECONDS (8), inside Docker's 10 s before SIGKILL.
CMD ["python", "-m", "project.serve", "-b", "0.0.0.0", "-p", "8000", "project.asgi:application"]

# The proxy in front of the web replicas (docker-compose.yml): nginx with deploy/nginx.conf and the static files
# collected above, so the files it serves always match the code the replicas run.
FROM nginx:1.27 AS proxy
COPY --from=app /app/var/static /srv/static
COPY deploy/nginx.conf /etc/nginx/conf.d/default.conf

# Last, so that `docker build .` without --target still builds the API image.
FROM app
