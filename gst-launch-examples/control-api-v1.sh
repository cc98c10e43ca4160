#!/usr/bin/env bash
# The Control API v1 service (seed 004) as one gst-launch line: swiftmultiurisrcbin (REST server,
# lowest-free ids) ! swiftrtspoutbin (one RTSP output per stream, configured by the seed's
# environment variables). Prints the curl commands to try, then checks them itself:
# requestStream without and with a url, an RTSP client on the answer's rtspUrl, GET /streams,
# deleteStream and its 404 afterwards, a 400 and a 429.
#
#   bash gst-launch-examples/control-api-v1.sh
#   HOLD=1 CTRL_PORT=8080 RTSP_PORT=8554 bash gst-launch-examples/control-api-v1.sh   # keep it running for your own curl / VLC
#
# Environment (the seed's): CTRL_PORT, RTSP_PORT (default: free ports), BASE_UDP_PORT (5000),
# PUBLIC_HOST (127.0.0.1), SAMPLE_URI (default: a generated clip), HW_THRESHOLD, SW_MAX (default 2
# here, so the 429 shows), MAX_STREAMS, X264_THREADS (2), IDLE_TTL_SECS (60). Also HOLD=1 (run until
# Ctrl-C after the checks), SWIFT_MULTIURISRC_PLUGIN, KEEP_TMP=1. Needs the plugin built (swift build
# -c release --product gstswiftmultiurisrc), curl and ffprobe (Debian's ffmpeg).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=lib-media.sh
source "$here/lib-media.sh"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/swift-multiurisrc-ctrlapi.XXXXXX")"
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
demo_gst_env "$tmp" "$(demo_plugin_dir "$tmp" "$repo")"
demo_check_element

export CTRL_PORT="${CTRL_PORT:-$(demo_free_port)}"
export RTSP_PORT="${RTSP_PORT:-$(demo_free_port)}"
export PUBLIC_HOST="${PUBLIC_HOST:-127.0.0.1}"
export SAMPLE_URI="${SAMPLE_URI:-$(media_uri "${MEDIA_FILES[0]}")}"
export SW_MAX="${SW_MAX:-2}"
export X264_THREADS="${X264_THREADS:-2}"
export IDLE_TTL_SECS="${IDLE_TTL_SECS:-60}"
second_uri="$(media_uri "${MEDIA_FILES[1]}")"
base="http://127.0.0.1:$CTRL_PORT"
REST_BASE="$base"
log="$tmp/pipeline.log"

# The whole service: every swiftrtspoutbin property takes its default from the variables above.
demo_start "$log" \
  swiftmultiurisrcbin ip-address=0.0.0.0 "port=$CTRL_PORT" live-source=true file-loop=true \
    source-id-allocation=lowest-free width=320 height=240 \
  ! swiftrtspoutbin
rest_wait_ready "$DEMO_PID" 30 || { tail -n 30 "$log"; exit 1; }

cat <<EOF

Service up: control http://$PUBLIC_HOST:$CTRL_PORT, RTSP rtsp://$PUBLIC_HOST:$RTSP_PORT/s<id>. Try:

  curl -sS -X POST -H 'Content-Type: application/json' -d '{"url":"$second_uri"}' $base/requestStream
  curl -sS -X POST -H 'Content-Type: application/json' -d '{}' $base/requestStream      # SAMPLE_URI
  curl -sS $base/streams
  ffplay rtsp://$PUBLIC_HOST:$RTSP_PORT/s0      # or vlc, or ffprobe
  curl -sS -X DELETE $base/deleteStream/0
EOF

failures=0
check() { # check DESCRIPTION CONDITION...
  local what="$1"; shift
  if "$@"; then printf '    ok: %s\n' "$what"; else printf '    FAILED: %s\n' "$what"; failures=$((failures + 1)); fi
}

rest_call 200 POST requestStream '{"label":"sample"}' || true
check "first stream is /s0" grep -q '"streamId":0,"rtspUrl":"rtsp://'"$PUBLIC_HOST:$RTSP_PORT"'/s0"' <<<"$REST_BODY"
rest_call 200 POST requestStream "{\"url\":\"$second_uri\",\"label\":\"smpte\"}" || true
check "second stream is /s1" grep -q '"streamId":1' <<<"$REST_BODY"
rest_call 429 POST requestStream '{}' || true
check "429 names the three limits" grep -q '"error":"capacity_exceeded","max":2,"hw_max":0,"sw_max":2' <<<"$REST_BODY"
rest_call 400 POST requestStream '{"url":"not a uri"}' || true
check "400 names url" grep -q '"error":"invalid_param","message":"url' <<<"$REST_BODY"

probe="$(timeout -k 5 30 ffprobe -v error -rtsp_transport tcp -select_streams v \
  -show_entries stream=codec_name,width,height -of csv=p=0 "rtsp://127.0.0.1:$RTSP_PORT/s1" </dev/null 2>&1 || true)"
printf '\n>>> ffprobe rtsp://127.0.0.1:%s/s1\n<<< %s\n' "$RTSP_PORT" "$probe"
check "an independent client plays /s1 (h264 320x240)" test "$probe" = "h264,320,240"

rest_call 200 GET streams || true
check "two streams listed, ready" test "$(grep -o '"state":"ready"' <<<"$REST_BODY" | wc -l)" -eq 2
rest_call 200 DELETE deleteStream/1 || true
check "deleted 1" test "$REST_BODY" = '{"deleted":1}'
rest_call 404 DELETE deleteStream/1 || true
gone="$(timeout -k 5 20 ffprobe -v error -rtsp_transport tcp "rtsp://127.0.0.1:$RTSP_PORT/s1" </dev/null 2>&1 || true)"
printf '\n>>> ffprobe rtsp://127.0.0.1:%s/s1 (deleted)\n<<< %s\n' "$RTSP_PORT" "$gone"
check "/s1 answers 404 after the delete" grep -q '404' <<<"$gone"

if [ "${HOLD:-0}" = 1 ]; then
  echo; echo "HOLD=1: the service runs until Ctrl-C (PID $DEMO_PID)"
  wait "$DEMO_PID" || true
fi

demo_stop "$DEMO_PID" 0 || true
pid="$DEMO_PID"; DEMO_PID=""
echo
echo "pipeline (PID $pid) exited $DEMO_EXIT_HOW, exit code ${DEMO_EXIT_CODE:-?}"
if grep -q '^ERROR' "$log"; then grep '^ERROR' -A3 "$log"; failures=$((failures + 1)); fi
echo "requests: $REST_CALLS, unexpected answers: $REST_UNEXPECTED, failed checks: $failures"
[ "$REST_UNEXPECTED" -eq 0 ] && [ "$failures" -eq 0 ]
