#!/usr/bin/env bash
# Engine speed next to llama.cpp's, in one run, on the same GGUF: prefill of PROMPT_TOKENS tokens in one batch, then
# GEN_TOKENS greedy single-token decode steps, THREADS threads; each engine reports the median of RUNS timed runs
# after a warm-up. The two engines alternate ROUNDS times (the machines are shared and noisy), and the last line gives
# our/llama.cpp ratios of the per-engine medians over rounds.
#
# Usage: deploy/bench-engine.sh [MODEL.gguf]
#   MODEL.gguf   any GGUF both load. Default: a SmolLM2-135M-shaped model with random F32 weights (d 576, 30 blocks,
#                9 heads / 3 KV heads, FFN 1536, vocab 32000), written once into the cache by `drllm init-model`.
#   Environment: PROMPT_TOKENS (128), GEN_TOKENS (32), THREADS (2), RUNS (3), ROUNDS (3), DRLLM_CACHE (<repo>/.cache).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${DRLLM_CACHE:-$repo/.cache}"
prompt="${PROMPT_TOKENS:-128}"
gen="${GEN_TOKENS:-32}"
threads="${THREADS:-2}"
runs="${RUNS:-3}"
rounds="${ROUNDS:-3}"

bash "$repo/deploy/install-deps.sh"
# Fetches llama.cpp into the cache if needed and builds llamaref-bench (tools/llamacpp-ref/).
bin="$("$repo/tools/llamacpp-ref/build.sh" "$cache" | tail -n 1)"

model="${1:-}"
if [ -z "$model" ]; then
  model="$cache/bench/smollm2-135m-random-f32.gguf"
  if [ ! -f "$model" ]; then
    mkdir -p "$(dirname "$model")"
    "$repo/drllm" init-model --shape smollm2-135m --dtype f32 --seed 1 --out "$model"
  fi
fi
[ -f "$model" ] || { echo "bench-engine.sh: no such model: $model" >&2; exit 2; }

"$repo/drllm" bench gemm --size 2048 --threads "$threads"
ours=(); theirs=()
for ((i = 1; i <= rounds; i++)); do
  t=$("$bin/llamaref-bench" "$model" "$prompt" "$gen" "$threads" "$runs"); echo "$t"; theirs+=("$t")
  o=$("$repo/drllm" bench engine --model "$model" --prompt-tokens "$prompt" --gen-tokens "$gen" --threads "$threads" --repeats "$runs"); echo "$o"; ours+=("$o")
done
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
op=$(printf '%s\n' "${ours[@]}" | field prefill_tok_s | median); od=$(printf '%s\n' "${ours[@]}" | field decode_tok_s | median)
tp=$(printf '%s\n' "${theirs[@]}" | field prefill_tok_s | median); td=$(printf '%s\n' "${theirs[@]}" | field decode_tok_s | median)
awk -v op="$op" -v od="$od" -v tp="$tp" -v td="$td" 'BEGIN { printf "{\"summary\":\"drllm vs llama.cpp\",\"prefill_tok_s\":[%s,%s],\"decode_tok_s\":[%s,%s],\"prefill_ratio\":%.2f,\"decode_ratio\":%.2f}\n", op, tp, od, td, op/tp, od/td }'
