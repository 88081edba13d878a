#!/usr/bin/env bash
# Builds the llama.cpp reference shim (libllamaref.so), the benchmark (llamaref-bench) and the quantiser
# (llamaref-quantize) against the
# prebuilt llama.cpp that deploy/fetch-references.sh puts in the cache, and prints the folder holding them.
#
# Usage: tools/llamacpp-ref/build.sh [CACHE_DIR]   (default: $DRLLM_CACHE or <repo>/.cache)
# Output folder: CACHE_DIR/llamaref/<hash of these sources>/, built once per source change. Both
# binaries find libllama through a relative rpath ($ORIGIN/../../npm/llama-bin/...), so the cache can move.
# The compiler is $CC (default gcc); its messages go to stderr; the last line of stdout is the folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${1:-${DRLLM_CACHE:-$repo/.cache}}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"

"$repo/deploy/fetch-references.sh" "$cache" >/dev/null
bins_rel="npm/llama-bin/package/bins/linux-x64"
bins="$cache/$bins_rel"
src="$cache/npm/llama-src"
for f in "$bins/libllama.v0.5.0.so" "$src/include/llama.h" "$src/ggml/include/ggml-backend.h"; do
  [ -f "$f" ] || { echo "build.sh: $f is missing; delete $cache/npm and fetch again" >&2; exit 1; }
done

hash=$(cat "$here/build.sh" "$here/llamaref.h" "$here/llamaref.c" "$here/llamaref-bench.c" "$here/llamaref-quantize.c" | sha256sum | cut -c1-16)
out="$cache/llamaref/$hash"
if [ -f "$out/.done" ]; then echo "$out"; exit 0; fi

mkdir -p "$cache/llamaref"
tmp=$(mktemp -d "$cache/llamaref/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cc="${CC:-gcc}"
flags=(-std=c11 -O2 -Wall -Wextra -fPIC -I"$src/include" -I"$src/ggml/include")
link=(-L"$bins" -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so -lpthread -ldl
      "-Wl,-rpath,\$ORIGIN/../../$bins_rel")
$cc "${flags[@]}" -shared -o "$tmp/libllamaref.so" "$here/llamaref.c" "${link[@]}"
$cc "${flags[@]}" -o "$tmp/llamaref-bench" "$here/llamaref-bench.c" "$here/llamaref.c" "${link[@]}"
$cc "${flags[@]}" -o "$tmp/llamaref-quantize" "$here/llamaref-quantize.c" "$here/llamaref.c" "${link[@]}"
touch "$tmp/.done"
# Another build may have finished first; either result is the same.
mv -T "$tmp" "$out" 2>/dev/null || true
echo "$out"
