#!/usr/bin/env bash
# Installs the system packages DrLlm.Cluster needs when they are missing (Debian 12):
#   libopenblas0-pthread  GEMM for the engine (P/Invoke libopenblas.so.0)
#   gcc                   compiles the llama.cpp reference shim in the tests
#   nodejs/npm            fetches reference packages (llama.cpp binaries, tokenizers) in the tests
#   postgresql            the cluster's database (the tests start private servers with deploy/postgres.sh)
#   chromium              the browser the dashboard tests drive through Playwright (/usr/bin/chromium)
# Runs apt-get as root, or through sudo when not root. Prints nothing when all is present.
set -euo pipefail
need=()
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need+=(libopenblas0-pthread)
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v npm >/dev/null 2>&1 || need+=(npm)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
echo "installing: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine's package lists may be empty or stale: update once if the first try cannot find a package.
$sudo apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q "${need[@]}" >/dev/null; }
