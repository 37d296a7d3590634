#!/usr/bin/env bash
# Install the host packages paas needs, from the distribution's own repositories, if missing.
# Quick no-op when everything is there.
set -euo pipefail

# package -> a file it installs (how we tell it is present without asking apt)
declare -A NEED=(
  [docker.io]=/usr/sbin/dockerd
  [nginx-light]=/usr/sbin/nginx
  [git]=/usr/bin/git
  [debootstrap]=/usr/sbin/debootstrap
  [chromium]=/usr/bin/chromium
  [curl]=/usr/bin/curl
  [wrk]=/usr/bin/wrk
  [ca-certificates]=/etc/ssl/certs/ca-certificates.crt
)
missing=()
for pkg in "${!NEED[@]}"; do
  [ -e "${NEED[$pkg]}" ] || missing+=("$pkg")
done
# A nginx other than nginx-light (nginx, nginx-full, ...) serves as well.
if [[ " ${missing[*]} " == *" nginx-light "* ]] && command -v nginx >/dev/null; then
  missing=("${missing[@]/nginx-light}")
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=("python3-venv")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' | sort -u || true))
if [ ${#missing[@]} -eq 0 ]; then
  echo "host packages: present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages (${missing[*]}): run as root, or install them first" >&2
  exit 1
fi
echo "host packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian starts the system nginx on install; paas runs its own, so free port 80 again.
if systemctl is-active --quiet nginx 2>/dev/null; then systemctl stop nginx || true; fi
