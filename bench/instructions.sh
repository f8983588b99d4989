#!/usr/bin/env bash
# Instructions per request on the hot path (a valid cached token), counted by callgrind: bare axios,
# the floor (a minimal sync header interceptor and an identity response interceptor) and the plugin,
# each as the difference between 2 000 and 22 000 requests, so start-up cancels out. Run from a
# built checkout; needs valgrind (a Debian package).
#
# Node's background threads (compiler, GC) make identical runs differ by up to ±250 000 instructions
# per request; these flags keep V8 on one thread with a fixed GC schedule and ASLR off, which leaves
# about ±9 000 that only ever adds (a run is either at the floor or above it). So each variant runs
# REPS times (default 3) and the least count is reported. VARIANTS="bare floor plugin plugin-otel"
# adds the plugin with the OpenTelemetry SDK subscribed (axios-token-flight/otel).
set -euo pipefail
cd "$(dirname "$0")/.."
FLAGS=(--predictable --single-threaded --predictable-gc-schedule --no-memory-reducer)
count() {
  V=$1 N=$2 setarch "$(uname -m)" -R valgrind --tool=callgrind --callgrind-out-file=/dev/null node "${FLAGS[@]}" bench/instructions-worker.mjs 2>&1 |
    grep -o 'Collected : [0-9]*' | awk '{print $3}'
}
declare -A least
for rep in $(seq 1 "${REPS:-3}"); do
  line="run $rep:"
  for variant in ${VARIANTS:-bare floor plugin}; do
    small=$(count "$variant" 2000)
    large=$(count "$variant" 22000)
    per=$(((large - small) / 20000))
    line="$line $variant $per"
    if [[ -z "${least[$variant]:-}" || $per -lt ${least[$variant]} ]]; then least[$variant]=$per; fi
  done
  echo "$line"
done
if [[ -n "${least[plugin-otel]:-}" ]]; then echo "least: plugin with OpenTelemetry subscribed ${least[plugin-otel]}"; fi
if [[ -z "${least[bare]:-}" || -z "${least[floor]:-}" || -z "${least[plugin]:-}" ]]; then exit 0; fi
floor_adds=$((least[floor] - least[bare]))
plugin_adds=$((least[plugin] - least[bare]))
echo "least: bare ${least[bare]}, floor ${least[floor]} (+$floor_adds), plugin ${least[plugin]} (+$plugin_adds)"
awk -v p="${least[plugin]}" -v f="${least[floor]}" -v pa="$plugin_adds" -v fa="$floor_adds" \
  'BEGIN { printf "plugin / floor per request: %.2f; what the plugin adds / what the floor adds: %.2f\n", p / f, pa / fa }'
