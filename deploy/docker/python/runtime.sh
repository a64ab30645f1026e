#!/bin/sh
# Runtime layer shared by the Python images: Debian's python3.11 (the venv's interpreter),
# the unprivileged user `polyserve` and the folders the services write to.
# Extra Debian packages for one image are given as arguments.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# libgomp1, libquadmath0: mxnet's libmxnet.so links them from the system.
apt-get install -y -qq --no-install-recommends python3 libgomp1 libquadmath0 "$@" >/dev/null
rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log
useradd --uid 10001 --user-group --no-create-home --home-dir /srv/polyserve \
  --shell /usr/sbin/nologin polyserve
mkdir -p /srv/polyserve/app /srv/polyserve/artifacts /srv/polyserve/run /srv/polyserve/results
chown polyserve:polyserve /srv/polyserve /srv/polyserve/artifacts /srv/polyserve/run \
  /srv/polyserve/results
