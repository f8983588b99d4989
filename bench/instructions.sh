#!/usr/bin/env bash
# Instructions per request on the hot path (a valid cached token), counted by callgrind: bare axios,
# the floor (a minimal sync header interceptor) and the plugin, each as the difference between
# 2 000 and 22 000 requests, so start-up cancels out. Run from a built checkout; needs valgrind.
# `node --predictable` keeps V8's compiler and GC on one thread: without it, background threads make
# identical runs differ by ±250 000 instructions per request; with it, by about ±5 000.
set -euo pipefail
cd "$(dirname "$0")/.."
count() { V=$1 N=$2 valgrind --tool=callgrind --callgrind-out-file=/dev/null node --predictable bench/instructions-worker.mjs 2>&1 | grep -o 'Collected : [0-9]*' | awk '{print $3}'; }
for rep in $(seq 1 "${REPS:-2}"); do
  line="run $rep:"
  for variant in bare floor plugin; do
    small=$(count "$variant" 2000); large=$(count "$variant" 22000)
    line="$line $variant $(( (large - small) / 20000 ))"
  done
  echo "$line"
done
