#!/usr/bin/env bash
# Build the stack image (base of every build and app container) unless it exists:
# Debian trixie minbase via debootstrap, imported with `docker import`. No registry is needed.
set -euo pipefail

TAG="${1:-${PAAS_STACK_IMAGE:-paas/stack:trixie}}"
SUITE=trixie
# Kept small on purpose: it is built on every new machine (and in CI). Buildpacks add the rest.
PACKAGES=python3,python3-venv,python3-pip,nodejs,ca-certificates,procps,curl

if docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "stack image $TAG: present"
  exit 0
fi
if [ "$TAG" != "paas/stack:$SUITE" ]; then
  # A user-chosen image is theirs to provide; we only build our own.
  echo "stack image $TAG is missing: pull or build it, or unset PAAS_STACK_IMAGE" >&2
  exit 1
fi

rootfs="$(mktemp -d /var/tmp/paas-stack.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
started=$SECONDS
echo "stack image $TAG: building with debootstrap ($SUITE, minbase); this takes a few minutes"
log=/var/tmp/paas-stack-debootstrap.log
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" >"$log" 2>&1 || {
  cat "$rootfs/debootstrap/debootstrap.log" >>"$log" 2>/dev/null || true
  tail -n 20 "$log" >&2
  echo "debootstrap of $SUITE failed (full log: $log)" >&2
  exit 1
}
# Keep the image small: package lists and caches are not needed at run time.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "LABEL paas.stack=$SUITE" \
  --change 'WORKDIR /app' \
  - "$TAG" >/dev/null
echo "stack image $TAG: built in $((SECONDS - started))s"
docker run --rm "$TAG" sh -c 'python3 --version && node --version'
