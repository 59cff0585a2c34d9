#!/usr/bin/env bash
# Short fuzz run of every target (for CI): fuzz/smoke.sh SECONDS (default 60) runs fuzz/run.sh on each in turn and
# exits non-zero if any of them found a crash or a hang or could not run.
set -uo pipefail
FUZZ_DIR=$(cd "$(dirname "$0")" && pwd)
SECONDS_EACH=${1:-60}
status=0
for target in frames http chat; do
  echo
  echo "==== fuzz smoke: $target (${SECONDS_EACH}s)"
  "$FUZZ_DIR/run.sh" "$target" "$SECONDS_EACH" || { echo "fuzz smoke: $target FAILED"; status=1; }
done
echo
echo "fuzz smoke: $([ $status -eq 0 ] && echo "no findings in any target" || echo "FAILED (see above)")"
exit $status
