#!/usr/bin/env bash
# The main job, as far as it exists today: run a LLaMA-architecture model with the default layer path and with a
# path that skips and repeats blocks. Until the project ships its own trained base model (issue 4), the model is a
# small one with seeded random weights written by `drllm init-model`: the token ids it produces mean nothing, but
# every part of the engine (GGUF writing and loading, layer paths, KV cache per step, prefix reuse) runs for real.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
bash deploy/install-deps.sh
model="$repo/.cache/demo/random-llama-8.gguf"
mkdir -p "$(dirname "$model")"
[ -f "$model" ] || ./drllm init-model --shape custom --arch llama --hidden 256 --layers 8 --heads 8 --kv-heads 2 \
  --ffn 512 --vocab 512 --seed 7 --scale 0.1 --out "$model"
prompt=1,17,42,99,5,256,300,12
echo "model: $model (8 blocks, random weights)"
echo "prompt tokens: [$prompt]"
echo -n "default path 0..7          -> "; ./drllm generate --model "$model" --tokens $prompt --max-new-tokens 10
echo -n "path 0,1,1,2,3,5,6,7       -> "; ./drllm generate --model "$model" --tokens $prompt --path 0,1,1,2,3,5,6,7 --max-new-tokens 10
echo -n "path 0,2,4,6 (half skipped)-> "; ./drllm generate --model "$model" --tokens $prompt --path 0,2,4,6 --max-new-tokens 10
