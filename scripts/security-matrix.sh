#!/usr/bin/env bash
# Runs the security suite against the newest patch of every axios minor in the peer range, plus
# the versions at behaviour boundaries (1.6.0 oldest; 1.8.1 / 1.8.2 where allowAbsoluteUrls
# arrived). URL resolution, allowAbsoluteUrls, redirects and adapters differ between minors, so
# each is tested, not only the ones we expect to differ. Each is installed side by side as an
# `axios-<version>` dev dependency and swapped in by jest.config.ts; the locked (latest) axios runs
# with `npm test`. Two versions run at a time (one jest worker each), to use both cores.
set -euo pipefail
cd "$(dirname "$0")/.."
versions=(1.6.0 1.6.8 1.7.9 1.8.1 1.8.2 1.8.4 1.9.0 1.10.0 1.11.0 1.12.2 1.13.6 1.14.0 1.15.2 1.16.1 1.17.0 1.18.1 1.19.0 1.20.0)
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

run() {
  local version="$1"
  if AXIOS_UNDER_TEST="$version" npx jest __tests__/security/ --silent --maxWorkers=1 >"$logs/$version.log" 2>&1; then
    echo "== security suite — axios ${version}: $(grep -E '^Tests:' "$logs/$version.log")"
  else
    echo "== security suite — axios ${version}: FAILED"
    cat "$logs/$version.log"
    return 1
  fi
}

failed=0
for ((i = 0; i < ${#versions[@]}; i += 2)); do
  pids=()
  for version in "${versions[@]:i:2}"; do
    run "$version" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
done
exit "$failed"
