#!/usr/bin/env bash
# swiftmultiurisrcbin starts with one clip; a second is added and removed again over the REST
# API with curl (DeepStream's stream/add and stream/remove bodies); every answer is printed.
#
#   bash gst-launch-examples/runtime-add-remove.sh
#
# Environment: SINK (default "fakesink sync=true"), MUXER (default "default": every frame with its
# source meta; "compositor" for a mosaic), DEMO_PORT (default: a free port), PLAY_SECONDS (how long
# the second source plays, default 3), LIVE_SOURCE (default true), SWIFT_MULTIURISRC_PLUGIN (the .so; default
# <repo>/.build/release or debug), KEEP_TMP=1. Needs the plugin built: swift build -c release --product gstswiftmultiurisrc
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=lib-media.sh
source "$here/lib-media.sh"

sink="${SINK:-fakesink sync=true}"
muxer="${MUXER:-default}"
play_seconds="${PLAY_SECONDS:-3}"
live_source="${LIVE_SOURCE:-true}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/swift-multiurisrc-addremove.XXXXXX")"
DEMO_PID=""
finish() {
  if [ -n "$DEMO_PID" ] && demo_alive "$DEMO_PID"; then
    kill -INT "$DEMO_PID" 2>/dev/null || true
    demo_wait_exit "$DEMO_PID" 5 || { kill -KILL "$DEMO_PID" 2>/dev/null || true; }
  fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap finish EXIT

media_generate_set "$tmp/media" 2
uri1="$(media_uri "${MEDIA_FILES[0]}")"
uri2="$(media_uri "${MEDIA_FILES[1]}")"

demo_gst_env "$tmp" "$(demo_plugin_dir "$tmp" "$repo")"
demo_check_element
port="${DEMO_PORT:-$(demo_free_port)}"
REST_BASE="http://127.0.0.1:$port/api/v1"
log="$tmp/pipeline.log"

# shellcheck disable=SC2086
demo_start "$log" \
  swiftmultiurisrcbin "uri-list=$uri1" sensor-id-list=cam1 sensor-name-list=ball \
    ip-address=127.0.0.1 "port=$port" "live-source=$live_source" file-loop=true "muxer=$muxer" \
  ! videoconvert ! $sink
rest_wait_ready "$DEMO_PID" 30 || { tail -n 30 "$log"; exit 1; }

rest_call 200 GET stream/get-stream-info || true
rest_call 200 POST stream/add "$(rest_sensor_body camera_add cam2 smpte "$uri2")" || true
sleep "$play_seconds"
rest_call 200 GET stream/get-stream-info || true
rest_call 200 POST stream/remove "$(rest_sensor_body camera_remove cam2 smpte "$uri2")" || true
sleep 1
rest_call 200 GET stream/get-stream-info || true
rest_call 200 POST app/quit '{"stream":{"app_quit":1}}' || true

demo_stop "$DEMO_PID" 20 || true
pid="$DEMO_PID"; DEMO_PID=""
echo
echo "pipeline (PID $pid) exited $DEMO_EXIT_HOW, exit code ${DEMO_EXIT_CODE:-?}"
echo "bin messages on the bus:"
grep -E 'stream-add|stream-remove|force-pipeline-eos' "$log" | sed -e 's/^/  /' || echo "  (none)"
echo "requests: $REST_CALLS, unexpected answers: $REST_UNEXPECTED"
[ "$REST_UNEXPECTED" -eq 0 ]
