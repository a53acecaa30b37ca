#!/usr/bin/env bash
# Build Vigía's container images with podman (what `make images` runs).
#
#   1. set up podman if needed (scripts/setup-podman.sh: packages, containers.conf, the
#      debootstrapped Debian base, the Docker-compatible API socket that kfp's DockerRunner uses);
#   2. BASE_IMAGE: a Python 3.11 base. Unset (this machine: no container registry), it is built
#      from the local Debian base with scripts/Dockerfile.python-base; set it to
#      python:3.11-slim where a registry is reachable;
#   3. the project image (./Dockerfile) and the predictor image (serving/Dockerfile), named and
#      tagged from vigia/images.toml (through vigia.images), layers reused when inputs are unchanged;
#   4. remove earlier builds of the two images (not the stage caches), print times and sizes.
#
# An image whose inputs are unchanged is not built again: each image carries a label with the
# digest of what its build reads (its Dockerfile, the build context .dockerignore admits, the
# base image's ID, the version and source labels), and a build whose digest matches is skipped.
# The digest takes well under a second; podman's own cache check of every step takes seconds
# (and took about a minute of CPU while the final stages still copied the dependency venv,
# re-hashing it on every build). The revision label is left out of the
# digest: it names the commit the image was built from, which may be an earlier commit with the
# same inputs.
#
# Environment: PYTHON (reads vigia/images.toml; default .venv/bin/python), BASE_IMAGE,
# CA_BUNDLE_FILE (CA bundle passed into the builds, default $SSL_CERT_FILE or Debian's bundle),
# ONLY=project|predictor (build one image), SKIP_SETUP=1 (podman is known to be ready),
# NO_CACHE=1 (rebuild every layer and skip the up-to-date check; the package download caches
# stay warm).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-.venv/bin/python}"
images() { "$PYTHON" -c "from vigia.images import image_config, image_ref; print($1)"; }
PROJECT="$(images 'image_ref("project", "local")')"
PREDICTOR="$(images 'image_ref("predictor", "local")')"
VERSION="$(images 'image_config()["tag"]')"
REVISION="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
SOURCE="$(git remote get-url origin 2>/dev/null || echo vigia)"
# In a subshell: os-release sets VERSION too (the image tag above must keep its value).
SUITE="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
DEBIAN_BASE="localhost/debian-minbase:$SUITE"
LOCAL_PYTHON_BASE="localhost/vigia-python-base:3.11-$SUITE"

ts() { date +%s.%N; }
el() { awk -v a="$1" -v b="$(ts)" 'BEGIN{printf "%.1f", b-a}'; }

# 1. podman, the Debian base, the API socket
if [ "${SKIP_SETUP:-0}" != 1 ]; then
  START_SERVICE=1 BASE_IMAGE="$DEBIAN_BASE" SUITE="$SUITE" bash scripts/setup-podman.sh \
    | grep -E '^\[setup\]|^podman version'
fi

common=(--network host --format docker --layers ${NO_CACHE:+--no-cache}
        --build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION"
        --build-arg "SOURCE=$SOURCE")
CA_BUNDLE_FILE="${CA_BUNDLE_FILE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
if [ -f "$CA_BUNDLE_FILE" ]; then
  common+=(--volume "$(readlink -f "$CA_BUNDLE_FILE"):/run/build-ca.crt:ro"
           --build-arg CA_BUNDLE=/run/build-ca.crt)
fi

LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
run_logged() {  # run_logged WHAT COMMAND...: output to $LOG, shown only on failure
  "${@:2}" > "$LOG" 2>&1 || { tail -40 "$LOG" >&2; echo "[images] $1 failed" >&2; exit 1; }
}

INPUTS_LABEL=org.vigia.inputs-digest
# What the builds read from the repository: the paths .dockerignore admits (same exclusions).
CONTEXT=(pyproject.toml README.md requirements.lock scripts/build-tools.lock
         scripts/build-slim-venv.sh scripts/image-excludes.txt scripts/image-imports.txt
         serving/requirements.lock serving/requirements-excludes.txt vigia components pipelines
         serving workflows .dockerignore)
inputs_digest() {  # inputs_digest DOCKERFILE: sha256 of everything that build reads
  {
    printf '%s\n' "$1" "$(podman image inspect --format '{{.Id}}' "$BASE" 2>/dev/null)" \
      "$VERSION" "$SOURCE"
    find "$1" "${CONTEXT[@]}" \( -name __pycache__ -o -name '*.egg-info' \
        -o -path pipelines/compiled \) -prune -o -type f ! -name '*.pyc' -print0 \
      | LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -d' ' -f1
}

build() {  # build NAME DOCKERFILE IMAGE
  local t digest; t=$(ts)
  digest="$(inputs_digest "$2")"
  if [ -z "${NO_CACHE:-}" ] && [ "$(podman image inspect --format \
      "{{index .Labels \"$INPUTS_LABEL\"}}" "$3" 2>/dev/null)" = "$digest" ]; then
    echo "[images] $3 up to date (inputs unchanged, digest ${digest:0:12}; NO_CACHE=1 rebuilds)"
    return
  fi
  run_logged "$1 build" podman build "${common[@]}" --build-arg "BASE_IMAGE=$BASE" \
    --label "$INPUTS_LABEL=$digest" -f "$2" -t "$3" .
  BUILT=1
  echo "[images] $3 built in $(el "$t")s ($(grep -c -- '--> Using cache' "$LOG" || true) steps cached)"
}
BUILT=0

# 2. the Python base
if [ -n "${BASE_IMAGE:-}" ]; then
  BASE="$BASE_IMAGE"
else
  BASE="$LOCAL_PYTHON_BASE"
  t=$(ts)
  run_logged "base build" podman build --network host --format docker --layers \
    --build-arg "DEBIAN_BASE=$DEBIAN_BASE" -f scripts/Dockerfile.python-base -t "$BASE" scripts
  echo "[images] $BASE ready in $(el "$t")s"
fi

# 3. the images
case "${ONLY:-all}" in
  project)   build project Dockerfile "$PROJECT" ;;
  predictor) build predictor serving/Dockerfile "$PREDICTOR" ;;
  all)       build project Dockerfile "$PROJECT"; build predictor serving/Dockerfile "$PREDICTOR" ;;
  *)         echo "ONLY must be project or predictor" >&2; exit 2 ;;
esac

# 4. tidy up and report
# Housekeeping: only the earlier builds of the two images (they carry the title label). The
# intermediate images of the build stages are dangling too, but they are the layer cache of the
# `deps` stages (not ancestors of the final images): pruning them would rebuild the dependency
# layers on every run. Bounded: podman 4.3's prune holds the image store for minutes on a busy
# machine, during which its API (kfp's DockerRunner, `vigia serve --container`) does not answer.
if [ "$BUILT" = 1 ]; then
  timeout 60 podman image prune -f --filter label=org.opencontainers.image.title > /dev/null \
    || echo "[images] warning: earlier builds not pruned (podman image prune)" >&2
fi
for image in "$PROJECT" "$PREDICTOR" "$BASE"; do
  if podman image exists "$image"; then
    size="$(podman image inspect --format '{{.Size}}' "$image")"
    echo "[images] $image $(awk -v b="$size" 'BEGIN{printf "%.0f MB", b / 1e6}')"
  fi
done
