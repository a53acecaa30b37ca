# syntax=docker/dockerfile:1
# Vigía project image: the whole vigia distribution + the ML stack pinned in requirements.lock.
# Every pipeline component runs in it (its base_image); the MLflow server manifest uses it too.
#
#   make images                                   this machine: FROM the local Debian Python base
#   docker build -t vigia:0.1.0 .                 anywhere with a registry: FROM python:3.11-slim
#
# Build arguments:
#   BASE_IMAGE  a Python 3.11 image with python3 and its venv module (default python:3.11-slim)
#   CA_BUNDLE   path of a CA bundle mounted into the build, for networks that need an extra CA
#   VERSION, REVISION, SOURCE   image labels (make images fills them from vigia/images.toml, git)
#
# Stages: tools (uv, hashed) → requirements (pyproject's runtime dependencies pinned to the
# lock, minus scripts/image-excludes.txt) → deps (FROM the base: installed into /opt/venv by a
# uv that the same step installs and removes, then slimmed by scripts/build-slim-venv.sh: no test suites, headers or
# debug symbols; bytecode compiled) and app (vigia alone in /opt/venv) → final: deps plus the
# small vigia venv copied over it. No build tool, cache, test or header reaches it. The big
# dependency layer is reused while requirements.lock and the dependency list are unchanged, so
# a code change rebuilds only the small vigia layer. The final stage starts FROM deps rather than
# copying its venv: podman re-hashes a COPY --from's source on every build to look up its cache,
# which for this 1.9 GB venv cost about a minute of CPU even when nothing had changed.
ARG BASE_IMAGE=python:3.11-slim
#checkov:skip=CKV_DOCKER_7:the base is a build argument; its default python:3.11-slim is a fixed tag

# --- tools: uv, from a hashed lock -------------------------------------------------------------
FROM ${BASE_IMAGE} AS tools
ARG CA_BUNDLE=""
ENV UV_LINK_MODE=copy
COPY scripts/build-tools.lock /tmp/build-tools.lock
RUN if [ -n "$CA_BUNDLE" ]; then export PIP_CERT="$CA_BUNDLE"; fi \
 && python3 -m venv /opt/uv \
 && /opt/uv/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes \
      -r /tmp/build-tools.lock

# --- requirements: pyproject's runtime dependencies (no dev extra), pinned to the lock ---------
FROM tools AS requirements
ARG CA_BUNDLE=""
WORKDIR /src
COPY requirements.lock pyproject.toml scripts/image-excludes.txt ./
RUN if [ -n "$CA_BUNDLE" ]; then export SSL_CERT_FILE="$CA_BUNDLE"; fi \
 && /opt/uv/bin/uv pip compile pyproject.toml -c requirements.lock --python /opt/uv/bin/python \
      --excludes image-excludes.txt --no-header --no-annotate --no-cache --quiet \
      -o /requirements.txt

# --- deps: the ML stack in /opt/venv, slimmed (scripts/build-slim-venv.sh) -------------------
# FROM the base, not tools: this stage is the final image's bottom. uv (from the hashed
# build-tools.lock, into /tmp/uv) and binutils (`strip` for build-slim-venv.sh) are installed and
# removed in the same step as the venv: neither reaches the image.
FROM ${BASE_IMAGE} AS deps
ARG CA_BUNDLE=""
COPY requirements.lock scripts/image-excludes.txt scripts/image-imports.txt \
     scripts/build-slim-venv.sh scripts/build-tools.lock /opt/vigia/
COPY --from=requirements /requirements.txt /opt/vigia/requirements.txt
# Versions pinned (==) by the requirements stage, hashes enforced from requirements.lock (a
# constraints file with hashes); pytest, ruff, mypy stay out. build-slim-venv.sh imports what the
# code imports (scripts/image-imports.txt): the build fails if the slimmed stack does not load.
# binutils' version comes from the base's Debian release.
# hadolint ignore=DL3008
RUN --mount=type=cache,target=/root/.cache/uv \
    if [ -n "$CA_BUNDLE" ]; then export SSL_CERT_FILE="$CA_BUNDLE" PIP_CERT="$CA_BUNDLE"; fi \
 && apt-get update \
 && apt-get install -y --no-install-recommends binutils \
 && python3 -m venv /tmp/uv \
 && /tmp/uv/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes \
      -r /opt/vigia/build-tools.lock \
 && python3 -m venv --without-pip /opt/venv \
 && UV_CACHE_DIR=/root/.cache/uv UV_LINK_MODE=copy /tmp/uv/bin/uv pip install \
      --python /opt/venv/bin/python --require-hashes --no-progress -c /opt/vigia/requirements.lock \
      --excludes /opt/vigia/image-excludes.txt -r /opt/vigia/requirements.txt \
 && sh /opt/vigia/build-slim-venv.sh /opt/venv /opt/vigia/image-imports.txt \
 && apt-get purge -y --auto-remove binutils \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /tmp/uv

# --- app: vigia itself (wheel built with the locked setuptools), alone in /opt/venv ------------
FROM tools AS app
ARG CA_BUNDLE=""
WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
COPY vigia/ vigia/
COPY components/ components/
COPY pipelines/ pipelines/
COPY serving/ serving/
COPY workflows/ workflows/
RUN if [ -n "$CA_BUNDLE" ]; then export SSL_CERT_FILE="$CA_BUNDLE"; fi \
 && /opt/uv/bin/uv build --wheel --no-cache --out-dir /wheel \
      --build-constraint requirements.lock --require-hashes . \
 && python3 -m venv --without-pip /opt/venv \
 && /opt/uv/bin/uv pip install --python /opt/venv/bin/python --no-deps --no-cache \
      --compile-bytecode --no-progress /wheel/*.whl

# --- final ------------------------------------------------------------------------------------
# The slimmed dependency venv (and, for the record, the lock and the pinned requirements it was
# installed from, in /opt/vigia), with vigia's own venv files copied over it.
FROM deps
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=app /opt/venv/ /opt/venv/

# Components run as root (kfp's default): the pipeline root and the workspace are bind-mounted
# from the host, and KFP's launcher creates its local output folders (/gcs, /minio) at run time.
#checkov:skip=CKV_DOCKER_3:components run as root, see the comment above
#checkov:skip=CKV_DOCKER_2:batch pipeline steps, no long-running service to health-check
WORKDIR /opt/vigia
CMD ["vigia", "--help"]

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=vigia
LABEL org.opencontainers.image.title="vigia" \
      org.opencontainers.image.description="Vigía pipeline components: the vigia distribution and its ML stack" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"
