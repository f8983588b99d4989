#!/usr/bin/env bash
# Runs the security suite against every axios version whose behaviour differs (URL resolution,
# allowAbsoluteUrls, redirects, adapters), each installed side by side as an `axios-<version>` dev
# dependency and swapped in by jest.config.ts. The locked (latest) axios runs with `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
for version in 1.6.0 1.7.9 1.8.1 1.20.0; do
  echo "== security suite — axios ${version}"
  AXIOS_UNDER_TEST="$version" npx jest __tests__/security- --silent
done
