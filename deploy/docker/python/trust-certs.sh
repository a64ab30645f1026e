#!/bin/sh
# Trust the extra CA certificates in /build/certs/*.crt (deploy/certs/ in the repo, git-ignored):
# what pip needs behind a TLS-intercepting proxy. Without any, nothing changes.
# Needs the ca-certificates package; the Debian mirror itself is reached over plain HTTP.
set -eu
ls /build/certs/*.crt >/dev/null 2>&1 || exit 0
mkdir -p /usr/local/share/ca-certificates/polyserve
cp /build/certs/*.crt /usr/local/share/ca-certificates/polyserve/
update-ca-certificates >/dev/null
echo "trust-certs: trusting $(ls /build/certs/*.crt | wc -l) extra CA certificate file(s)"
