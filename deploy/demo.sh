#!/usr/bin/env bash
# The main job, offline: the project's own small base model (models/drllm-demo, trained by `drllm pretrain` on
# synthetic task families; see its model card) answers synthetic questions, graded, with the default layer path and
# with user-given paths that skip or repeat blocks. Later issues grow this into search → routers → evaluation.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
bash deploy/install-deps.sh
model=models/drllm-demo
echo "model: $model (8 blocks; trained by this project, see $model/README.md)"
echo
echo -n "generate 'Q: 23+19=? A:' -> "
./drllm generate --model "$model" --prompt "Q: 23+19=? A:" --max-new-tokens 6
for task in arith mcq ood-count; do
  for path in 0,1,2,3,4,5,6,7 0,1,2,3,4,5,7 0,1,2,3,3,4,5,6,7; do
    echo
    echo "== $task, test split, 100 questions, layer path $path"
    ./drllm eval --model "$model" --task "$task" --n 100 --path "$path" --show 3
  done
done
