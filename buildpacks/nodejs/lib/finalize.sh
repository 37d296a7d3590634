#!/usr/bin/env bash
# .heroku/finalize.d/nodejs APP_DIR ENV_DIR: the app's build script, left here by the nodejs
# buildpack because package.json has one. It depends on the code, not on the dependency inputs,
# so paas runs it after compile and again on every build that reuses the dependency layer, with
# that build's code; what it writes must lie outside .heroku, .profile.d and node_modules (the
# dependency layer), where such writes are dropped on a code-only push.
set -uo pipefail
app_dir="$1"
env_dir="${2:-}"

# Config vars reach the build as files in ENV_DIR; a few would break the build if exported.
if [ -n "$env_dir" ] && [ -d "$env_dir" ]; then
  for file in "$env_dir"/*; do
    [ -f "$file" ] || continue
    key="$(basename "$file")"
    case "$key" in
      PATH|GIT_DIR|CPATH|CPPATH|LD_PRELOAD|LIBRARY_PATH|LD_LIBRARY_PATH) continue ;;
    esac
    export "$key=$(cat "$file")"
  done
fi
# npx downloads land in a throwaway cache, not in the app's code layer (HOME is /app).
export npm_config_cache="${TMPDIR:-/tmp}/npm-cache" npm_config_update_notifier=false npm_config_fund=false

cd "$app_dir"
echo "-----> Running the build script (npm run build)"
npm run build 2>&1 | sed -u -e '/^[[:space:]]*$/d' -e 's/^/       /'
status="${PIPESTATUS[0]}"
if [ "$status" -ne 0 ]; then
  echo " !     The build script failed (npm run build exited with status $status); see its output above."
  exit 1
fi
