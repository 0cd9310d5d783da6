# Web image: Django (ASGI) under uvicorn. Also runs the one-shot `migrate` service.
# Build context: the repository root (see docker-compose.yml and .dockerignore).
# The web process never imports torch or sam2engine, so neither is in this image.

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- frontend: the built single-page app ---------------------------------------------------
# nginx serves frontend/dist in production; the web image carries it too so that Django's own
# SPA fallback (WHITENOISE_ROOT = frontend/dist) works when web is reached without nginx.
# --- schema: the API's OpenAPI schema, from which the frontend's types are generated -----
FROM ${PYTHON_IMAGE} AS schema
WORKDIR /app
COPY requirements/ requirements/
RUN pip install --no-cache-dir --disable-pip-version-check -r requirements/base.txt
COPY backend/ backend/
RUN PYTHONPATH=/app DJANGO_SETTINGS_MODULE=backend.config.django.local VAR_DIR=/tmp/var \
    python backend/manage.py spectacular --file /openapi.yaml

FROM ${NODE_IMAGE} AS frontend
WORKDIR /src/frontend
# Lockfile first: the `npm ci` layer is rebuilt only when dependencies change.
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
COPY --from=schema /openapi.yaml /src/openapi.yaml
RUN OPENAPI_SCHEMA=/src/openapi.yaml npm run build

# --- web ------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS web

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=backend.config.django.production \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media

# A fixed uid/gid so files on the shared media volume have the same owner in every image.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app

COPY requirements/ requirements/
RUN pip install -r requirements/base.txt

COPY backend/ backend/
COPY --from=frontend /src/frontend/dist frontend/dist
COPY docker/entrypoints/ /usr/local/bin/
COPY docker/healthcheck.py /usr/local/bin/web-healthcheck

# Static files are collected at build time so every web replica serves identical, hashed files
# (WhiteNoise, CompressedManifestStaticFilesStorage). Production settings refuse to load
# without a 50+ character SECRET_KEY; this throwaway one exists only for this RUN step and is
# not kept in the image.
RUN SECRET_KEY="collectstatic-at-build-time-only-not-a-secret-0123456789abcdef" \
    python backend/manage.py collectstatic --noinput

# The media mount point is created here, owned by `app`, so that a fresh named volume mounted
# on it inherits that owner (Docker copies the mount point's ownership into an empty volume).
RUN mkdir -p /data/media && chown app:app /data/media \
    && chmod 0755 /usr/local/bin/web.sh /usr/local/bin/worker.sh /usr/local/bin/migrate.sh \
        /usr/local/bin/web-healthcheck

USER app
EXPOSE 8000
CMD ["web.sh"]
