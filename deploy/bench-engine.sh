#!/usr/bin/env bash
# Engine speed next to llama.cpp's, in one run, on the same GGUF: prefill of PROMPT_TOKENS tokens in one batch, then
# GEN_TOKENS greedy single-token decode steps, THREADS threads; each engine reports the median of RUNS timed runs
# after a warm-up. The two engines alternate ROUNDS times (the machines are shared and noisy), and the last line gives
# our/llama.cpp ratios of the per-engine medians over rounds.
#
# Usage: deploy/bench-engine.sh [MODEL.gguf]
#   MODEL.gguf   any GGUF both load (one row). Default: a SmolLM2-135M-shaped model with random F32 weights (d 576,
#                30 blocks, 9 heads / 3 KV heads, FFN 1536, vocab 32000), written once into the cache by
#                `drllm init-model`, and from it, by llama.cpp's own quantiser, one file per type in TYPES: a row each.
#   Environment: TYPES ("f32 bf16 q8_0 q4_k_m"), PROMPT_TOKENS (128), GEN_TOKENS (32), THREADS (2), RUNS (3),
#                ROUNDS (3), DRLLM_CACHE (<repo>/.cache).
# Each row: tokens/s of both and our/llama.cpp ratios, both processes' peak resident sets and their ratio, and our
# decode as a stream of weights (GB/s) next to the machine's read bandwidth (`drllm bench memory`).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${DRLLM_CACHE:-$repo/.cache}"
prompt="${PROMPT_TOKENS:-128}"
gen="${GEN_TOKENS:-32}"
threads="${THREADS:-2}"
runs="${RUNS:-3}"
rounds="${ROUNDS:-3}"
types="${TYPES:-f32 bf16 q8_0 q4_k_m}"

bash "$repo/deploy/install-deps.sh"
# Fetches llama.cpp into the cache if needed and builds llamaref-bench and llamaref-quantize (tools/llamacpp-ref/).
bin="$("$repo/tools/llamacpp-ref/build.sh" "$cache" | tail -n 1)"

models=()
if [ -n "${1:-}" ]; then
  [ -f "$1" ] || { echo "bench-engine.sh: no such model: $1" >&2; exit 2; }
  models=("given:$1")
else
  base="$cache/bench/smollm2-135m-random-f32.gguf"
  if [ ! -f "$base" ]; then
    mkdir -p "$(dirname "$base")"
    "$repo/drllm" init-model --shape smollm2-135m --dtype f32 --seed 1 --out "$base"
  fi
  for t in $types; do
    m="$cache/bench/smollm2-135m-random-$t.gguf"
    case "$t" in
      f32) ;;
      bf16|f16|q8_0|q4_k_m) [ -f "$m" ] || "$bin/llamaref-quantize" "$base" "$m" "$t" "$threads" >/dev/null 2>&1 ;;
      *) echo "bench-engine.sh: unknown type '$t' in TYPES (f32, f16, bf16, q8_0, q4_k_m)" >&2; exit 2 ;;
    esac
    models+=("$t:$m")
  done
fi

"$repo/drllm" bench gemm --size 2048 --threads "$threads"
mem=$("$repo/drllm" bench memory --threads "$threads"); echo "$mem"
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
bw=$(echo "$mem" | field gb_s)
rows=()
for entry in "${models[@]}"; do
  type="${entry%%:*}"; model="${entry#*:}"
  ours=(); theirs=()
  for ((i = 1; i <= rounds; i++)); do
    t=$("$bin/llamaref-bench" "$model" "$prompt" "$gen" "$threads" "$runs"); echo "$t"; theirs+=("$t")
    o=$("$repo/drllm" bench engine --model "$model" --prompt-tokens "$prompt" --gen-tokens "$gen" --threads "$threads" --repeats "$runs"); echo "$o"; ours+=("$o")
  done
  op=$(printf '%s\n' "${ours[@]}" | field prefill_tok_s | median); od=$(printf '%s\n' "${ours[@]}" | field decode_tok_s | median)
  tp=$(printf '%s\n' "${theirs[@]}" | field prefill_tok_s | median); td=$(printf '%s\n' "${theirs[@]}" | field decode_tok_s | median)
  orss=$(printf '%s\n' "${ours[@]}" | field max_rss_mb | median); trss=$(printf '%s\n' "${theirs[@]}" | field max_rss_mb | median)
  ogb=$(printf '%s\n' "${ours[@]}" | field decode_weight_gb_s | median)
  rows+=("$(awk -v ty="$type" -v op="$op" -v od="$od" -v tp="$tp" -v td="$td" -v orss="$orss" -v trss="$trss" -v ogb="$ogb" -v bw="$bw" 'BEGIN {
    printf "{\"summary\":\"drllm vs llama.cpp\",\"type\":\"%s\",\"prefill_tok_s\":[%s,%s],\"decode_tok_s\":[%s,%s],\"prefill_ratio\":%.2f,\"decode_ratio\":%.2f,\"max_rss_mb\":[%s,%s],\"rss_ratio\":%.2f,\"decode_weight_gb_s\":%s,\"read_bandwidth_gb_s\":%s}",
      ty, op, tp, od, td, op/tp, od/td, orss, trss, orss/trss, ogb, bw }')")
done
printf '%s\n' "${rows[@]}"
