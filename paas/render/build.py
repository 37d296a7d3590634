"""The script a build container runs, and the parsing of what it leaves behind. Pure.

The script takes the buildpacks listed in `.buildpacks`, else the first one whose `bin/detect`
matches in the documented order; runs each one's `bin/compile BUILD_DIR CACHE_DIR ENV_DIR`
(sourcing what earlier ones exported), then the last one's `bin/release`, and leaves the
buildpack names and the release YAML in RESULT_DIR (a volume of the build container) for the
builder to read through the Docker API: never a host path, since the build's code can write there.
"""
from __future__ import annotations

import shlex

import yaml

from paas.domain.procfile import parse_procfile
from paas.errors import InvalidInput

RESULT_DIR = "/paas-results"
ENV_DIR = "/env"
# Directories a build writes: volumes of the build container (its root file system is read-only),
# owned by the build's unprivileged user in the build base image so that the volumes are too.
BUILD_DIRS = ("app", "cache", RESULT_DIR.lstrip("/"))
# ENV_DIR is root's: the build reads the config there (files of its own user, 0400) but cannot
# add or replace entries that the next buildpack would read.
ROOT_DIRS = (ENV_DIR.lstrip("/"),)

_SCRIPT = """\
set -uo pipefail
known="{tried}"
selected=""
if [ -f /app/.buildpacks ]; then
  while IFS= read -r entry || [ -n "$entry" ]; do
    entry="${{entry%%#*}}"
    entry="$(printf '%s' "$entry" | tr -d '[:space:]')"
    [ -n "$entry" ] || continue
    case "$entry" in
      *://*|git@*)
        echo " !     .buildpacks: $entry cannot be fetched here; use buildpacks paas has: $known"
        exit 1 ;;
    esac
    entry="${{entry##*/}}"
    if [ ! -x /buildpacks/"$entry"/bin/compile ]; then
      echo " !     .buildpacks: unknown buildpack '$entry'; use one of: $known"
      exit 1
    fi
    selected="$selected $entry"
  done < /app/.buildpacks
  if [ -z "$selected" ]; then echo " !     .buildpacks names no buildpack"; exit 1; fi
  echo "-----> Using buildpacks from .buildpacks:$selected"
else
  for bp in {order}; do
    if /buildpacks/"$bp"/bin/detect /app >/dev/null 2>&1; then selected="$bp"; break; fi
  done
  if [ -z "$selected" ]; then
    echo " !     No buildpack matched this app (tried: $known)."
    echo " !     Add a requirements.txt (Python), a package.json (Node.js), an index.html (static site),"
    echo " !     a Procfile, or a Dockerfile to build the app with docker build."
    exit 1
  fi
  echo "-----> Using buildpack: $selected"
fi
# Each buildpack may append `export NAME=value` lines to $BUILDPACK_EXPORT for the next ones.
export BUILDPACK_EXPORT=/tmp/buildpack-export
: > "$BUILDPACK_EXPORT"
last=""
for bp in $selected; do
  . "$BUILDPACK_EXPORT"
  /buildpacks/"$bp"/bin/compile /app /cache /env
  status=$?
  if [ "$status" -ne 0 ]; then
    echo " !     Build failed: the $bp buildpack's compile step exited with status $status"
    exit "$status"
  fi
  last="$bp"
done
echo $selected | tr ' ' ',' > {result}/buildpack
if ! /buildpacks/"$last"/bin/release /app > {result}/release.yml; then
  echo " !     Build failed: the $last buildpack's release step failed"
  exit 1
fi
"""

# Steps that depend on the code rather than on the dependency inputs (`npm run build`, Django's
# collectstatic): buildpacks leave them in .heroku/finalize.d during compile, and they run after
# compile and again on every build that reuses the dependency layer, with that build's code.
_FINALIZE = """set -uo pipefail
ls /app/.heroku/finalize.d 2>/dev/null | tr '\\n' ' ' > {result}/finalize
for step in /app/.heroku/finalize.d/*; do
  [ -x "$step" ] || continue
  (
    for f in /app/.profile.d/*.sh; do [ -r "$f" ] && . "$f"; done
    cd /app && "$step" /app /env
  )
  status=$?
  if [ "$status" -ne 0 ]; then
    echo " !     Build failed: the ${{step##*/}} finalize step exited with status $status"
    exit "$status"
  fi
done
"""


def build_script(buildpacks: list[str], stack: str = "trixie") -> str:
    """Detect or read .buildpacks, compile, release, then the finalize steps."""
    compile_ = _SCRIPT.format(
        result=RESULT_DIR,
        stack=stack,
        order=" ".join(shlex.quote(b) for b in buildpacks),
        tried=", ".join(buildpacks),
    )
    return compile_ + "\n" + finalize_script()


def finalize_script() -> str:
    """Only the finalize steps: for a build whose dependency layer is reused."""
    return _FINALIZE.format(result=RESULT_DIR)


def process_types(procfile_text: str | None, release_yaml: str | None) -> dict[str, str]:
    """Procfile entries win over the buildpack's `default_process_types`, as on Heroku."""
    defaults: dict[str, str] = {}
    if release_yaml:
        try:
            data = yaml.safe_load(release_yaml) or {}
        except yaml.YAMLError as exc:
            raise InvalidInput(f"the buildpack's bin/release printed invalid YAML: {exc}") from None
        found = data.get("default_process_types") if isinstance(data, dict) else None
        if isinstance(found, dict):
            defaults = {str(k): str(v) for k, v in found.items()}
    processes = dict(defaults)
    if procfile_text is not None:
        processes.update(parse_procfile(procfile_text))
    return processes
