#!/usr/bin/env bash
# Speed of llama.cpp (and, once wired, of our engine) on one GGUF: prefill of PROMPT_TOKENS tokens in one
# batch, then GEN_TOKENS greedy single-token decode steps, THREADS threads; median of RUNS runs after a warm-up.
#
# Usage: deploy/bench-engine.sh [MODEL.gguf]
#   MODEL.gguf   any GGUF llama.cpp loads. Without it: the SmolLM2-135M-shaped random F32 model in the cache
#                (made by `drllm init-model`, see the TODO below).
#   Environment: PROMPT_TOKENS (128), GEN_TOKENS (32), THREADS (2), RUNS (3), DRLLM_CACHE (<repo>/.cache).
# On a shared machine the figures swing with other load: run the engines back to back, and more than once.
# Output: one JSON line per engine, e.g.
#   {"engine":"llama.cpp","prefill_tok_s":1234.56,"decode_tok_s":78.90,"prompt_tokens":128,...}
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${DRLLM_CACHE:-$repo/.cache}"
prompt="${PROMPT_TOKENS:-128}"
gen="${GEN_TOKENS:-32}"
threads="${THREADS:-2}"
runs="${RUNS:-3}"

# Fetches llama.cpp into the cache if needed and builds llamaref-bench (tools/llamacpp-ref/).
bin="$("$repo/tools/llamacpp-ref/build.sh" "$cache" | tail -n 1)"

model="${1:-}"
if [ -z "$model" ]; then
  model="$cache/bench/smollm2-135m-random-f32.gguf"
  if [ ! -f "$model" ]; then
    mkdir -p "$(dirname "$model")"
    # TODO(lead): create the benchmark model here once the CLI has the command, e.g.
    #   dotnet run --project "$repo/src/DrLlm.Cli" -c Release -- init-model --shape smollm2-135m \
    #     --dtype f32 --seed 1 --out "$model"
    # (shape: RandomModels.SmolLm2_135M in tests/DrLlm.Engine.Tests/Reference/RandomModels.cs)
    echo "bench-engine.sh: $model does not exist and drllm init-model is not wired yet; pass a GGUF as \$1" >&2
    exit 2
  fi
fi
[ -f "$model" ] || { echo "bench-engine.sh: no such model: $model" >&2; exit 2; }

"$bin/llamaref-bench" "$model" "$prompt" "$gen" "$threads" "$runs"

# TODO(lead): our engine on the same model and settings, once the command exists:
#   dotnet run --project "$repo/src/DrLlm.Cli" -c Release -- bench engine --model "$model" \
#     --prompt-tokens "$prompt" --gen-tokens "$gen" --threads "$threads"
