#!/usr/bin/env bash
# Cluster scaling benchmark: the same stand-in sweep on 1 node and on 3 nodes (one private PostgreSQL), reporting
# search throughput (simulations/s), the ratio 3 nodes / 1 node, and the orchestration overhead per simulation.
# The stand-in model host sleeps a fixed latency per path evaluation (a forward pass on a GPU node), so the 2 cores
# are not what limits throughput; everything else a simulation costs is the cluster's (grain dispatch, PostgreSQL, checkpoints).
# DRLLM_DLL=path/to/drllm.dll runs another build (e.g. the Quartz-era one, for a side-by-side row).
#   deploy/bench-cluster.sh [TREES] [SIMS] [LATENCY_MS] [CONCURRENCY]     defaults: 96 25 20 4
# overhead/sim (jobs)  = Σ over search trees (their run's wall time − time inside path evaluations) / Σ simulations
# overhead/sim (slots) = (search wall time × slots − Σ time inside path evaluations) / Σ simulations  (adds idle slots, stragglers)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
trees="${1:-96}"; sims="${2:-25}"; latency="${3:-20}"; conc="${4:-4}"
dotnet build src/DrLlm.Cli -c Release -v q -nologo >/dev/null
drllm=(dotnet "${DRLLM_DLL:-$repo/src/DrLlm.Cli/bin/Release/net10.0/drllm.dll}")
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
dir="$(mktemp -d /tmp/drllm-bench-XXXXXX)"
export PGPORT="${PGPORT:-55471}"
base="$(bash deploy/postgres.sh start "$dir")"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; bash deploy/postgres.sh stop "$dir"; rm -rf "$dir"; }
trap cleanup EXIT
spec="$dir/spec.yaml"
cat >"$spec" <<YAML
name: bench
models: [standin]
tasks:
  - name: arith
    search: {split: train, n: $trees}
    eval: {split: test, n: 8}
search: {simulations: $sims, checkpoint_every: 5, early_stop_on_fix: false, early_stop_saved_steps: 0}
router: {epochs: 2, hidden: 16}
YAML
declare -A thr
for n in 1 3; do
  "$bin/createdb" -h 127.0.0.1 -p "$PGPORT" -U drllm "bench$n"
  cs="${base/Database=drllm/Database=bench$n}"
  pids=()
  for i in $(seq 1 "$n"); do
    "${drllm[@]}" node --db "$cs" --models "standin=standin:latency=${latency}ms,blocks=8" --concurrency "$conc" --id "n$i" --threads 1 2>"$dir/node$n-$i.log" &
    pids+=($!)
  done
  # launch once every node is up and its model loaded (node start-up is not what is measured)
  for _ in $(seq 1 120); do
    # a silo counts once it is an active cluster member (v_silos); a build without v_silos once its model is loaded
    up=$("$bin/psql" -h 127.0.0.1 -p "$PGPORT" -U drllm -d "bench$n" -tAc "select case when to_regclass('v_silos') is null
        then (select count(*) from model_hosts where status = 'ready') else (select count(*) from v_silos where status = 'active') end" 2>/dev/null || echo 0)
    [ "${up:-0}" -ge "$n" ] && break; sleep 0.5
  done
  sleep 2
  "${drllm[@]}" sweep launch "$spec" --db "$cs" --wait >/dev/null 2>"$dir/launch$n.log" || { cat "$dir/launch$n.log"; exit 1; }
  q() { "$bin/psql" -h 127.0.0.1 -p "$PGPORT" -U drllm -d "bench$n" -tAc "$1"; }
  read -r wall total evals jobover <<<"$(q "select extract(epoch from max(t.finished_at) - min(t.finished_at - make_interval(secs => t.job_seconds))),
        sum(t.simulations), sum(t.eval_seconds), sum(t.job_seconds - t.eval_seconds) from search_trees t" | tr '|' ' ')"
  slots=$((n * conc))
  thr[$n]=$(python3 -c "print(f'{$total/$wall:.1f}')")
  python3 - "$n" "$slots" "$wall" "$total" "$evals" "$jobover" "$latency" <<'PY'
import sys
n, slots, wall, total, evals, jobover, lat = sys.argv[1:]
n, slots, wall, total, evals, jobover, lat = int(n), int(slots), float(wall), int(total), float(evals), float(jobover), float(lat)
print(f"{n} node(s), {slots} slots: {total} simulations in {wall:.2f} s = {total/wall:.1f} sim/s "
      f"(ideal {slots*1000/lat:.1f}); overhead/sim: jobs {jobover/total*1000:.2f} ms, slots {(wall*slots-evals)/total*1000:.2f} ms")
PY
  for p in "${pids[@]}"; do kill -TERM "$p"; done
  wait "${pids[@]}" 2>/dev/null || true
done
python3 -c "print(f'3 nodes / 1 node: {${thr[3]}/${thr[1]}:.2f}x (target >= 2.7x)')"
