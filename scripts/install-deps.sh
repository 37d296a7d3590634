#!/usr/bin/env bash
# Install the host packages paas needs, from the distribution's own repositories, if missing.
# Quick no-op when everything is there: presence is read off the files, apt is only asked when
# something is missing (so `make up` stays fast and works with no network once set up).
set -euo pipefail

# package -> a command it provides (looked up on PATH, so another build of the same tool counts:
# Docker CE's dockerd in /usr/bin, a hand-built nginx) or, for data-only packages, a file.
declare -A NEED=(
  [docker.io]=dockerd
  [git]=git
  [debootstrap]=debootstrap
  [chromium]=chromium
  [curl]=curl
  [wrk]=wrk
  # bench/metrics.py counts the router's instructions per request with it (a figure the noise
  # of a shared machine does not move).
  [valgrind]=valgrind
  # Let's Encrypt's test CA and its mock DNS: the HTTPS tests issue and renew against them.
  [pebble]=pebble
  # The swarm scheduler's private image registry and its bcrypt password file.
  [docker-registry]=docker-registry
  [apache2-utils]=htpasswd
  [ca-certificates]=/etc/ssl/certs/ca-certificates.crt
  # debootstrap verifies Debian's Release files with it; Ubuntu hosts lack it by default.
  [debian-archive-keyring]=/usr/share/keyrings/debian-archive-keyring.gpg
)
present() { if [[ $1 == /* ]]; then [ -e "$1" ]; else command -v "$1" >/dev/null; fi; }

missing=()
for pkg in "${!NEED[@]}"; do
  present "${NEED[$pkg]}" || missing+=("$pkg")
done
# Any nginx build serves; which package name carries it is settled below, once apt is fresh.
present nginx || missing+=(nginx)
# `python3 -m venv` needs ensurepip, which Debian ships apart, in python3-venv.
if ! present python3; then
  missing+=(python3 python3-venv)
elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "host packages: present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing host packages (${missing[*]}): run as root, or install them first" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "missing host packages (${missing[*]}) and no apt-get: install them by hand" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# A fresh cloud machine often runs unattended-upgrades at boot: wait for its lock, don't fail.
APT=(apt-get -q -o DPkg::Lock::Timeout=300)
echo "host packages: installing ${missing[*]}"
"${APT[@]}" update
if [[ " ${missing[*]} " == *" nginx "* ]]; then
  # Bookworm and Ubuntu split nginx into flavours (nginx-light is the small one); trixie and
  # later ship a single "nginx" package and no nginx-light.
  if apt-cache show nginx-light 2>/dev/null | grep -q '^Version:'; then
    missing=("${missing[@]/#nginx/nginx-light}")
  fi
fi
"${APT[@]}" install -y --no-install-recommends "${missing[@]}"

# Debian starts the distribution's nginx on install (port 80); paas runs its own nginx, so stop
# the one we just brought in and keep it from coming back at boot.
if [[ " ${missing[*]} " == *" nginx"* ]]; then
  if [ -d /run/systemd/system ]; then
    systemctl disable --now nginx >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/nginx ]; then
    /etc/init.d/nginx stop >/dev/null 2>&1 || true
  fi
fi
echo "host packages: installed"
