#!/usr/bin/env bash
# The long fuzz runs: every fuzz test of the suite with 10,000 seeded inputs of each kind (GLASSBENCH_FUZZ_RUNS;
# the suite runs a fast subset of some kinds). Prints each kind's counts; exits non-zero if any input crashed a
# part or left the SFU unhealthy. Needs the build and, for the SFU and worker kinds, root (as the suite does).
#
#   bash scripts/fuzz-nightly.sh [RUNS]      RUNS: inputs per kind (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
export GLASSBENCH_FUZZ_RUNS="${1:-10000}"
npm run build >/dev/null
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
npx vitest run --project unit \
  test/unit/scenario/fuzz.test.ts test/unit/cli/flags-fuzz.test.ts test/unit/orchestrator/telemetry-lines.test.ts \
  test/unit/protocol/worker-protocol.test.ts test/unit/sinks/influx-answers.test.ts test/unit/ai/external-answers.test.ts 2>&1 | tee -a "$log" || status=$?
CI=true npx vitest run --project integration \
  test/integration/sfu-robustness.test.ts test/integration/sfu-offer-fuzz.test.ts test/integration/worker-fuzz.test.ts 2>&1 | tee -a "$log" || status=$?
echo
echo "== fuzz counts, ${GLASSBENCH_FUZZ_RUNS} per kind"
grep -a '^fuzz ' "$log" || true
exit "$status"
