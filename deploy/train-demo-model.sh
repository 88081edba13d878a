#!/usr/bin/env bash
# Reproduces the shipped demo base model (models/drllm-demo): trains it from scratch on the in-domain synthetic task
# families with `drllm pretrain` (deterministic for the seed in the options), then copies the model files into
# models/drllm-demo. The recipe is the one the model card states, three pieces of one run: the settings in
# deploy/demo-model-pretrain.json (8 blocks of d 128, loss on every token, a cosine schedule planned for 8,000 steps)
# run to step 2,400; resumed with the schedule shortened to 5,000 steps; resumed again with it extended to 14,000
# steps (a warm restart). ~1.5-2 hours on 2 quiet cores. The trainer's state (with Adam moments) stays in the run
# folder; re-running the script continues an unfinished run from the piece it was in.
# Usage: deploy/train-demo-model.sh [RUN_DIR]   (default .cache/train/demo-model)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
run="${1:-.cache/train/demo-model}"
bash deploy/install-deps.sh
if [ ! -f "$run/trainer-state.bin" ]; then
  ./drllm pretrain --out "$run" --config deploy/demo-model-pretrain.json --until 2400 --threads 2
fi
planned() { sed -n 's/.*"Steps": *\([0-9]*\).*/\1/p' "$run/pretrain-options.json"; }
# Which piece an earlier, interrupted call was in: the schedule length the saved options hold says it.
if [ "$(planned)" = 8000 ]; then
  ./drllm pretrain --out "$run" --resume --until 2400 --threads 2   # piece 1 (a no-op when it reached step 2,400)
fi
if [ "$(planned)" != 14000 ]; then
  ./drllm pretrain --out "$run" --resume --steps 5000 --threads 2   # piece 2
fi
./drllm pretrain --out "$run" --resume --steps 14000 --threads 2    # piece 3
mkdir -p models/drllm-demo
cp "$run"/{config.json,model.safetensors,tokenizer.json,tokenizer_config.json,special_tokens_map.json,pretrain-options.json} models/drllm-demo/
sha256sum models/drllm-demo/model.safetensors
