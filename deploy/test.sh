#!/usr/bin/env bash
# Runs every test of DrLlm.Cluster. Installs what the tests need first (apt packages, npm reference packages into
# .cache/). Ends with one line "N passed, N failed" summed from the test results (TRX files).
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
bash deploy/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
bash deploy/fetch-references.sh >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

results="$repo/TestResults"
rm -rf "$results"
dotnet test DrLlm.Cluster.sln -c Release --logger trx --results-directory "$results" "$@"
status=$?

passed=0; failed=0
for f in "$results"/*.trx; do
  [ -f "$f" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$f" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  x=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${x:-0}))
done
# A build failure or a crashed test host leaves no results: count it as a failure so the summary cannot look green.
if [ $status -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit $status
