#!/usr/bin/env bash
# Build the stack image (base of every build and app container) unless it exists:
# Debian trixie minbase via debootstrap, imported with `docker import`. No image registry needed.
#   scripts/stack-image.sh [TAG]    TAG defaults to $PAAS_STACK_IMAGE, then paas/stack:trixie
set -euo pipefail

TAG="${1:-${PAAS_STACK_IMAGE:-paas/stack:trixie}}"
SUITE=trixie
# What buildpacks expect to find: Python 3.13 and Node.js from Debian, pip/venv/npm to install
# dependencies, git for VCS requirements, curl and procps to debug and health-check a container.
# bash, tar, gzip and coreutils come with minbase anyway; they are named because buildpacks use them.
PACKAGES=python3,python3-venv,python3-pip,nodejs,npm,ca-certificates,bash,tar,gzip,coreutils,procps,curl,git
# Given explicitly so that a missing keyring fails the build instead of skipping verification
# (debootstrap only warns then, and the packages come over plain HTTP).
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
NEED_MB=2000 # rootfs (~0.5 GB) and its tar stream into docker; the image lands in docker's own root

if docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "stack image $TAG: present"
  exit 0
fi
if [[ $TAG != paas/* ]]; then
  # Another image named by PAAS_STACK_IMAGE is the user's to pull or build; we only build ours.
  echo "stack image $TAG is missing: pull or build it, or unset PAAS_STACK_IMAGE" >&2
  exit 1
fi
for tool in debootstrap tar; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
[ -r "$KEYRING" ] || { echo "$KEYRING is missing: install debian-archive-keyring" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "building the stack image needs root (debootstrap)" >&2; exit 1; }
free_mb=$(df -Pm /var/tmp | awk 'NR == 2 { print $4 }')
if [ "$free_mb" -lt "$NEED_MB" ]; then
  echo "only ${free_mb} MB free in /var/tmp; building the stack image needs about ${NEED_MB} MB" >&2
  exit 1
fi

rootfs="$(mktemp -d /var/tmp/paas-stack.XXXXXX)"
log="$rootfs.log"
cleanup() {
  # debootstrap mounts /proc and /sys inside the target; an interrupted run can leave them mounted.
  # Unmount first, and never let rm cross into another file system.
  awk -v root="$rootfs/" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
  rm -rf --one-file-system "$rootfs"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$SECONDS
step() { echo "stack image $TAG: $* [$((SECONDS - started))s]"; }
step "debootstrap $SUITE minbase into $rootfs (log: $log)"
# Debootstrap's default mirror: we never name a mirror host.
if ! debootstrap --variant=minbase --keyring="$KEYRING" "$SUITE" "$rootfs" >"$log" 2>&1; then
  cat "$rootfs/debootstrap/debootstrap.log" >>"$log" 2>/dev/null || true
  tail -n 15 "$log" >&2
  if grep -q -e NO_PUBKEY -e 'unknown key' -e 'Invalid Release signature' "$log"; then
    echo "debootstrap of $SUITE failed: $KEYRING lacks $SUITE's keys; upgrade debian-archive-keyring (log: $log)" >&2
  else
    echo "debootstrap of $SUITE failed (log: $log)" >&2
  fi
  exit 1
fi

# The packages go in with the image's own apt, not debootstrap's --include: debootstrap's resolver
# ignores virtual packages (Provides), which leaves npm's dependencies unconfigured.
step "apt-get install ${PACKAGES//,/ } (log: $log)"
in_root() {
  # A clean environment: the host's pip, proxy and CA settings are no business of the image.
  chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@" >>"$log" 2>&1
}
mount -t proc proc "$rootfs/proc"
# No package here ships a daemon, but nothing may start one inside the build either way.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod +x "$rootfs/usr/sbin/policy-rc.d"
IFS=, read -r -a pkgs <<<"$PACKAGES"
if ! in_root apt-get -q update || ! in_root apt-get -q install -y --no-install-recommends "${pkgs[@]}"; then
  tail -n 15 "$log" >&2
  echo "apt-get install in the $SUITE root failed (log: $log)" >&2
  exit 1
fi
umount "$rootfs/proc"
rm -f "$rootfs/usr/sbin/policy-rc.d"

step "trimming apt caches and lists"
# Package lists and downloaded .debs are not needed at run time; a buildpack that needs apt
# runs `apt-get update` itself. resolv.conf is the build host's; docker supplies its own.
in_root apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
  "$rootfs"/var/log/apt/* "$rootfs"/var/log/dpkg.log
rm -f "$rootfs/etc/resolv.conf" && touch "$rootfs/etc/resolv.conf" # rm first: it may be a symlink

step "importing into docker"
tar -C "$rootfs" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "LABEL paas.stack=$SUITE" \
  --change 'WORKDIR /app' \
  - "$TAG" >/dev/null

step "checking the tools in it"
if ! docker run --rm "$TAG" sh -c \
  'echo "  $(python3 --version), node $(node --version), npm $(npm --version), $(git --version)"'; then
  docker image rm "$TAG" >/dev/null 2>&1 || true
  echo "stack image $TAG was built but its tools do not run; removed it" >&2
  exit 1
fi
rm -f "$log"
step "built, $(docker image inspect -f '{{.Size}}' "$TAG" | awk '{ printf "%d MB", $1 / 1e6 }')"
