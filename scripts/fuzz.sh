#!/usr/bin/env bash
# libFuzzer over the REST layer, two targets:
#   routes  the request parsers (Rest/RestFuzzEntry.swift, Tests/Fuzz/RestFuzzTarget.swift): the first
#           byte picks a POST route, the rest is its body; seeds Tests/Fuzz/corpus
#   http    whole HTTP requests (Tests/Fuzz/RestHTTPFuzzTarget.swift): each input is written to a real
#           in-process RestServer over loopback, through civetweb and ServerCore.handle; seeds
#           Tests/Fuzz/http-corpus. Fails on a crash, a non-HTTP answer, or a health GET left unanswered
#           (with both retries, or more than three times in a run; a single miss is printed).
#
#   bash scripts/fuzz.sh [SECONDS] [routes|http|all]      (defaults: 60, all; SECONDS per target)
#
# 1. swift build --product swiftcustomevents (scratch path FUZZ_SCRATCH_PATH, default
#    <repo>/.build-fuzz): the C glue objects and libswiftcustomevents.so the targets link against.
# 2. swiftc -sanitize=fuzzer,address over the REST sources plus both targets (Tests/Fuzz/FuzzMain.swift
#    picks one per run from SWIFT_MULTIURISRC_FUZZ_TARGET): one binary, <scratch>/rest-fuzz, built
#    once for both runs, not through SwiftPM (Package.swift is untouched). Rebuilt only when a
#    source changed.
# 3. runs each target for SECONDS (-max_total_time) on a working copy of its seed corpus; new inputs
#    stay in the working copy (FUZZ_WORK, default <scratch>/fuzz-work[-http]), crashes are written
#    there and make this script fail. Prints executions, exec/s and coverage.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
seconds="${1:-60}"
which="${2:-all}"
[[ "$seconds" =~ ^[0-9]+$ ]] && [[ "$which" =~ ^(routes|http|all)$ ]] \
  || { echo "usage: bash scripts/fuzz.sh [SECONDS] [routes|http|all]" >&2; exit 2; }

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
scratch="${FUZZ_SCRATCH_PATH:-$repo/.build-fuzz}"

echo "==> swift build --product swiftcustomevents (scratch path $scratch)"
swift build --scratch-path "$scratch" --product swiftcustomevents 2>&1 | tail -n 1
bin="$(swift build --scratch-path "$scratch" --show-bin-path)"
glue="$bin/GstSwiftBridge.build"
[ -f "$glue/module.modulemap" ] || { echo "fuzz.sh: no $glue/module.modulemap" >&2; exit 1; }

src=Sources/swiftmultiurisrc
common=(
  "$src/Rest/JSON.swift" "$src/Rest/RestHTTP.swift" "$src/Rest/OpenAPI.swift" "$src/Rest/RestFuzzEntry.swift"
  "$src/Rest/RestCounters.swift" "$src/Rest/PrometheusText.swift" "$src/Rest/RestStreaming.swift"
  "$src"/Rest/Routes/*.swift "$src/Support/ProcStats.swift" "$src/Bin/FailureCause.swift"
  "$src"/Control/*.swift "$src/Support/DebugCategory.swift" "$src"/Console/*.swift
  Tests/Fuzz/FuzzControl.swift
  # Routes name the server's types (streaming routes, counters): both targets build it.
  "$src/Rest/RestServer.swift" "$src/Rest/RestServerCore.swift" "$src/Rest/RestRouteRegistry.swift"
  "$src/Rest/RestTLS.swift" "$src/Support/DetachedThread.swift" "$src/Support/PerThread.swift"
)

target="$scratch/rest-fuzz"
sources=("${common[@]}" Tests/Fuzz/RestFuzzTarget.swift Tests/Fuzz/RestHTTPFuzzTarget.swift Tests/Fuzz/FuzzMain.swift)

# build: the one binary of both targets, when a source (or this script) changed.
build() {
local stamp
stamp="$(cat "${sources[@]}" "$0" | sha256sum | cut -c1-16)"
if [ ! -x "$target" ] || [ "$(cat "$target.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "==> swiftc -sanitize=fuzzer,address (${#sources[@]} files) -> $target"
  local t0=$SECONDS
  modmaps=(-Xcc "-fmodule-map-file=$glue/module.modulemap")
  for m in CCivetweb CJansson CGstRtspServer CGstApp CGstVideo CGstBase CGStreamer; do
    modmaps+=(-Xcc "-fmodule-map-file=$repo/Sources/GstSwiftBridge/$m/module.modulemap")
  done
  # -parse-as-library: no main.swift; libFuzzer brings main(). -O keeps exec/s useful.
  # Output to a log: ld.gold warns about every ASan helper symbol; shown in full on failure.
  if ! swiftc -sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 -module-name swiftmultiurisrc \
    "${sources[@]}" -o "$target" \
    -I "$bin/Modules" -Xcc -I -Xcc "$repo/Sources/GstSwiftBridge/glue/include" "${modmaps[@]}" \
    -Xcc -I/usr/include/gstreamer-1.0 -Xcc -I/usr/include/glib-2.0 \
    -Xcc "-I/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)/glib-2.0/include" \
    "$glue"/*.c.o -L "$bin" -lswiftcustomevents -Xlinker -rpath -Xlinker "$bin" \
    -lgstreamer-1.0 -lgobject-2.0 -lglib-2.0 -lgstbase-1.0 -lgstvideo-1.0 -lgstapp-1.0 \
    -lgstrtspserver-1.0 -lgstrtsp-1.0 -lgstsdp-1.0 -lgstnet-1.0 -ljansson -lcivetweb \
    >"$target-build.log" 2>&1; then
    grep -v 'ld.gold: warning: Cannot export local symbol' "$target-build.log" | tail -n 60
    echo "fuzz.sh: building the fuzz target FAILED (log: $target-build.log)" >&2
    return 1
  fi
  grep -E '\.swift:[0-9]+:[0-9]+: warning:' "$target-build.log" || true
  echo "$stamp" >"$target.stamp"
  echo "fuzz.sh: built in $(( SECONDS - t0 ))s"
fi
}

# fuzz NAME: run one target of the binary.
fuzz() {
local name="$1" work seeds maxlen
if [ "$name" = routes ]; then
  work="${FUZZ_WORK:-$scratch/fuzz-work}"; seeds=Tests/Fuzz/corpus; maxlen=4096
else
  work="${FUZZ_WORK:-$scratch/fuzz-work}-http"; seeds=Tests/Fuzz/http-corpus; maxlen=8192
fi
mkdir -p "$work/corpus" "$work/artifacts"
cp -n "$seeds"/* "$work/corpus/" 2>/dev/null || true
echo "==> $target ($name) for ${seconds}s (corpus $work/corpus, seeds $seeds)"
log="$work/fuzz.log"
set +e
# detect_leaks=0: the target keeps one GStreamer init and debug category for the whole run.
SWIFT_MULTIURISRC_FUZZ_TARGET="$name" ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" \
  "$target" -max_total_time="$seconds" -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" >"$log" 2>&1
rc=$?
set -e
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)|ERROR|Fatal|crash-|health miss' "$log" | tail -n 20
if [ "$rc" -ne 0 ]; then
  tail -n 40 "$log"
  echo "fuzz.sh: FAILED (libFuzzer exit $rc; reproducer in $work/artifacts/)" >&2
  exit 1
fi
echo "fuzz.sh: $name ok, no crash in ${seconds}s"
}

build
case "$which" in
  all) fuzz http; fuzz routes ;;
  *) fuzz "$which" ;;
esac
