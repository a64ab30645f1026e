#!/bin/sh
# Build stage of every Python image: Debian's python3.11, then /opt/polyserve/venv from the
# pinned requirements, in two runs (two cached layers): first the model engines
# (requirements-engines.txt, large and seldom changed), then everything else
# (requirements.txt, which includes the engines' file). Run by the Dockerfile from /build,
# which holds this script, the requirements files, certs/ (extra CA certificates) and wheels/
# (a local wheel folder).
#
#   sh install-venv.sh /build/requirements-engines.txt|/build/requirements.txt
#
# torch is installed first and never from PyPI (whose torch is the multi-GB CUDA build):
# from a torch wheel in wheels/ when there is one (offline), else from TORCH_INDEX_URL
# (the CPU index by default). The rest comes from PIP_INDEX_URL (PyPI unless set), with
# wheels/ as find-links.
set -eu
export DEBIAN_FRONTEND=noninteractive
VENV=/opt/polyserve/venv
requirements=$1

if [ ! -x "$VENV/bin/python" ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3 python3-venv ca-certificates >/dev/null
  sh /build/trust-certs.sh
  python3 -m venv "$VENV"
fi
export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_CERT=/etc/ssl/certs/ca-certificates.crt
[ -n "${PIP_INDEX_URL:-}" ] || unset PIP_INDEX_URL
pip="$VENV/bin/pip"

torch=$(grep -i '^torch==' /build/requirements-engines.txt)
wheel=$(ls /build/wheels/torch-"${torch#*==}"*-cp311-*.whl 2>/dev/null | head -n 1 || true)
if "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
  : # installed by the first run
elif [ -n "$wheel" ]; then
  echo "install-venv: $torch from $wheel"
  "$pip" install -q --no-deps "$wheel"
elif [ -n "${TORCH_INDEX_URL:-}" ]; then
  echo "install-venv: $torch from $TORCH_INDEX_URL"
  "$pip" install -q --no-deps --index-url "$TORCH_INDEX_URL" "$torch"
else
  echo "install-venv: no torch wheel in deploy/wheels/ and TORCH_INDEX_URL is empty;" >&2
  echo "install-venv: refusing to take torch from PyPI (its CUDA build is several GB)" >&2
  exit 1
fi
"$pip" install -q --find-links /build/wheels -r "$requirements"
"$pip" check
"$VENV/bin/python" -c 'import torch; assert not torch.version.cuda, torch.version.cuda'
rm -rf /var/lib/apt/lists/*
