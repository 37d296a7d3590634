#!/usr/bin/env bash
# Make sure a Docker daemon answers: start Debian's dockerd in the background if none does.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  echo "docker daemon: running"
  exit 0
fi
if ! command -v dockerd >/dev/null; then
  echo "no docker daemon answers and dockerd is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
log=/var/log/paas-dockerd.log
echo "docker daemon: starting dockerd (log: $log)"
# setsid + nohup: the daemon must outlive the make/CI shell that started it.
setsid nohup dockerd >"$log" 2>&1 < /dev/null &
for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then
    echo "docker daemon: running"
    exit 0
  fi
  sleep 0.5
done
tail -n 20 "$log" >&2
echo "dockerd did not answer within 60s (log: $log)" >&2
exit 1
