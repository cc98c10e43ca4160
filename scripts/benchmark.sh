#!/usr/bin/env bash
# The benchmark command (README "Benchmarks"): builds the release tools, makes the test clip,
# runs swiftmultiurisrc-bench (P1-P8, C1-C2, each against its baseline in the same run) and prints
# the table. Not part of the test run. Every wait is bounded; only 127.0.0.1 is used.
#
#   bash scripts/benchmark.sh [--only P1,P2,P3,P4,P5,P6,P7,P8,R1,R2,R3,C1,C2,A1]
#
# Environment: BENCH_P1_REQUESTS, BENCH_P2_RUNS, BENCH_P3_SOURCES, BENCH_P3_SECONDS (10),
# BENCH_P3_RUNS (5), BENCH_P4_SECONDS (6), BENCH_P4_CLIENTS, BENCH_P5_CYCLES (1000),
# BENCH_P5_WARMUP (100), BENCH_P6_MAX (32), BENCH_P6_SECONDS (5), BENCH_P6_BUDGET (180), BENCH_P7_CLIENTS (100),
# BENCH_P7_STREAMS (16), BENCH_P7_SECONDS (6), BENCH_P8_STREAMS (64), BENCH_P8_SECONDS (12), BENCH_P8_SCRAPES_PER_S (10),
# BENCH_R1_OUTPUTS (8), BENCH_R1_SECONDS (10), BENCH_R1_RUNS (3), BENCH_R2_RUNS (20),
# BENCH_R3_MAX (16), BENCH_R3_SECONDS (4), BENCH_R3_BUDGET (120),
# BENCH_C1_REQUESTS (40), BENCH_C2_STREAMS (16), BENCH_C2_CLIENTS (10), BENCH_C2_SECONDS (24),
# BENCH_A1_SOURCES (16), BENCH_A1_SECONDS (10), BENCH_A1_RUNS (7),
# BENCH_FUZZ_SECONDS (60), KEEP_TMP=1 keeps the clip and the registry,
# BENCH_SCRATCH (.build-bench) is SwiftPM's scratch path, BENCH_RESULTS_DIR (benchmarks/results)
# where each run's raw output is kept. Exits non-zero when a target is missed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
scratch="${BENCH_SCRATCH:-$repo/.build-bench}"
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "benchmark.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

export PATH="/opt/swift/usr/bin:$PATH"
log() { printf '[benchmark] %s\n' "$*" >&2; }

log "building release tools (scratch path $scratch)"
for product in gstswiftmultiurisrc swiftmultiurisrc-soak swiftmultiurisrc-bench swift-multiurisrc-app; do
  timeout -k 10 1200 swift build -c release --scratch-path "$scratch" --product "$product" >&2
done
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/swiftmultiurisrc-bench.XXXXXX")"
cleanup() { if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi; }
trap cleanup EXIT

# shellcheck source=../gst-launch-examples/lib-media.sh
source "$repo/gst-launch-examples/lib-media.sh"
# The clip must outlast P3's and P6's runs so that the hand-built pipeline never needs to loop.
p3="${BENCH_P3_SECONDS:-10}" p6="${BENCH_P6_SECONDS:-5}"
MEDIA_SECONDS=$(( (p3 > p6 + 4 ? p3 : p6 + 4) + 4 ))
MEDIA_WIDTH=320 MEDIA_HEIGHT=240 MEDIA_FPS=30 MEDIA_CONTAINER=mp4
media_check_elements
media_generate_clip "$tmp/bench-clip.mp4" ball "bench"

# Child gst-launch-1.0 runs: a folder with only the plugin, a private registry (built here once,
# so that no run pays for the scan).
SWIFT_MULTIURISRC_PLUGIN="$bin/libgstswiftmultiurisrc.so"
export SWIFT_MULTIURISRC_PLUGIN
plugins="$(demo_plugin_dir "$tmp" "$repo")"
demo_gst_env "$tmp" "$plugins"
demo_check_element

args=(--clip "$tmp/bench-clip.mp4" --soak "$bin/swiftmultiurisrc-soak" --plugin-dir "$plugins"
      --registry "$GST_REGISTRY" --app "$bin/swift-multiurisrc-app")
[ -n "$only" ] && args+=(--only "$only")
# The raw output of every run (table and progress) goes to benchmarks/results/, with the date,
# the commit and the machine, so that a table the README quotes can be traced to its run.
results_dir="${BENCH_RESULTS_DIR:-$repo/benchmarks/results}"
mkdir -p "$results_dir"
commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null | head -c1)"
raw="$results_dir/$(date -u +%Y-%m-%dT%H%M%SZ)-$commit${dirty:+-dirty}${only:+-only-${only//,/-}}.txt"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $commit${dirty:+ (working tree with changes)}"
  echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(uname -srm)"
  echo "command: bash scripts/benchmark.sh${only:+ --only $only}"
  echo
} >"$raw"
log "running $bin/swiftmultiurisrc-bench ${args[*]} (raw output: $raw)"
status=0
timeout -k 10 1500 "$bin/swiftmultiurisrc-bench" "${args[@]}" 2> >(tee -a "$raw" >&2) | tee -a "$raw" || status=$?

# The REST parsers under libFuzzer for a bounded time (BENCH_FUZZ_SECONDS, 0 skips; not with --only).
fuzz_seconds="${BENCH_FUZZ_SECONDS:-60}"
if [ -z "$only" ] && [ "$fuzz_seconds" != 0 ]; then
  log "fuzzing the REST parsers for ${fuzz_seconds}s (scripts/fuzz.sh)"
  bash "$repo/scripts/fuzz.sh" "$fuzz_seconds" >&2 || status=$?
fi
exit "$status"
