#!/usr/bin/env bash
# Trains the base model with room to route (issue 14): the demo model's block (d 128, 4 heads / 2 KV heads, SwiGLU 344,
# loss on every token) twice as deep, 16 blocks, 2.9M parameters, with layer drop (a training step skips block l of
# 16 with probability 0.2·l/15: never the first, the last one step in five), from scratch on the in-domain families
# with `drllm pretrain` (deterministic for the seed in the options). Settings: deploy/routing-model-pretrain.json
# (a cosine schedule over 20,000 steps of 8 × 256 tokens, as the demo model's 40.96M token positions, 200 warm-up steps).
# Three pieces of one run, each resumable:
#   1  steps 0-4,000: arith,mcq,mcq:1-2 (mcq's two easy levels weighted up, which the demo model needed before it gave
#      the letter of the option it picked);
#   2  steps 4,000-10,000: arith,mcq (all levels, 1:1);
#   3  steps 10,000-20,000: arith,mcq.
# Measured ~0.9 s per step on one thread beside other work (2,200-2,300 tok/s): ~5 hours in all. The trainer's state (with Adam moments) stays in the
# run folder with a marker file per finished piece; re-running the script continues an unfinished run where it was.
# Each piece exports the model into the run folder (config.json, model.safetensors, tokenizer files), so `drllm eval`
# and `drllm skip-tolerance` can probe it between pieces. It does not touch models/: the model replaces models/drllm-demo
# only once it answers both in-domain families at 40-90% and tolerates single skips on most blocks.
# Needs libopenblas0-pthread (deploy/install-deps.sh installs it).
# Usage: deploy/train-routing-model.sh [RUN_DIR]   (default .cache/train/routing-model)
#   THREADS=N  OpenBLAS threads (default 1);  DRLLM="dotnet DIR/drllm.dll"  a published CLI to train with instead of
#   ./drllm (so a rebuild of the checkout cannot change the binary under a run of hours);  PIDFILE=FILE  the process id
#   of the running trainer, rewritten at each piece (to pause it with SIGSTOP/SIGCONT while something else is measured)
set -euo pipefail
# All of it in a function that bash reads whole before running it, so editing this file under a run of hours cannot
# change what the run does next (bash reads a plain script as it goes).
main() {
  repo="$(cd "$(dirname "$0")/.." && pwd)"
  cd "$repo"
  run="${1:-.cache/train/routing-model}"
  threads="${THREADS:-1}"
  read -r -a drllm <<< "${DRLLM:-./drllm}"
  stage1=arith,mcq,mcq:1-2
  stage2=arith,mcq
  piece() { # piece N ARGS...: runs `drllm pretrain --out RUN ARGS` unless piece N finished earlier
    local n=$1; shift
    [ -f "$run/piece-$n.done" ] && return 0
    echo "== piece $n: $*"
    "${drllm[@]}" pretrain --out "$run" "$@" --threads "$threads" &
    local pid=$!
    [ -z "${PIDFILE:-}" ] || echo "$pid" > "$PIDFILE"
    wait "$pid"
    touch "$run/piece-$n.done"
  }
  if [ ! -f "$run/trainer-state.bin" ]; then
    piece 1 --config deploy/routing-model-pretrain.json --corpus "$stage1" --until 4000
  fi
  piece 1 --resume --corpus "$stage1" --until 4000
  piece 2 --resume --switch-corpus --corpus "$stage2" --until 10000
  piece 3 --resume --corpus "$stage2"
  sha256sum "$run/model.safetensors"
}
main "$@"
exit
