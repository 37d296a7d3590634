#!/usr/bin/env bash
# Make sure a Docker daemon answers. If none does, start one: through systemd where it runs the
# machine, else Debian's dockerd by hand in the background. Does nothing when one already answers.
#   PAAS_DOCKERD_LOG   where a hand-started dockerd logs (default /var/log/paas-dockerd.log)
#   PAAS_DOCKERD_ARGS  extra dockerd flags, split on spaces (e.g. a second daemon's --host,
#                      --data-root, --exec-root, --pidfile; point DOCKER_HOST at it as well)
set -euo pipefail

WAIT=60
log="${PAAS_DOCKERD_LOG:-/var/log/paas-dockerd.log}"
read -r -a extra <<<"${PAAS_DOCKERD_ARGS:-}"

answers() { docker info >/dev/null 2>&1; }

if ! command -v docker >/dev/null; then
  echo "the docker client is not installed (scripts/install-deps.sh installs docker.io)" >&2
  exit 1
fi
if answers; then
  echo "docker daemon: running"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "no docker daemon answers (docker info); starting one needs root" >&2
  exit 1
fi

pid=""
if [ ${#extra[@]} -eq 0 ] && [ -d /run/systemd/system ] && systemctl cat docker.service >/dev/null 2>&1; then
  # systemd owns the daemon here: a hand-started one would fight docker.socket for the socket.
  echo "docker daemon: starting docker.service"
  systemctl start docker.service
else
  if ! command -v dockerd >/dev/null; then
    echo "no docker daemon answers and dockerd is not installed (scripts/install-deps.sh installs it)" >&2
    exit 1
  fi
  echo "docker daemon: starting dockerd (log: $log)"
  # setsid + nohup, stdin closed: the daemon must outlive the make/CI shell that started it.
  setsid nohup dockerd "${extra[@]}" >>"$log" 2>&1 </dev/null &
  pid=$!
fi

for _ in $(seq 1 $((WAIT * 2))); do
  if answers; then
    echo "docker daemon: running"
    exit 0
  fi
  # A daemon that died (bad flag, pid file of another one, no cgroups) will not answer: say so now.
  if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
    tail -n 5 "$log" >&2
    echo "dockerd exited at start (log: $log)" >&2
    exit 1
  fi
  sleep 0.5
done
if [ -n "$pid" ]; then
  tail -n 10 "$log" >&2
  echo "dockerd did not answer within ${WAIT}s (log: $log)" >&2
else
  echo "docker.service did not answer within ${WAIT}s (see: journalctl -u docker)" >&2
fi
exit 1
