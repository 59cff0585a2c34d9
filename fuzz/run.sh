#!/usr/bin/env bash
# Runs one SharpFuzz + AFL++ target for a bounded time.
#
#   fuzz/run.sh TARGET SECONDS        TARGET: frames | http | chat
#
# Installs afl++ when missing (apt, as root), builds the fuzz project into fuzz/out/build, copies it to
# fuzz/out/TARGET/bin and instruments RawSocketChat.dll there with the sharpfuzz tool (fuzz/dotnet-tools.json),
# then runs afl-fuzz -V SECONDS on fuzz/corpus/TARGET with fuzz/dict/TARGET.dict. Findings land in
# fuzz/out/TARGET/findings/default/{crashes,hangs}. Exits 0 when the run found nothing, 1 when it found a crash or a
# hang (each printed as hex and replayed for its exception), 2 on a usage or setup error.
#
# Environment: FUZZ_KEEP_QUEUE=1 also seeds the run with the queue the previous run of this target left behind, so
# successive runs add up instead of starting over from the corpus.
set -uo pipefail

usage() { echo "usage: fuzz/run.sh TARGET SECONDS   (TARGET: frames, http, chat)" >&2; exit 2; }
[ $# -eq 2 ] || usage
TARGET=$1 SECONDS_TO_RUN=$2
case "$TARGET" in frames|http|chat) ;; *) usage ;; esac
[[ "$SECONDS_TO_RUN" =~ ^[0-9]+$ ]] && [ "$SECONDS_TO_RUN" -gt 0 ] || usage

FUZZ_DIR=$(cd "$(dirname "$0")" && pwd)
OUT="$FUZZ_DIR/out"
WORK="$OUT/$TARGET"
BIN="$WORK/bin"
FINDINGS="$WORK/findings"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p "$OUT"

# 1. afl-fuzz (Debian's afl++ package).
if ! command -v afl-fuzz >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "== installing afl++"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null; } \
      || { echo "apt-get install afl++ failed" >&2; exit 2; }
  else
    echo "afl-fuzz not found: install afl++ (Debian: apt-get install afl++)" >&2; exit 2
  fi
fi

# 2. Build once per call (incremental), serialized so that parallel runs of different targets do not race.
echo "== build"
(
  flock 9
  dotnet build "$FUZZ_DIR/RawSocketChat.Fuzz" -c Release --artifacts-path "$OUT/build" -nologo >"$OUT/build.log" 2>&1
) 9>"$OUT/.build.lock" || { grep -E "error" "$OUT/build.log" | sort -u >&2; echo "build failed (see $OUT/build.log)" >&2; exit 2; }

# 3. A private copy with the server assembly instrumented (sharpfuzz refuses an assembly twice, so always a fresh copy).
echo "== instrument RawSocketChat.dll"
rm -rf "$BIN" && mkdir -p "$BIN"
cp -r "$OUT/build/bin/RawSocketChat.Fuzz/release/." "$BIN/"
(cd "$FUZZ_DIR" && dotnet tool restore >/dev/null && dotnet tool run sharpfuzz "$BIN/RawSocketChat.dll") \
  || { echo "sharpfuzz instrumentation failed" >&2; exit 2; }

# 4. Seeds: the committed corpus, which must replay cleanly (afl-fuzz refuses crashing seeds), plus the last queue.
INPUT="$WORK/input"
rm -rf "$INPUT" && mkdir -p "$INPUT"
cp "$FUZZ_DIR/corpus/$TARGET/"* "$INPUT/"
if [ "${FUZZ_KEEP_QUEUE:-0}" = 1 ] && [ -d "$FINDINGS/default/queue" ]; then
  find "$FINDINGS/default/queue" -maxdepth 1 -type f -name 'id:*' -exec sh -c 'cp "$1" "$2/q-$(basename "$1" | cut -c1-9 | tr : _)"' _ {} "$INPUT" \;
fi
timeout 600 dotnet "$BIN/RawSocketChat.Fuzz.dll" "$TARGET" --replay "$INPUT" | tail -n 30 \
  || { echo "the seed corpus fails its own invariants (or hangs)" >&2; exit 1; }

# 5. Fuzz. dotnet is not an AFL-instrumented binary (the .NET code is): skip that check.
echo "== afl-fuzz $TARGET for ${SECONDS_TO_RUN}s"
rm -rf "$FINDINGS"
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export AFL_FORKSRV_INIT_TMOUT=${AFL_FORKSRV_INIT_TMOUT:-60000} AFL_QUIET=1
LOG="$WORK/afl.log"
timeout --signal=INT --kill-after=30 $((SECONDS_TO_RUN + 300)) \
  afl-fuzz -i "$INPUT" -o "$FINDINGS" -t 5000 -m none -V "$SECONDS_TO_RUN" -x "$FUZZ_DIR/dict/$TARGET.dict" \
  -- "$(command -v dotnet)" "$BIN/RawSocketChat.Fuzz.dll" "$TARGET" >"$LOG" 2>&1
afl_status=$?
STATS="$FINDINGS/default/fuzzer_stats"
if [ ! -f "$STATS" ]; then
  echo "afl-fuzz did not start (exit $afl_status); last lines of $LOG:" >&2
  tail -n 30 "$LOG" >&2
  exit 2
fi

stat_of() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$STATS"; }
crashes=$(find "$FINDINGS/default/crashes" -maxdepth 1 -type f -name 'id:*' 2>/dev/null | wc -l)
hangs=$(find "$FINDINGS/default/hangs" -maxdepth 1 -type f -name 'id:*' 2>/dev/null | wc -l)
execs=$(stat_of execs_done) runtime=$(stat_of run_time) paths=$(stat_of corpus_count) edges=$(stat_of edges_found) speed=$(stat_of execs_per_sec)
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$TARGET" "${runtime:-?}" "${execs:-?}" "$crashes" "$hangs" "${edges:-?}" >>"$OUT/history.tsv"
echo "fuzz $TARGET: ${runtime:-?}s, ${execs:-?} execs (${speed:-?}/s), corpus ${paths:-?}, edges ${edges:-?}, crashes $crashes, hangs $hangs"

if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
  for f in "$FINDINGS"/default/crashes/id:* "$FINDINGS"/default/hangs/id:*; do
    [ -f "$f" ] || continue
    echo "-- $(basename "$(dirname "$f")")/$(basename "$f")"
    echo "   hex: $(od -An -v -tx1 "$f" | tr -d ' \n' | cut -c1-8192)"
  done
  echo "== replaying the findings in process"
  # A hang may hang here too: the replay gets two minutes.
  timeout 120 dotnet "$BIN/RawSocketChat.Fuzz.dll" "$TARGET" --replay "$FINDINGS/default/crashes" "$FINDINGS/default/hangs" | tail -n 60
  exit 1
fi
exit 0
