#!/usr/bin/env bash
# ROI updates over REST, DeepStream style: two clips play through swiftmultiurisrcbin, curl posts
# roi/update for stream 0 and then stream 1, swiftroimeta attaches the rectangles to that stream's
# buffers as GstVideoRegionOfInterestMeta and swifteventlog prints each event in words:
#
#   swiftmultiurisrcbin ... ! swiftroimeta ! swifteventlog ! fakesink
#   GST_DEBUG=swifteventlog:4 (events in words), swiftroimeta:6 (one line per buffer with ROIs)
#
#   bash gst-launch-examples/roi-update-demo.sh
#
# Environment: DEMO_PORT (default: a free port), PLAY_SECONDS (time between requests, default 2),
# SWIFT_MULTIURISRC_PLUGIN (the .so; default <repo>/.build/release or debug), KEEP_TMP=1.
# Talks to 127.0.0.1 only; every wait is bounded. Needs the plugin built: swift build -c release
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=lib-media.sh
source "$here/lib-media.sh"

play_seconds="${PLAY_SECONDS:-2}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/swift-multiurisrc-roi.XXXXXX")"
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
uris="$(media_uri "${MEDIA_FILES[0]}"),$(media_uri "${MEDIA_FILES[1]}")"

demo_gst_env "$tmp" "$(demo_plugin_dir "$tmp" "$repo")"
demo_check_element
for element in swiftroimeta swifteventlog; do
  timeout -k 5 60 gst-inspect-1.0 "$element" </dev/null >/dev/null 2>&1 \
    || { demo_log "GStreamer finds no element $element"; exit 1; }
done
port="${DEMO_PORT:-$(demo_free_port)}"
REST_BASE="http://127.0.0.1:$port/api/v1"
log="$tmp/pipeline.log"

export GST_DEBUG="${GST_DEBUG:-swifteventlog:4,swiftroimeta:6}" GST_DEBUG_NO_COLOR=1
demo_start "$log" \
  swiftmultiurisrcbin "uri-list=$uris" sensor-id-list=cam1,cam2 sensor-name-list=ball,smpte \
    ip-address=127.0.0.1 "port=$port" live-source=true file-loop=true \
  ! swiftroimeta ! swifteventlog ! fakesink sync=true
rest_wait_ready "$DEMO_PID" 30 || { tail -n 30 "$log"; exit 1; }

sleep "$play_seconds"
# DeepStream's documented payload: two rectangles for stream 0.
rest_call 200 POST roi/update \
  '{"stream":{"stream_id":"0","roi_count":2,"roi":[{"roi_id":"0","left":100,"top":300,"width":400,"height":400},{"roi_id":"1","left":10,"top":20,"width":30,"height":40}]}}' \
  || true
sleep "$play_seconds"
# Stream 1 gets its own list; stream 0 keeps its two.
rest_call 200 POST roi/update \
  '{"stream":{"stream_id":"1","roi_count":1,"roi":[{"roi_id":"door","left":0,"top":0,"width":160,"height":120}]}}' \
  || true
sleep "$play_seconds"
rest_call 200 POST app/quit '{"stream":{"app_quit":1}}' || true

demo_stop "$DEMO_PID" 20 || true
pid="$DEMO_PID"; DEMO_PID=""
echo
echo "pipeline (PID $pid) exited $DEMO_EXIT_HOW, exit code ${DEMO_EXIT_CODE:-?}"
echo "swifteventlog (custom events in words):"
grep -E 'swifteventlog .*(ROI_UPDATE|PAD_|STREAM_)' "$log" | sed -e 's/^.*> /  /' || echo "  (none)"
echo "swiftroimeta: buffers that carried ROI metas, per stream:"
grep -oE 'stream [0-9]+: [0-9]+ roi meta\(s\) attached' "$log" | sort | uniq -c | sed -e 's/^/  /' \
  || echo "  (none)"
echo "requests: $REST_CALLS, unexpected answers: $REST_UNEXPECTED"
grep -q 'ROI_UPDATE stream 0: 2 rois' "$log" || { demo_log "swifteventlog never saw the ROI update"; exit 1; }
[ "$REST_UNEXPECTED" -eq 0 ]
