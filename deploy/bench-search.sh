#!/usr/bin/env bash
# Prefix reuse in the path search: the same search (same examples, seeds, simulations) with reuse and without, on the
# demo model; prints each run's summary and the ratios. The searches are identical apart from the cost, since reuse is
# bit-exact; the summaries' label statistics show it.
# Usage: deploy/bench-search.sh [TASK] [N]   (default: arith 20; environment MODEL, SIMULATIONS (50), THREADS (2))
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
task="${1:-arith}"; n="${2:-20}"
model="${MODEL:-models/drllm-demo}"; sims="${SIMULATIONS:-50}"; threads="${THREADS:-2}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bash deploy/install-deps.sh
for mode in reuse none; do
  extra=(); [ "$mode" = none ] && extra=(--no-prefix-reuse)
  ./drllm search --model "$model" --task "$task" --split train --n "$n" --simulations "$sims" --threads "$threads" \
    --out "$tmp/$mode.jsonl" "${extra[@]}" 2>/dev/null
  echo "$mode: $(cat "$tmp/$mode.jsonl.summary.json")"
done
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$tmp/$2.jsonl.summary.json"; }
awk -v rr="$(field block_runs_per_simulation reuse)" -v rn="$(field block_runs_per_simulation none)" \
    -v tr="$(field search_seconds reuse)" -v tn="$(field search_seconds none)" \
  'BEGIN { printf "{\"block_runs_per_simulation\":[%s,%s],\"fewer_block_runs\":%.3f,\"search_seconds\":[%s,%s],\"speedup\":%.2f}\n", rr, rn, 1 - rr/rn, tr, tn, tn/tr }'
