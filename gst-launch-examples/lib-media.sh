# shellcheck shell=bash
# Shared by gst-launch-examples/*.sh and scripts/setup-and-demo.sh (source it, do not run it):
#
#   media_*  make small H.264 test clips with gst-launch-1.0 (videotestsrc + timeoverlay + x264enc)
#   demo_*   find the built plugin, pick a free port on 127.0.0.1, start and stop a gst-launch-1.0
#            pipeline in the background (every wait bounded; processes are ended by their PID)
#   rest_*   talk to the bin's REST server with curl, showing each request and its answer
#
# Nothing here changes shell options; callers use set -euo pipefail.

# Clip settings (override before calling).
: "${MEDIA_WIDTH:=320}" "${MEDIA_HEIGHT:=240}" "${MEDIA_FPS:=30}" "${MEDIA_SECONDS:=4}"
: "${MEDIA_CONTAINER:=mp4}"   # mp4 (mp4mux) or mkv (matroskamux)

media_log() { printf '[media] %s\n' "$*" >&2; }

# media_check_elements: fail with a hint when an element the clips need is missing.
media_check_elements() {
  local e missing=()
  for e in videotestsrc timeoverlay videoconvert x264enc h264parse mp4mux matroskamux filesink; do
    gst-inspect-1.0 --exists "$e" 2>/dev/null || missing+=("$e")
  done
  if [ "${#missing[@]}" -ne 0 ]; then
    media_log "missing GStreamer elements: ${missing[*]} (bash scripts/install-debian-packages.sh)"
    return 1
  fi
}

# media_generate_clip OUT PATTERN LABEL: a MEDIA_SECONDS long WIDTHxHEIGHT@FPS H.264 clip of
# videotestsrc PATTERN with LABEL and the running time burnt in.
media_generate_clip() {
  local out="$1" pattern="$2" label="$3" mux
  case "$MEDIA_CONTAINER" in
    mp4) mux=mp4mux ;;
    mkv) mux=matroskamux ;;
    *) media_log "MEDIA_CONTAINER must be mp4 or mkv, not $MEDIA_CONTAINER"; return 1 ;;
  esac
  local frames=$(( MEDIA_SECONDS * MEDIA_FPS ))
  # shellcheck disable=SC2086
  if ! timeout -k 5 120 gst-launch-1.0 -q \
      videotestsrc pattern="$pattern" num-buffers="$frames" \
      ! "video/x-raw,width=$MEDIA_WIDTH,height=$MEDIA_HEIGHT,framerate=$MEDIA_FPS/1" \
      ! timeoverlay text="$label" halignment=left valignment=top shaded-background=true font-desc="Sans 12" \
      ! videoconvert ! video/x-raw,format=I420 \
      ! x264enc speed-preset=ultrafast tune=zerolatency bitrate=600 key-int-max="$MEDIA_FPS" \
      ! h264parse ! $mux ! filesink location="$out" </dev/null >/dev/null; then
    media_log "failed to make $out"
    return 1
  fi
  if [ ! -s "$out" ]; then
    media_log "empty clip $out"
    return 1
  fi
  media_log "made $out ($(wc -c <"$out") bytes, ${MEDIA_SECONDS}s ${MEDIA_WIDTH}x${MEDIA_HEIGHT}@${MEDIA_FPS} $pattern)"
}

# media_generate_set DIR [COUNT]: COUNT (1-3, default 3) clips in DIR, named after the
# sensors the demos give them; sets the array MEDIA_FILES to their absolute paths.
media_generate_set() {
  local dir="$1" count="${2:-3}" i
  local names=(cam1-ball cam2-smpte cam3-pinwheel) patterns=(ball smpte pinwheel) labels=(cam1 cam2 cam3)
  [ "$count" -ge 1 ] && [ "$count" -le 3 ] || { media_log "count must be 1-3"; return 1; }
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  media_check_elements || return 1
  MEDIA_FILES=()
  for (( i = 0; i < count; i++ )); do
    local out="$dir/${names[$i]}.$MEDIA_CONTAINER"
    media_generate_clip "$out" "${patterns[$i]}" "${labels[$i]} ${patterns[$i]}" || return 1
    MEDIA_FILES+=("$out")
  done
}

# media_uri PATH: file:// URI of PATH (absolute; spaces, '%', ',' and '#' escaped — a ',' would
# otherwise split uri-list).
media_uri() {
  local p
  p="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
  p="${p//%/%25}"; p="${p// /%20}"; p="${p//,/%2C}"; p="${p//#/%23}"
  printf 'file://%s' "$p"
}

# ---------------------------------------------------------------------------------------------

demo_log() { printf '[demo] %s\n' "$*" >&2; }

# demo_plugin_dir TMPDIR REPO: prints a folder holding only libgstswiftmultiurisrc.so (a
# symlink), for GST_PLUGIN_PATH. GStreamer blacklists any other .so in GST_PLUGIN_PATH, and
# SwiftPM's bin folder also holds libswiftcustomevents.so. The plugin is taken from
# SWIFT_MULTIURISRC_PLUGIN (a file) when set, else <repo>/.build/release, else .build/debug.
demo_plugin_dir() {
  local tmp="$1" repo="$2" so="" c
  if [ -n "${SWIFT_MULTIURISRC_PLUGIN:-}" ]; then
    so="$SWIFT_MULTIURISRC_PLUGIN"
  else
    for c in "$repo/.build/release" "$repo/.build/debug"; do
      if [ -f "$c/libgstswiftmultiurisrc.so" ]; then so="$c/libgstswiftmultiurisrc.so"; break; fi
    done
  fi
  if [ -z "$so" ] || [ ! -f "$so" ]; then
    demo_log "libgstswiftmultiurisrc.so not found: build it first (swift build -c release --product gstswiftmultiurisrc)," \
      "or set SWIFT_MULTIURISRC_PLUGIN=/path/to/libgstswiftmultiurisrc.so"
    return 1
  fi
  mkdir -p "$tmp/gst-plugins"
  ln -sf "$(cd "$(dirname "$so")" && pwd)/$(basename "$so")" "$tmp/gst-plugins/libgstswiftmultiurisrc.so"
  printf '%s' "$tmp/gst-plugins"
}

# demo_gst_env TMPDIR PLUGIN_DIR: exports GST_PLUGIN_PATH and a private GST_REGISTRY (a plugin
# that fails to load is then not remembered as blacklisted in ~/.cache).
demo_gst_env() {
  export GST_PLUGIN_PATH="$2"
  export GST_REGISTRY="$1/gst-registry.bin"
}

# demo_check_element: gst-inspect-1.0 swiftmultiurisrcbin, in the current GST_* environment.
demo_check_element() {
  if ! timeout -k 5 60 gst-inspect-1.0 swiftmultiurisrcbin >/dev/null 2>&1 </dev/null; then
    demo_log "GStreamer finds no element swiftmultiurisrcbin in $GST_PLUGIN_PATH"
    timeout -k 5 60 gst-inspect-1.0 swiftmultiurisrc 2>&1 </dev/null | sed -n '1,12p' >&2 || true
    return 1
  fi
}

# demo_free_port: prints a TCP port free on 127.0.0.1.
demo_free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' \
      && return 0
  fi
  local p
  for (( p = 19000 + RANDOM % 500; p < 20000; p++ )); do
    # Refused means nobody listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  demo_log "no free port found in 19000-19999"
  return 1
}

# demo_start LOG ARGS...: gst-launch-1.0 -e -m ARGS in the background, output to LOG; sets
# DEMO_PID. (-m prints bus messages, so LOG shows the bin's stream-add/stream-remove.)
demo_start() {
  local log="$1"; shift
  demo_log "gst-launch-1.0 -e -m $*"
  gst-launch-1.0 -e -m "$@" </dev/null >"$log" 2>&1 &
  DEMO_PID=$!
  demo_log "pipeline PID $DEMO_PID, log $log"
}

# demo_alive PID
demo_alive() { kill -0 "$1" 2>/dev/null; }

# demo_wait_exit PID SECONDS: waits at most SECONDS for PID (a child of this shell) to exit;
# sets DEMO_EXIT_CODE when it did and returns 0, else returns 1.
demo_wait_exit() {
  local pid="$1" limit=$(( $2 * 10 )) i
  for (( i = 0; i < limit; i++ )); do
    demo_alive "$pid" || break
    sleep 0.1
  done
  if demo_alive "$pid"; then return 1; fi
  DEMO_EXIT_CODE=0
  wait "$pid" 2>/dev/null || DEMO_EXIT_CODE=$?
  return 0
}

# demo_stop PID WAIT_SECONDS: gives PID WAIT_SECONDS to exit by itself, then escalates:
# SIGINT (gst-launch -e sends EOS), SIGTERM, SIGKILL. Sets DEMO_EXIT_HOW and DEMO_EXIT_CODE.
demo_stop() {
  local pid="$1" grace="$2" sig
  DEMO_EXIT_HOW="" DEMO_EXIT_CODE=""
  if demo_wait_exit "$pid" "$grace"; then DEMO_EXIT_HOW="by itself"; return 0; fi
  for sig in INT TERM KILL; do
    demo_log "pipeline still running: sending SIG$sig to PID $pid"
    kill "-$sig" "$pid" 2>/dev/null || true
    if demo_wait_exit "$pid" 10; then DEMO_EXIT_HOW="after SIG$sig"; return 0; fi
  done
  DEMO_EXIT_HOW="did not exit"
  return 1
}

# ---------------------------------------------------------------------------------------------

# REST_BASE must be set, e.g. http://127.0.0.1:9000/api/v1
REST_CALLS=0 REST_UNEXPECTED=0

# rest_call EXPECTED_STATUS METHOD ROUTE [JSON]: shows the request and the answer; counts an
# answer whose outcome (the body's "status", else the HTTP status) differs from EXPECTED_STATUS in
# REST_UNEXPECTED. Sets REST_STATUS (the outcome) and
# REST_BODY. Returns 0 unless curl itself failed (no answer at all).
rest_call() {
  local expected="$1" method="$2" route="$3" body="${4:-}" out rc=0
  out="$(mktemp)"
  REST_CALLS=$((REST_CALLS + 1))
  printf '\n>>> %s %s/%s\n' "$method" "$REST_BASE" "$route"
  local args=(-sS --max-time 10 -o "$out" -w '%{http_code}' -X "$method")
  if [ -n "$body" ]; then
    printf '    %s\n' "$body"
    args+=(-H 'Content-Type: application/json' --data-binary "$body")
  fi
  local http outcome
  http="$(curl "${args[@]}" "$REST_BASE/$route" </dev/null)" || rc=$?
  REST_BODY="$(cat "$out")"
  rm -f "$out"
  # The outcome is the body's "status" (DeepStream sends status line 200 for every outcome of its
  # routes unless strict-http-status=true); the status line when the body has none.
  outcome="$(grep -o '"status" *: *"HTTP/1\.1 [0-9]*' <<<"$REST_BODY" | grep -o '[0-9]*$' | head -n 1)"
  REST_STATUS="${outcome:-$http}"
  if [ "$REST_STATUS" = "$http" ]; then
    printf '<<< HTTP %s\n    %s\n' "$http" "$REST_BODY"
  else
    printf '<<< HTTP %s, outcome %s (body "status")\n    %s\n' "$http" "$REST_STATUS" "$REST_BODY"
  fi
  if [ "$REST_STATUS" != "$expected" ]; then
    printf '    (expected %s)\n' "$expected"
    REST_UNEXPECTED=$((REST_UNEXPECTED + 1))
  fi
  return "$rc"
}

# rest_wait_ready PID SECONDS: polls GET version until it answers 200, PID exits, or SECONDS pass.
rest_wait_ready() {
  local pid="$1" limit=$(( $2 * 2 )) i code
  for (( i = 0; i < limit; i++ )); do
    if ! demo_alive "$pid"; then demo_log "pipeline exited before the REST server answered"; return 1; fi
    code="$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$REST_BASE/version" </dev/null)" || true
    if [ "$code" = 200 ]; then demo_log "REST server ready after ~$(( i / 2 ))s"; return 0; fi
    sleep 0.5
  done
  demo_log "REST server did not answer GET $REST_BASE/version within $2s"
  return 1
}

# rest_sensor_body CHANGE CAMERA_ID CAMERA_NAME CAMERA_URL: DeepStream's stream/add|remove body.
rest_sensor_body() {
  printf '{"key":"sensor","value":{"camera_id":"%s","camera_name":"%s","camera_url":"%s","change":"%s","metadata":{"resolution":"%sx%s","codec":"h264","framerate":%s}},"headers":{"source":"vst","created_at":"2021-06-01T14:34:13.417Z"}}' \
    "$2" "$3" "$4" "$1" "$MEDIA_WIDTH" "$MEDIA_HEIGHT" "$MEDIA_FPS"
}
