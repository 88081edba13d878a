#!/usr/bin/env bash
# The main job: the whole Dr.LLM loop on a local cluster. A private PostgreSQL under the repository, one silo hosting
# models/drllm-demo, the dashboard on 127.0.0.1, and the demo sweep: both in-domain families (arith, mcq) searched
# with MCTS and trained on, each experiment's routers evaluated on its held-out split and out of domain (ood-count,
# ood-order). Progress per stage while it runs, then the Table-3-shaped result from the views, a report under
# artifacts/demo/, the dashboard's address and SQL to try. Interrupted (Ctrl-C, kill) and run again, it resumes the
# same sweep where it stopped. Run `deploy/demo.sh --help` for the options.
set -euo pipefail
caller="$PWD"
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

usage() {
  cat <<'EOF'
usage: deploy/demo.sh [--size tiny|small|full] [--dashboard-port N] [--db-dir DIR] [--out DIR] [--fresh] [--no-wait]

  --size S            how much to search, train and evaluate (default full):
                        full   300 searched + 200 test items per in-domain family, 200 per out-of-domain family,
                               50 simulations, 25 router epochs (3.5 min on 2 cores)
                        small  40 searched + 40 test items, 40 out of domain, 30 simulations, 10 epochs (~1 min)
                        tiny   8 searched + 4 test items, 4 out of domain, 12 simulations, 2 epochs (tests)
  --dashboard-port N  the dashboard's port on 127.0.0.1 (default 5080; 0 picks a free one)
  --db-dir DIR        the private PostgreSQL's directory (default .cache/demo-pg); its port is chosen free on the first
                      run and kept there, so a second run reuses the database and resumes the sweep
  --out DIR           where the report and the logs go (default artifacts/demo)
  --fresh             start over: delete the demo database first (otherwise it is kept and the sweep resumed)
  --no-wait           exit 0 after the report instead of keeping the dashboard up (the default without a terminal)
  --help              this text
EOF
}

size=full; dash_port=5080; db_dir="$repo/.cache/demo-pg"; out="$repo/artifacts/demo"; fresh=0; wait_up=1
[ -t 0 ] && [ -t 1 ] && [ -z "${CI:-}" ] || wait_up=0
value() { [ $# -ge 2 ] && [ -n "$2" ] || { echo "error: $1 needs a value (deploy/demo.sh --help)" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --size) value "$@"; size="$2"; shift 2 ;;
    --dashboard-port) value "$@"; dash_port="$2"; shift 2 ;;
    --db-dir) value "$@"; db_dir="$2"; shift 2 ;;
    --out) value "$@"; out="$2"; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --no-wait) wait_up=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown option '$1' (deploy/demo.sh --help lists them)" >&2; exit 2 ;;
  esac
done
case "$size" in
  full)  search_n=300; eval_n=200; ood_n=200; sims=50; epochs=25; every=10 ;;
  small) search_n=40;  eval_n=40;  ood_n=40;  sims=30; epochs=10; every=5 ;;
  tiny)  search_n=8;   eval_n=4;   ood_n=4;   sims=12; epochs=2;  every=2 ;;
  *) echo "error: --size must be tiny, small or full, got '$size'" >&2; exit 2 ;;
esac
# relative folders are the caller's
[[ "$db_dir" = /* ]] || db_dir="$caller/$db_dir"
[[ "$out" = /* ]] || out="$caller/$out"
[[ "$dash_port" =~ ^[0-9]+$ ]] && [ "$dash_port" -le 65535 ] || { echo "error: --dashboard-port must be a port number, got '$dash_port'" >&2; exit 2; }
mkdir -p "$out/logs"
out="$(cd "$out" && pwd)"
start=$SECONDS
stamp() { local s=$((SECONDS - start)); printf '[%02d:%02d]' $((s / 60)) $((s % 60)); }

echo "$(stamp) installing what is missing, building"
bash deploy/install-deps.sh >"$out/logs/install.log" 2>&1 || { echo "error: deploy/install-deps.sh failed, see $out/logs/install.log" >&2; exit 1; }
./drllm --version >/dev/null

# What an earlier run left running (it was killed before it could stop them) goes first: its silo would hold the same
# node id, its dashboard the same port.
pids="$out/pids"
if [ -f "$pids" ]; then
  while read -r pid; do
    if kill -0 "$pid" 2>/dev/null && grep -qa drllm "/proc/$pid/cmdline" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done <"$pids"
  for _ in $(seq 1 60); do
    alive=0; while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done <"$pids"
    [ $alive -eq 0 ] && break; sleep 0.5
  done
  rm -f "$pids"
fi

if [ $fresh -eq 1 ] && [ -d "$db_dir" ]; then
  bash deploy/postgres.sh stop "$db_dir" || true
  rm -rf "$db_dir"
  echo "$(stamp) --fresh: the demo database is deleted"
fi
cs="$(bash deploy/postgres.sh start "$db_dir")"
psql_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)/psql"
db_port="$(cat "$db_dir/drllm.port")"
sql() { "$psql_bin" -h 127.0.0.1 -p "$db_port" -U drllm -d drllm -tAF '|' -v ON_ERROR_STOP=1 -c "$1"; }
echo "$(stamp) PostgreSQL on 127.0.0.1:$db_port ($db_dir)"

node_pid=""; dash_pid=""
cleanup() {
  trap - EXIT INT TERM
  echo
  echo "$(stamp) stopping the silo (it checkpoints running searches), the dashboard and PostgreSQL"
  [ -n "$dash_pid" ] && kill -TERM "$dash_pid" 2>/dev/null || true
  [ -n "$node_pid" ] && kill -TERM "$node_pid" 2>/dev/null || true
  [ -n "$node_pid" ] && wait "$node_pid" 2>/dev/null || true
  [ -n "$dash_pid" ] && wait "$dash_pid" 2>/dev/null || true
  rm -f "$pids"
  bash deploy/postgres.sh stop "$db_dir" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A silo of an earlier run killed without leaving still reads 'up' for 15 s and holds its node id: when its process
# is gone from this machine, it is marked lost so this run's silo takes the id over at once.
old="$(sql "select pid || '|' || host from nodes where id = 'demo-silo' and status in ('up', 'leaving')" 2>/dev/null || true)"
if [ -n "$old" ] && [ "${old#*|}" = "$(hostname)" ] && ! kill -0 "${old%%|*}" 2>/dev/null; then
  sql "update nodes set status = 'lost' where id = 'demo-silo'" >/dev/null
  echo "$(stamp) the silo of an earlier run (pid ${old%%|*}) is gone: its node id is taken over"
fi
./drllm node --db "$cs" --models drllm-demo=models/drllm-demo --id demo-silo --concurrency 2 >"$out/logs/node.log" 2>&1 &
node_pid=$!
echo "$node_pid" >>"$pids"
if [ "$dash_port" -eq 0 ]; then
  dash_port=5080; while (exec 3<>"/dev/tcp/127.0.0.1/$dash_port") 2>/dev/null; do dash_port=$((dash_port + 1)); done
fi
url="http://127.0.0.1:$dash_port"
./drllm dashboard --db "$cs" --urls "$url" >"$out/logs/dashboard.log" 2>&1 &
dash_pid=$!
echo "$dash_pid" >>"$pids"
echo "$(stamp) starting silo demo-silo hosting models/drllm-demo (log: $out/logs/node.log); dashboard on $url"
# The silo migrates the database and registers the model; the sweep is looked up or launched once it is up.
for i in $(seq 1 240); do
  [ "$(sql "select status from nodes where id = 'demo-silo' and pid = $node_pid" 2>/dev/null || true)" = "up" ] && break
  kill -0 "$node_pid" 2>/dev/null || { echo "error: the silo exited; see $out/logs/node.log" >&2; tail -n 5 "$out/logs/node.log" >&2; exit 1; }
  [ "$i" -lt 240 ] || { echo "error: the silo did not come up in 120 s; see $out/logs/node.log" >&2; exit 1; }
  sleep 0.5
done
echo "$(stamp) silo up"

name="demo-$size"
spec="$out/sweep-$size.yaml"
cat >"$spec" <<EOF
name: $name
models: [drllm-demo]
tasks:
  - name: arith
    search: {split: train, n: $search_n}
    eval: {split: test, n: $eval_n}
  - name: mcq
    search: {split: train, n: $search_n}
    eval: {split: test, n: $eval_n}
  - name: ood-count
    eval: {split: test, n: $ood_n}
  - name: ood-order
    eval: {split: test, n: $ood_n}
search: {simulations: $sims, checkpoint_every: $every}
router: {epochs: $epochs}
seeds: [0]
EOF
# The same sweep again when an earlier run launched it (finished or not); a new one otherwise.
id="$(sql "select id from sweeps where name = '$name' and status not in ('failed', 'cancelled') order by id desc limit 1")"
if [ -n "$id" ]; then
  echo "$(stamp) resuming sweep $id ($name; $(sql "select status from sweeps where id = $id"))"
else
  id="$(./drllm sweep launch "$spec" --db "$cs" 2>>"$out/logs/launch.log")"
  echo "$(stamp) launched sweep $id ($name): 2 experiments (arith, mcq), spec $spec"
fi

last=""
while true; do
  line="$(sql "select status, trees_finished, trees, trainings_finished, trainings, evaluations_finished, evaluations, experiments_done, experiments, failures from v_sweep_progress where sweep_id = $id")"
  IFS='|' read -r st tf tt rf rt ef et xd xt fl <<<"$line"
  now="search $tf/$tt · train $rf/$rt · evaluate $ef/$et · done $xd/$xt · $st"
  [ "$fl" != "0" ] && now="$now · $fl failure record(s)"
  if [ "$now" != "$last" ]; then echo "$(stamp) $now"; last="$now"; fi
  case "$st" in done|failed|cancelled) break ;; esac
  if ! kill -0 "$node_pid" 2>/dev/null; then echo "error: the silo exited; see $out/logs/node.log" >&2; tail -n 5 "$out/logs/node.log" >&2; exit 1; fi
  sleep 2
done

echo
echo "Result (from v_evaluations and v_router_metrics; accuracy in %, Δ in points):"
echo
./drllm sweep report "$id" --db "$cs" --out "$out/report"
echo
echo "Report with charts: $out/report/report.md"
echo "Dashboard:          $url/sweeps/$id"
echo "SQL to try (psql -h 127.0.0.1 -p $db_port -U drllm drllm):"
echo "  select * from v_experiments where sweep_id = $id;"
echo "  select task, domain, baseline_accuracy, routed_accuracy, layers_saved from v_evaluations where sweep_id = $id;"
echo "  select * from v_label_statistics where sweep_id = $id;"
echo "  select * from v_router_metrics where sweep_id = $id;"
echo "Took $((SECONDS - start)) s."
[ "$st" = "done" ] || { echo "error: sweep $id ended $st; see the dashboard or ./drllm sweep status $id --db '$cs'" >&2; exit 1; }

if [ $wait_up -eq 1 ]; then
  echo
  echo "The dashboard stays up on $url; Ctrl-C stops everything this script started."
  wait "$dash_pid" || true
fi
