#!/usr/bin/env bash
# First command of the README: bash scripts/setup-and-demo.sh
#
# Installs the Debian packages (scripts/debian-packages.txt), builds the plugin (release),
# makes three small H.264 clips, plays two of them through swiftmultiurisrcbin (compositor
# mosaic, REST server on 127.0.0.1), then drives the REST API with curl the way a DeepStream
# application would: stream info, add the third clip, ROI and decoder updates, a bad request,
# remove, app/quit. Every request and answer is shown; every wait is bounded.
#
#   --prepare-only   stop after packages, build and clips (no pipeline)
#
# Environment (optional): SWIFT_SCRATCH_PATH (SwiftPM scratch path, default <repo>/.build),
# SKIP_APT=1 (do not touch Debian packages), DEMO_PORT (default: a free port), KEEP_TMP=1 (keep
# clips and logs), READY_TIMEOUT (seconds for the REST server to come up, default 30),
# EXIT_TIMEOUT (seconds for the pipeline to exit after app/quit, default 20).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=../gst-launch-examples/lib-media.sh
source "$repo/gst-launch-examples/lib-media.sh"

prepare_only=0
case "${1:-}" in
  "") ;;
  --prepare-only) prepare_only=1 ;;
  *) echo "usage: $0 [--prepare-only]" >&2; exit 2 ;;
esac

ready_timeout="${READY_TIMEOUT:-30}"
exit_timeout="${EXIT_TIMEOUT:-20}"
say() { printf '\n==> %s\n' "$*"; }

# --- 1. Debian packages --------------------------------------------------------------------
say "Debian packages (scripts/debian-packages.txt)"
if [ "${SKIP_APT:-0}" = 1 ]; then
  echo "SKIP_APT=1: not checked"
else
  bash "$repo/scripts/install-debian-packages.sh" --if-missing </dev/null
fi

# --- 2. build ------------------------------------------------------------------------------
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
command -v swift >/dev/null 2>&1 || { echo "swift not found (expected at /opt/swift/usr/bin)" >&2; exit 1; }
scratch="${SWIFT_SCRATCH_PATH:-$repo/.build}"
# The two library products only (test tools that use @testable do not build in release).
for product in gstswiftmultiurisrc swiftcustomevents; do
  say "swift build -c release --scratch-path $scratch --product $product"
  timeout -k 30 1800 swift build -c release --scratch-path "$scratch" --product "$product" </dev/null
done
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path </dev/null)"
ls -l "$bin/libgstswiftmultiurisrc.so" "$bin/libswiftcustomevents.so"

# --- 3. clips ------------------------------------------------------------------------------
tmp="$(mktemp -d "${TMPDIR:-/tmp}/swift-multiurisrc-demo.XXXXXX")"
DEMO_PID=""
finish() {
  if [ -n "$DEMO_PID" ] && demo_alive "$DEMO_PID"; then
    demo_log "ending pipeline PID $DEMO_PID"
    kill -INT "$DEMO_PID" 2>/dev/null || true
    demo_wait_exit "$DEMO_PID" 5 || { kill -KILL "$DEMO_PID" 2>/dev/null || true; }
  fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap finish EXIT

say "three test clips (${MEDIA_WIDTH}x${MEDIA_HEIGHT} ${MEDIA_FPS} fps, ${MEDIA_SECONDS} s, H.264 in $MEDIA_CONTAINER) in $tmp/media"
media_generate_set "$tmp/media" 3
uri1="$(media_uri "${MEDIA_FILES[0]}")"
uri2="$(media_uri "${MEDIA_FILES[1]}")"
uri3="$(media_uri "${MEDIA_FILES[2]}")"

plugin_dir="$(SWIFT_MULTIURISRC_PLUGIN="$bin/libgstswiftmultiurisrc.so" demo_plugin_dir "$tmp" "$repo")"
demo_gst_env "$tmp" "$plugin_dir"

if [ "$prepare_only" = 1 ]; then
  say "--prepare-only: packages, build and clips done"
  printf '%s\n' "${MEDIA_FILES[@]}"
  if demo_check_element; then echo "swiftmultiurisrcbin: found"; else echo "swiftmultiurisrcbin: NOT found"; fi
  exit 0
fi

# --- 4. pipeline ---------------------------------------------------------------------------
say "swiftmultiurisrcbin with two clips, REST server on 127.0.0.1"
demo_check_element
port="${DEMO_PORT:-$(demo_free_port)}"
REST_BASE="http://127.0.0.1:$port/api/v1"
log="$tmp/pipeline.log"
# fakesink sync=true: play in real time instead of as fast as the CPU allows.
demo_start "$log" \
  swiftmultiurisrcbin name=src "uri-list=$uri1,$uri2" sensor-id-list=cam1,cam2 sensor-name-list=ball,smpte \
    ip-address=127.0.0.1 "port=$port" live-source=true file-loop=true \
    muxer=compositor width=640 height=480 \
  ! videoconvert ! fakesink sync=true
if ! rest_wait_ready "$DEMO_PID" "$ready_timeout"; then
  echo "--- last lines of $log"; tail -n 30 "$log"
  exit 1
fi

# --- 5. REST calls -------------------------------------------------------------------------
say "REST API at $REST_BASE"
sensor_add="$(rest_sensor_body camera_add cam3 third "$uri3")"
sensor_remove="$(rest_sensor_body camera_remove cam3 third "$uri3")"
bad_add="$(rest_sensor_body camera_add cam4 fourth "")"
roi='{"stream":{"stream_id":"0","roi_count":2,"roi":[{"roi_id":"0","left":100,"top":300,"width":400,"height":400},{"roi_id":"1","left":550,"top":300,"width":500,"height":500}]}}'
drop='{"stream":{"stream_id":"0","drop_frame_interval":2}}'
quit='{"stream":{"app_quit":1}}'

curl_failed=0
call() { rest_call "$@" || curl_failed=$((curl_failed + 1)); }
call 200 GET version
call 200 GET stream/get-stream-info
call 200 POST stream/add "$sensor_add"
sleep 2   # let the new source reach PLAYING
call 200 GET stream/get-stream-info
call 200 POST roi/update "$roi"
call 200 POST dec/drop-frame-interval "$drop"
echo; echo "--- a bad request: stream/add with an empty camera_url"
call 400 POST stream/add "$bad_add"
call 200 POST stream/remove "$sensor_remove"
sleep 1
call 200 GET stream/get-stream-info
call 200 POST app/quit "$quit"

# --- 6. shutdown and summary ---------------------------------------------------------------
say "waiting (at most ${exit_timeout}s) for the pipeline to exit after app/quit"
demo_stop "$DEMO_PID" "$exit_timeout" || true
pid="$DEMO_PID"; DEMO_PID=""

say "summary"
# REST_UNEXPECTED counts every call whose status was not the expected one, no answer included.
echo "REST requests:        $REST_CALLS, answered as expected: $((REST_CALLS - REST_UNEXPECTED)), other status: $((REST_UNEXPECTED - curl_failed)), no answer: $curl_failed"
echo "pipeline (PID $pid):  exited $DEMO_EXIT_HOW, exit code ${DEMO_EXIT_CODE:-?}"
echo "bin messages on the bus (gst-launch -m):"
grep -E 'stream-add|stream-remove|force-pipeline-eos|attempt-exceeded' "$log" | sed -e 's/^/  /' | head -n 20 || echo "  (none)"
errors="$(grep -cE '^ERROR|ERROR:|CRITICAL|WARNING:' "$log" || true)"
echo "error/warning lines in the pipeline log: $errors"
[ "$errors" = 0 ] || grep -E '^ERROR|ERROR:|CRITICAL|WARNING:' "$log" | head -n 10 | sed -e 's/^/  /'
if [ "${KEEP_TMP:-0}" = 1 ]; then echo "pipeline log: $log"; fi

if [ "$REST_UNEXPECTED" -ne 0 ] || [ "$DEMO_EXIT_HOW" != "by itself" ]; then
  echo "demo: finished with problems (see above)"
  exit 1
fi
echo "demo: all requests answered as expected; the pipeline quit by itself after app/quit"
