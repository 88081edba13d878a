#!/usr/bin/env bash
# Prefix reuse in the path search: the same search (same examples, seeds, simulations) with reuse and without, on the
# demo model; prints each run's summary and the ratios. The searches are identical apart from the cost, since reuse is
# bit-exact; the summaries' label statistics show it. The first WARMUP examples of each run are searched but not
# measured: they pay for the JIT (tier-0 code), the same in both runs, which would hide the difference on 20 examples.
# Usage: deploy/bench-search.sh [TASK] [N]   (default: arith 20; environment MODEL, SIMULATIONS (50), THREADS (1),
#        WARMUP (5))
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
task="${1:-arith}"; n="${2:-20}"
model="${MODEL:-models/drllm-demo}"; sims="${SIMULATIONS:-50}"; threads="${THREADS:-1}"; warmup="${WARMUP:-5}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bash deploy/install-deps.sh
for mode in reuse none; do
  extra=(); [ "$mode" = none ] && extra=(--no-prefix-reuse)
  ./drllm search --model "$model" --task "$task" --split train --n $((n + warmup)) --simulations "$sims" --threads "$threads" \
    --out "$tmp/$mode.jsonl" "${extra[@]}" 2>/dev/null
  echo "$mode (all $((n + warmup)) examples): $(cat "$tmp/$mode.jsonl.summary.json")"
done
python3 - "$tmp" "$warmup" "$n" <<'PY'
import json, sys
tmp, warmup, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def measure(mode):
    rows = [json.loads(l) for l in open(f"{tmp}/{mode}.jsonl")][warmup:]
    sims = sum(r["simulations"] for r in rows)
    return sum(r["block_runs"] for r in rows) / sims, sum(r["wall_seconds"] for r in rows), sims
(br, tr, sims), (bn, tn, _) = measure("reuse"), measure("none")
print(json.dumps({"measured_examples": n, "warmup_examples": warmup, "simulations": sims,
                  "block_runs_per_simulation": [round(br, 2), round(bn, 2)], "fewer_block_runs": round(1 - br / bn, 3),
                  "search_seconds": [round(tr, 2), round(tn, 2)], "speedup": round(tn / tr, 2)}))
PY
