#!/usr/bin/env bash
# Build the base image debian:bookworm-slim locally (debootstrap + docker import) when no
# registry can be reached. Does nothing when the image is already there; --force rebuilds it.
#
#   DEBIAN_MIRROR   the Debian mirror debootstrap and the image's apt use
#                   (default http://deb.debian.org/debian; security updates from
#                   DEBIAN_SECURITY_MIRROR, default http://deb.debian.org/debian-security)
#   BASE_IMAGE      the name to import under (default debian:bookworm-slim)
#
# The result is close to the official slim image: minbase variant, no docs, man pages or
# locales, no apt lists, deb822 sources for bookworm, bookworm-updates and bookworm-security.
# Needs root, debootstrap (apt-get install debootstrap) and a running Docker engine.
set -euo pipefail

image=${BASE_IMAGE:-debian:bookworm-slim}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

if [[ ${1:-} != --force ]] && docker image inspect "$image" >/dev/null 2>&1; then
  echo "base-image: $image is already there"
  exit 0
fi
command -v debootstrap >/dev/null || {
  echo "base-image: debootstrap is missing (apt-get install debootstrap)" >&2
  exit 1
}
[[ $(id -u) == 0 ]] || { echo "base-image: debootstrap needs root" >&2; exit 1; }

root=$(mktemp -d "${TMPDIR:-/var/tmp}/polyserve-rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
echo "base-image: debootstrap bookworm from $mirror (a minute or two)"
debootstrap --variant=minbase --components=main bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -20 "$root.log" >&2
  rm -f "$root.log"
  exit 1
}
rm -f "$root.log"

rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
# As in the official slim image: no docs, man pages or translations from later installs.
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
DPKG
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
  >"$root/etc/apt/apt.conf.d/docker-no-recommends"
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/man" "$root/usr/share/info" "$root/usr/share/locale" -mindepth 1 -delete
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
rm -rf "$root"/var/log/* "$root"/tmp/* "$root"/root/.cache
: >"$root/etc/machine-id"
printf 'nameserver 127.0.0.1\n' >"$root/etc/resolv.conf"  # Docker mounts its own

tar --numeric-owner -C "$root" -c . | docker import \
  --change 'CMD ["bash"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --message "debootstrap bookworm minbase (polyserve deploy/base-image.sh)" \
  - "$image" >/dev/null
echo "base-image: imported $image ($(docker image inspect -f '{{.Size}}' "$image" | numfmt --to=iec))"
