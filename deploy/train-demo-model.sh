#!/usr/bin/env bash
# Reproduces the shipped demo base model (models/drllm-demo): trains it from scratch on the in-domain synthetic task
# families with `drllm pretrain` (deterministic for the seed in the options), then copies the model files into
# models/drllm-demo. The recipe is the one the model card states, six pieces of one run:
#   1-3  mcq's levels 3-7 (the family's first version) with arith: the settings in deploy/demo-model-pretrain.json
#        (8 blocks of d 128, loss on every token, a cosine schedule planned for 8,000 steps) to step 2,400; the
#        schedule shortened to 5,000 steps; extended to 14,000 steps (a warm restart);
#   4    all of mcq's levels with arith, the schedule extended to 20,000 steps, to step 16,200;
#   5    mcq's two easy levels with arith (half the examples are mcq levels 1-2), to step 17,000;
#   6    all levels with arith again, to step 20,000 (chosen over arith,mcq,mcq:1-2 on the validation split).
# ~2.5 hours on 2 quiet cores. The trainer's state (with Adam moments) stays in the run folder, and a marker file per
# finished piece; re-running the script continues an unfinished run in the piece it was in.
# Usage: deploy/train-demo-model.sh [RUN_DIR]   (default .cache/train/demo-model)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
run="${1:-.cache/train/demo-model}"
bash deploy/install-deps.sh
first=arith,mcq:3-7
piece() { # piece N THREADS ARGS...: runs `drllm pretrain --out RUN --resume ARGS` unless piece N finished earlier
  local n=$1 threads=$2; shift 2
  [ -f "$run/piece-$n.done" ] && return 0
  ./drllm pretrain --out "$run" --resume "$@" --threads "$threads"
  touch "$run/piece-$n.done"
}
if [ ! -f "$run/trainer-state.bin" ]; then
  ./drllm pretrain --out "$run" --config deploy/demo-model-pretrain.json --corpus "$first" --until 2400 --threads 2
  touch "$run/piece-1.done"
fi
# Threads as the shipped run used them (pieces 5 and 6 ran on one thread each, beside a probe run on the other core).
piece 1 2 --corpus "$first" --until 2400
piece 2 2 --corpus "$first" --steps 5000
piece 3 2 --corpus "$first" --steps 14000
piece 4 2 --switch-corpus --corpus arith,mcq --steps 20000 --until 16200
piece 5 1 --switch-corpus --corpus arith,mcq:1-2 --steps 20000 --until 17000
piece 6 1 --switch-corpus --corpus arith,mcq --steps 20000
mkdir -p models/drllm-demo
cp "$run"/{config.json,model.safetensors,tokenizer.json,tokenizer_config.json,special_tokens_map.json,pretrain-options.json} models/drllm-demo/
sha256sum models/drllm-demo/model.safetensors
