#!/usr/bin/env bash
# Issue 6 end to end on one base model (METHOD.md "Search" and "Routers"):
#   1. drllm search on the train split of each in-domain family (arith, mcq): per-example MCTS labels;
#   2. drllm train-routers on all those labels together: one router set for the model;
#   3. drllm eval --routers on the test split of the in-domain and the out-of-domain families (ood-count,
#      ood-order): routed run vs the default path on the same items;
#   4. drllm router-report: Markdown tables shaped like the paper's Table 3 (accuracy default → routed, Δ, layers),
#      the label statistics and the routers' held-out per-block accuracy and macro-F1; printed and written to
#      OUT/report.md.
# Re-running continues where it stopped: searches resume from their --state checkpoints and skip the examples
# already written, training resumes from its last finished epoch (a finished training is kept), and evaluations
# already done for the current routers are kept. Changed labels, epochs or seed retrain the routers from scratch.
#
# Usage: deploy/router-report.sh [MODEL_DIR]          (default models/drllm-demo)
# Environment (defaults): N (300) search examples per family, EPOCHS (25, the paper's), EVAL_N (500) test items per
#   family, SIMULATIONS (50), SEED (0), THREADS (all cores), OUT (artifacts/router-report/MODEL_NAME),
#   IN_DOMAIN ("arith mcq"), OUT_OF_DOMAIN ("ood-count ood-order").
# Smoke run: N=10 EPOCHS=2 EVAL_N=40 deploy/router-report.sh
set -euo pipefail
caller="$PWD"
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

model="${1:-models/drllm-demo}"
[[ "$model" != /* && -e "$caller/$model" ]] && model="$caller/$model"
[ -e "$model" ] || { echo "error: model $model not found" >&2; exit 1; }
name="$(basename "$model")"
n="${N:-300}"; epochs="${EPOCHS:-25}"; eval_n="${EVAL_N:-500}"; sims="${SIMULATIONS:-50}"; seed="${SEED:-0}"
in_domain="${IN_DOMAIN:-arith mcq}"; out_domain="${OUT_OF_DOMAIN:-ood-count ood-order}"
out="${OUT:-artifacts/router-report/$name}"
threads=(); [ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")
mkdir -p "$out/logs"

bash deploy/install-deps.sh

# A search continued with another model (path or weights: a retrained model in the same folder counts as another),
# seed or simulation budget would mix two searches in one label file.
weights="$model"
if [ -d "$model" ]; then weights=$(find "$model" -maxdepth 1 \( -name '*.safetensors' -o -name '*.gguf' \) | sort | head -1); fi
settings="model $(cd "$model" 2>/dev/null && pwd || echo "$model") weights $(sha256sum "$weights" | cut -c1-16) seed $seed simulations $sims"
if [ -f "$out/settings" ] && [ "$(cat "$out/settings")" != "$settings" ]; then
  echo "error: $out was started with '$(cat "$out/settings")'; this run has '$settings' — choose another OUT or delete $out" >&2
  exit 1
fi
echo "$settings" > "$out/settings"

# run LOG CMD…: stderr to LOG; on failure the command and the end of LOG, then exit.
run() {
  local log="$1"; shift
  if ! "$@" 2>>"$log"; then
    echo "error: '$*' failed; the end of $log:" >&2
    tail -n 5 "$log" >&2
    exit 1
  fi
}

echo "model $model; N=$n per family, $sims simulations, seed $seed; $epochs epochs; EVAL_N=$eval_n; output in $out"

label_files=()
for task in $in_domain; do
  labels="$out/labels-$task.jsonl"
  echo "search $task: train split, $n examples (log $out/logs/search-$task.log)"
  run "$out/logs/search-$task.log" ./drllm search --model "$model" --task "$task" --split train --n "$n" \
    --simulations "$sims" --seed "$seed" --out "$labels" --state "$out/search-state-$task" --resume "${threads[@]}"
  echo "  $(cat "$labels.summary.json")"
  label_files+=("$labels")
done

cat "${label_files[@]}" > "$out/labels.jsonl.tmp"
mv "$out/labels.jsonl.tmp" "$out/labels.jsonl"

# The routers belong to these labels, epochs and seed: a change starts them over.
routers="$out/routers"
stamp="labels $(sha256sum < "$out/labels.jsonl" | cut -d' ' -f1) epochs $epochs seed $seed"
if [ ! -f "$routers/stamp" ] || [ "$(cat "$routers/stamp")" != "$stamp" ]; then
  rm -rf "$routers"
  mkdir -p "$routers"
  echo "$stamp" > "$routers/stamp"
fi
if [ -f "$routers/routers.json" ]; then
  echo "train-routers: done before, kept ($routers)"
else
  resume=(); [ -f "$routers/trainer-state.json" ] && resume=(--resume)
  echo "train-routers: $epochs epochs on $(wc -l < "$out/labels.jsonl") search lines${resume:+, resuming} (log $out/logs/train-routers.log)"
  run "$out/logs/train-routers.log" ./drllm train-routers --model "$model" --labels "$out/labels.jsonl" --out "$routers" \
    --epochs "$epochs" --seed "$seed" "${resume[@]}" "${threads[@]}" > "$routers/train-summary.json"
fi
echo "  $(cat "$routers/train-summary.json" 2>/dev/null || echo "(summary of an earlier run not kept)")"

# Evaluations belong to these routers, this n and seed.
eval_stamp="routers $(sha256sum < "$routers/routers.safetensors" | cut -d' ' -f1) n $eval_n seed $seed"
eval_files=()
for task in $in_domain $out_domain; do
  result="$out/eval-$task.json"
  if [ -f "$result" ] && [ -f "$result.stamp" ] && [ "$(cat "$result.stamp")" = "$eval_stamp" ]; then
    echo "eval $task: done before, kept"
  else
    echo "eval $task: test split, $eval_n items, default path and routed (log $out/logs/eval-$task.log)"
    run "$out/logs/eval-$task.log" ./drllm eval --model "$model" --routers "$routers" --task "$task" --split test \
      --n "$eval_n" --seed "$seed" "${threads[@]}" > "$result.tmp"
    mv "$result.tmp" "$result"
    echo "$eval_stamp" > "$result.stamp"
  fi
  eval_files+=("$result")
done

echo
./drllm router-report --routers "$routers" --eval "${eval_files[@]}" --labels "${label_files[@]}" --out "$out/report.md"
echo "(written to $out/report.md)"
