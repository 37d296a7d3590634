"""The script a build container runs, and the parsing of what it leaves behind. Pure.

The script detects the first matching buildpack in the documented order, runs its
`bin/compile BUILD_DIR CACHE_DIR ENV_DIR`, then `bin/release`, and leaves the buildpack name,
the release YAML and the Procfile in RESULT_DIR (a bind mount) for the builder to read back.
"""
from __future__ import annotations

import shlex

import yaml

from paas.domain.procfile import parse_procfile
from paas.errors import InvalidInput

RESULT_DIR = "/tmp/paas"

_SCRIPT = """\
set -uo pipefail
echo "-----> Building on the {stack} stack"
selected=""
for bp in {order}; do
  if /buildpacks/"$bp"/bin/detect /app >/dev/null 2>&1; then selected="$bp"; break; fi
done
if [ -z "$selected" ]; then
  echo " !     No buildpack matched this app (tried: {tried})."
  echo " !     No default language could be detected for this app."
  exit 1
fi
echo "$selected" > {result}/buildpack
echo "-----> Using buildpack: $selected"
/buildpacks/"$selected"/bin/compile /app /cache /env
status=$?
if [ "$status" -ne 0 ]; then
  echo " !     Build failed: the $selected buildpack's compile step exited with status $status"
  exit "$status"
fi
if ! /buildpacks/"$selected"/bin/release /app > {result}/release.yml; then
  echo " !     Build failed: the $selected buildpack's release step failed"
  exit 1
fi
if [ -f /app/Procfile ]; then cp /app/Procfile {result}/Procfile; fi
if [ -f /app/app.json ]; then cp /app/app.json {result}/app.json; fi
"""


def build_script(buildpacks: list[str], stack: str = "trixie") -> str:
    return _SCRIPT.format(
        result=RESULT_DIR,
        stack=stack,
        order=" ".join(shlex.quote(b) for b in buildpacks),
        tried=", ".join(buildpacks),
    )


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
