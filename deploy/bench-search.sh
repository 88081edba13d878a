#!/usr/bin/env bash
# Prefix reuse in the path search: the same search (same examples, seeds, simulations) with reuse and without, on the
# demo model; prints each run's summary and the ratios. The searches are identical apart from the cost, since reuse is
# bit-exact; the summaries' label statistics show it. The first WARMUP examples of each run are searched but not
# measured: they pay for the JIT (tier-0 code), the same in both runs, which would hide the difference on 20 examples.
# A 20-example search lasts about a second, so one pair of runs on a shared machine swings widely: the pair runs
# REPEATS times, alternating (reuse, none, reuse, none, …), and the speed-up reported is the median of the pairs' ratios
# (each pair's is printed too). (The lines' cpu_seconds are not used: the process's CPU time ran above its wall time in
# the runs without reuse, for reasons not understood, so it is no cleaner a measure here.)
# Usage: deploy/bench-search.sh [TASK] [N]   (default: arith 20; environment MODEL, SIMULATIONS (50), THREADS (1),
#        WARMUP (5), REPEATS (5), SESSIONS (default: the search's own, sized by memory))
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
task="${1:-arith}"; n="${2:-20}"
model="${MODEL:-models/drllm-demo}"; sims="${SIMULATIONS:-50}"; threads="${THREADS:-1}"; warmup="${WARMUP:-5}"
repeats="${REPEATS:-5}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bash deploy/install-deps.sh
pool=(); [ -n "${SESSIONS:-}" ] && pool=(--sessions "$SESSIONS")
for rep in $(seq 1 "$repeats"); do
  for mode in reuse none; do
    extra=(); [ "$mode" = none ] && extra=(--no-prefix-reuse)
    ./drllm search --model "$model" --task "$task" --split train --n $((n + warmup)) --simulations "$sims" --threads "$threads" \
      --out "$tmp/$mode-$rep.jsonl" "${pool[@]}" "${extra[@]}" 2>/dev/null
    [ "$rep" = 1 ] && echo "$mode (all $((n + warmup)) examples): $(cat "$tmp/$mode-$rep.jsonl.summary.json")"
  done
done
python3 - "$tmp" "$warmup" "$n" "$repeats" <<'PY'
import json, statistics, sys
tmp, warmup, n, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def measure(mode, rep):
    rows = [json.loads(l) for l in open(f"{tmp}/{mode}-{rep}.jsonl")][warmup:]
    sims = sum(r["simulations"] for r in rows)
    return sum(r["block_runs"] for r in rows) / sims, sum(r["wall_seconds"] for r in rows), sims
pairs = [(measure("reuse", k), measure("none", k)) for k in range(1, repeats + 1)]
(br, _, sims), (bn, _, _) = pairs[0]
assert all(p[0][0] == br and p[1][0] == bn for p in pairs), "block counts differ between repeats"
ratios = [n[1] / r[1] for r, n in pairs]
print(json.dumps({"measured_examples": n, "warmup_examples": warmup, "simulations": sims,
                  "block_runs_per_simulation": [round(br, 2), round(bn, 2)], "fewer_block_runs": round(1 - br / bn, 3),
                  "search_seconds_median": [round(statistics.median(p[0][1] for p in pairs), 2), round(statistics.median(p[1][1] for p in pairs), 2)],
                  "speedup_per_pair": [round(r, 2) for r in ratios], "speedup_median": round(statistics.median(ratios), 2)}))
PY
