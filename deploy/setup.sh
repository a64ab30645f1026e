#!/usr/bin/env bash
# Set up polyserve on this machine: the system packages the stack needs (when missing),
# then .venv from the pinned requirements, then the RedisAI module.
# Idempotent: with nothing changed, a second run only checks and returns in seconds.
#
#   TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu   take torch's CPU build from there
#   PIP_FIND_LINKS=/folder/of/wheels                        pip's own: a local wheel folder
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
# The JDK, not just the JRE: MMS's /ping plugin (services/mms/plugin) is compiled at start.
command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v curl >/dev/null || missing+=(curl)
command -v wrk >/dev/null || missing+=(wrk)
# MMS's front (services/mms/nginx.conf); /usr/sbin is not on a non-root user's PATH.
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)

if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "setup: missing ${missing[*]}." >&2
    echo "setup: install them with your package manager (Debian: apt-get install ${missing[*]})," >&2
    echo "setup: or run this as root on Debian/Ubuntu and it will." >&2
    exit 1
  fi
fi

# The test tools' pins on top of the services' (which include deploy/requirements-engines.txt);
# the images install deploy/requirements.txt only.
requirements=deploy/requirements-test.txt
stamp=.venv/.requirements.sha256
wanted=$(cat deploy/requirements-engines.txt deploy/requirements.txt "$requirements" \
  | sha256sum | cut -d' ' -f1)
[[ -x .venv/bin/python ]] || python3 -m venv .venv
if [[ $(cat "$stamp" 2>/dev/null) != "$wanted" ]]; then
  echo "setup: installing pinned Python packages into .venv"
  extra=()
  [[ -n ${TORCH_INDEX_URL:-} ]] && extra+=(--extra-index-url "$TORCH_INDEX_URL")
  .venv/bin/pip install --quiet "${extra[@]}" -r "$requirements"
  .venv/bin/pip check
  echo "$wanted" > "$stamp"
fi

if [[ -f services/redisai/module/Makefile ]]; then
  make --no-print-directory -s -j2 -C services/redisai/module PYTHON="$PWD/.venv/bin/python"
fi
echo "setup: ready"
