#!/usr/bin/env bash
# Reproduces the shipped demo base model (models/drllm-demo): trains it from scratch on the in-domain synthetic task
# families with `drllm pretrain` (deterministic for the seed in the options), then copies the model files into
# models/drllm-demo. ~40-50 minutes on 2 cores. The trainer's state (with Adam moments) stays in the run folder.
# Usage: deploy/train-demo-model.sh [RUN_DIR]   (default .cache/train/demo; pass --resume via RESUME=1)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
run="${1:-.cache/train/demo}"
bash deploy/install-deps.sh
./drllm pretrain --out "$run" --steps 3000 --threads 2 ${RESUME:+--resume}
mkdir -p models/drllm-demo
cp "$run"/{config.json,model.safetensors,tokenizer.json,tokenizer_config.json,special_tokens_map.json,pretrain-options.json} models/drllm-demo/
sha256sum models/drllm-demo/model.safetensors
