#!/usr/bin/env bash
# The compose test on a CI machine (Debian, as root): provisions Docker, builds the images and
# runs tests/compose with POLYSERVE_REQUIRE_DOCKER=1, so it fails rather than skips.
#
#  1. Debian's docker.io, docker-compose (1.29) and debootstrap, when missing;
#  2. dockerd, when no engine answers: started here (data in POLYSERVE_DOCKER_ROOT, default
#     /var/lib/docker, so image layers stay cached between runs; log in
#     /var/log/polyserve-dockerd.log) and stopped again on exit;
#  3. debian:bookworm-slim, built offline by deploy/base-image.sh when it is not there;
#  4. deploy/wheels/ from PIP_FIND_LINKS (the torch wheel) and deploy/certs/ from
#     POLYSERVE_CA_DIR (default /usr/local/share/ca-certificates), both git-ignored;
#  5. the images (timed), then the test (told they are built), which brings the stack up,
#     tests it and takes it down with its volumes.
# Needs .venv (`make setup`).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "docker-ci: $*"; }
[[ $(id -u) == 0 ]] || { echo "docker-ci: run as root (it installs and starts Docker)" >&2; exit 1; }
[[ -x .venv/bin/python ]] || { echo "docker-ci: no .venv: run make setup first" >&2; exit 1; }

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 \
  || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

started_dockerd=
stop_dockerd() {
  [[ -n $started_dockerd ]] || return 0
  say "stopping the dockerd it started (pid $started_dockerd)"
  kill "$started_dockerd" 2>/dev/null || true
  for _ in $(seq 60); do kill -0 "$started_dockerd" 2>/dev/null || return 0; sleep 1; done
  kill -9 "$started_dockerd" 2>/dev/null || true
}
trap stop_dockerd EXIT
if ! docker info >/dev/null 2>&1; then
  log=/var/log/polyserve-dockerd.log
  say "starting dockerd (log: $log)"
  dockerd --data-root "${POLYSERVE_DOCKER_ROOT:-/var/lib/docker}" >"$log" 2>&1 &
  started_dockerd=$!
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 "$log" >&2; exit 1; }
fi
say "engine $(docker version --format '{{.Server.Version}}'), $(docker-compose version --short 2>/dev/null || docker compose version --short)"

bash deploy/base-image.sh

for folder in ${PIP_FIND_LINKS:-}; do
  for wheel in "$folder"/*.whl; do
    [[ -f $wheel && ! -e deploy/wheels/$(basename "$wheel") ]] || continue
    cp -l "$wheel" deploy/wheels/ 2>/dev/null || cp "$wheel" deploy/wheels/
    say "wheel $(basename "$wheel") -> deploy/wheels/"
  done
done
ca_dir=${POLYSERVE_CA_DIR:-/usr/local/share/ca-certificates}
if [[ -d $ca_dir ]]; then
  find "$ca_dir" -name '*.crt' -type f -exec cp {} deploy/certs/ \;
fi
say "extra CA certificates for the builds: $(find deploy/certs -name '*.crt' | wc -l)"

export COMPOSE_PROJECT_NAME=polyserve-test REDIS_PASSWORD=build-only
compose=(docker-compose)
docker compose version >/dev/null 2>&1 && compose=(docker compose)
start=$SECONDS
"${compose[@]}" --profile loadtest build
say "images built in $((SECONDS - start)) s"
docker image ls 'polyserve/*'

start=$SECONDS
POLYSERVE_REQUIRE_DOCKER=1 POLYSERVE_COMPOSE="${compose[*]}" POLYSERVE_COMPOSE_SKIP_BUILD=1 \
  .venv/bin/python -m pytest tests/compose -p no:cacheprovider -q -rs
say "compose test took $((SECONDS - start)) s"
