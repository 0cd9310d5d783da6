# nginx image: the built frontend plus docker/nginx/nginx.conf.
# nginx serves the single-page app and frame images (X-Accel-Redirect from the shared media
# volume) itself, and proxies the API, admin, static files and websockets to web:8000.
# Build context: the repository root (see docker-compose.yml and .dockerignore).

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm
ARG NODE_IMAGE=node:20.20.2-bookworm-slim
ARG NGINX_IMAGE=nginx:1.28.0-alpine

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

FROM ${NGINX_IMAGE}
# The image's default server (conf.d/default.conf) would answer on port 80 too; ours replaces
# the whole main config and includes nothing from conf.d.
RUN rm -f /etc/nginx/conf.d/default.conf
COPY docker/nginx/nginx.conf /etc/nginx/nginx.conf
COPY --from=frontend /src/frontend/dist /usr/share/nginx/html
EXPOSE 80
