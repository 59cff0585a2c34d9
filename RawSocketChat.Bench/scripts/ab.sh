#!/usr/bin/env bash
# A/B of two server builds on one workload, for a change that should cost nothing (docs/benchmarks.md).
#   RawSocketChat.Bench/scripts/ab.sh OLD_DIR NEW_DIR WORKLOAD ROUNDS [extra load options]
# OLD_DIR and NEW_DIR are checkouts with a Release build of RawSocketChat (e.g. `git archive REV | tar -x -C DIR`
# then `dotnet build -c Release DIR/RawSocketChat/RawSocketChat.csproj`). The load generator is this checkout's.
# Rounds alternate which build goes first; each run is a fresh in-memory server on CPU 0 with the rate limits lifted,
# the generator on CPU 1, 5 s measured after 2 s of warm-up. Prints, per build, the median msgs/s and the median
# server CPU per message (the steadier figure on a shared machine); the JSON of every run stays in $AB_OUT.
set -u
old=$1; new=$2; workload=$3; rounds=$4; shift 4
here=$(cd "$(dirname "$0")/../.." && pwd)
out=${AB_OUT:-$(mktemp -d)}
dotnet build -c Release "$here/RawSocketChat.Bench" >/dev/null || exit 1
bench="$here/RawSocketChat.Bench/bin/Release/net10.0/RawSocketChat.Bench.dll"
path=/echo; [ "$workload" = chat ] || [ "$workload" = broadcast ] && path=/chat
for r in $(seq 1 "$rounds"); do
  order="old new"; [ $((r % 2)) -eq 0 ] && order="new old"
  for b in $order; do
    dir=$old; [ "$b" = new ] && dir=$new
    taskset -c 0 dotnet "$dir/RawSocketChat/bin/Release/net10.0/RawSocketChat.dll" --port 18080 --data :memory: --log-level warn \
      --rate 100000 --burst 100000 --ip-rate 1000000 --ip-burst 1000000 --max-connections-per-ip 10000 >"$out/server-$b-$r.log" 2>&1 &
    server=$!
    for _ in $(seq 1 50); do curl -s -o /dev/null http://127.0.0.1:18080/ && break; sleep 0.2; done
    taskset -c 1 dotnet "$bench" load "$workload" --url "ws://127.0.0.1:18080$path" --duration 5 --warmup 2 --quiet \
      --server-pid "$server" --json "$out/$workload-$b-$r.json" "$@" >"$out/load-$b-$r.log" 2>&1
    kill "$server"; wait "$server" 2>/dev/null
  done
done
python3 - "$out" "$workload" <<'PY'
import glob, json, statistics, sys
out, workload = sys.argv[1], sys.argv[2]
for b in ("old", "new"):
    runs = [json.load(open(f)) for f in sorted(glob.glob(f"{out}/{workload}-{b}-*.json"))]
    if not runs:
        print(b, "no runs (see the logs in", out + ")"); continue
    rate = [r["metrics"]["msgs_per_s"] for r in runs]
    cpu = [r["metrics"]["server_cpu_pct"] / 100 * r["duration_seconds"] / r["metrics"]["messages"] * 1e6 for r in runs]
    print(f"{b}: {statistics.median(rate):,.0f} msgs/s (rounds {' / '.join(f'{x/1000:.0f}k' for x in rate)}), "
          f"server CPU {statistics.median(cpu):.2f} µs per message")
PY
echo "runs in $out"
