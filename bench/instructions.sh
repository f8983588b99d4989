#!/usr/bin/env bash
# Instructions per request on the hot path (a valid cached token), counted by callgrind: bare axios,
# the floor (a minimal sync header interceptor and an identity response interceptor) and the plugin,
# each as the difference between 2 000 and 22 000 requests, so start-up cancels out. Run from a
# built checkout; needs valgrind (a Debian package).
#
# Node's background threads (compiler, GC) make identical runs differ by up to ±250 000 instructions
# per request; these flags keep V8 on one thread with a fixed GC schedule and ASLR off. What is left:
# a run lands in one of two modes about 9 000 apart, for any variant, so the least of a few runs can
# compare one variant's low mode with another's high one. Each variant runs REPS times (default 3)
# and the median is reported. VARIANTS="bare floor plugin plugin-otel"
# adds the plugin with the OpenTelemetry SDK subscribed (axios-token-flight/otel).
set -euo pipefail
cd "$(dirname "$0")/.."
FLAGS=(--predictable --single-threaded --predictable-gc-schedule --no-memory-reducer)
count() {
  V=$1 N=$2 setarch "$(uname -m)" -R valgrind --tool=callgrind --callgrind-out-file=/dev/null node "${FLAGS[@]}" bench/instructions-worker.mjs 2>&1 |
    grep -o 'Collected : [0-9]*' | awk '{print $3}'
}
declare -A runs
for rep in $(seq 1 "${REPS:-3}"); do
  line="run $rep:"
  for variant in ${VARIANTS:-bare floor plugin}; do
    small=$(count "$variant" 2000)
    large=$(count "$variant" 22000)
    per=$(((large - small) / 20000))
    line="$line $variant $per"
    runs[$variant]="${runs[$variant]:-} $per"
  done
  echo "$line"
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
declare -A mid
for variant in ${VARIANTS:-bare floor plugin}; do mid[$variant]=$(median "${runs[$variant]}"); done
if [[ -n "${mid[plugin-otel]:-}" ]]; then echo "median: plugin with OpenTelemetry subscribed ${mid[plugin-otel]}"; fi
if [[ -z "${mid[bare]:-}" || -z "${mid[floor]:-}" || -z "${mid[plugin]:-}" ]]; then exit 0; fi
floor_adds=$((mid[floor] - mid[bare]))
plugin_adds=$((mid[plugin] - mid[bare]))
echo "median: bare ${mid[bare]}, floor ${mid[floor]} (+$floor_adds), plugin ${mid[plugin]} (+$plugin_adds)"
awk -v p="${mid[plugin]}" -v f="${mid[floor]}" -v pa="$plugin_adds" -v fa="$floor_adds" \
  'BEGIN { printf "plugin / floor per request: %.2f; what the plugin adds / what the floor adds: %.2f\n", p / f, pa / fa }'
