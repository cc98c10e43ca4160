#!/usr/bin/env bash
# Inference interval over REST, DeepStream style: two clips play through swiftmultiurisrcbin into
# swiftinferinterval, which keeps every (interval+1)-th frame of each stream like nvinfer's
# `interval`. curl posts infer/set-interval for stream 0 (interval 2), then for stream 1
# (interval 4); the summary counts kept and dropped frames per stream between the updates.
#
#   swiftmultiurisrcbin ... ! swiftinferinterval interval=0 ! swifteventlog ! fakesink
#   GST_DEBUG=swifteventlog:4, swiftinferinterval:6 (one pass/drop line per frame)
#
#   bash gst-launch-examples/infer-interval-demo.sh
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
tmp="$(mktemp -d "${TMPDIR:-/tmp}/swift-multiurisrc-interval.XXXXXX")"
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
for element in swiftinferinterval swifteventlog; do
  timeout -k 5 60 gst-inspect-1.0 "$element" </dev/null >/dev/null 2>&1 \
    || { demo_log "GStreamer finds no element $element"; exit 1; }
done
port="${DEMO_PORT:-$(demo_free_port)}"
REST_BASE="http://127.0.0.1:$port/api/v1"
log="$tmp/pipeline.log"

export GST_DEBUG="${GST_DEBUG:-swifteventlog:4,swiftinferinterval:6}" GST_DEBUG_NO_COLOR=1
demo_start "$log" \
  swiftmultiurisrcbin "uri-list=$uris" sensor-id-list=cam1,cam2 sensor-name-list=ball,smpte \
    ip-address=127.0.0.1 "port=$port" live-source=true file-loop=true \
  ! swiftinferinterval interval=0 ! swifteventlog ! fakesink sync=true
rest_wait_ready "$DEMO_PID" 30 || { tail -n 30 "$log"; exit 1; }

sleep "$play_seconds"
rest_call 200 POST infer/set-interval '{"stream":{"stream_id":"0","interval":2}}' || true
sleep "$play_seconds"
rest_call 200 POST infer/set-interval '{"stream":{"stream_id":"1","interval":4}}' || true
sleep "$play_seconds"
rest_call 200 POST app/quit '{"stream":{"app_quit":1}}' || true

demo_stop "$DEMO_PID" 20 || true
pid="$DEMO_PID"; DEMO_PID=""
echo
echo "pipeline (PID $pid) exited $DEMO_EXIT_HOW, exit code ${DEMO_EXIT_CODE:-?}"
echo "swifteventlog:"
grep -E 'swifteventlog .*INFER_INTERVAL_UPDATE' "$log" | sed -e 's/^.*> /  /' || echo "  (none)"
# Phases start at each "stream N: interval M" line of swiftinferinterval; within a phase, count
# the pass/drop lines per stream.
echo "frames kept/dropped per stream (phase 0 = before the first update):"
awk '
  /swiftinferinterval/ && /: interval [0-9]+$/ && /stream [0-9]+: interval/ { phase++; next }
  /swiftinferinterval/ && match($0, /stream [0-9]+ frame [0-9]+ \(interval [0-9]+\): (pass|drop)/) {
    split(substr($0, RSTART, RLENGTH), w, " ")
    key = "phase " phase ", stream " w[2] " (interval " substr(w[6], 1, length(w[6]) - 2) ")"
    if (w[7] == "pass") kept[key]++; else dropped[key]++
    seen[key] = 1
  }
  END { for (k in seen) printf "  %s: kept %d, dropped %d\n", k, kept[k], dropped[k] }
' phase=0 "$log" | sort
echo "requests: $REST_CALLS, unexpected answers: $REST_UNEXPECTED"
grep -q 'stream 0: interval 2' "$log" || { demo_log "swiftinferinterval never applied the update"; exit 1; }
[ "$REST_UNEXPECTED" -eq 0 ]
