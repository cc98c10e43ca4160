#!/usr/bin/env bash
# schemathesis against the running element: the REST answers must conform to the OpenAPI
# document the element serves itself (GET /api/v1/openapi.json, Rest/OpenAPI.swift).
#
#   bash scripts/schemathesis.sh [PLUGIN_DIR]
#
# PLUGIN_DIR (or SWIFT_MULTIURISRC_PLUGIN_DIR, as scripts/run-tests.sh sets it): a folder
# holding libgstswiftmultiurisrc.so. Without either, the plugin is built with
# `swift build --product gstswiftmultiurisrc` (scratch path SWIFT_SCRATCH_PATH, default .build).
#
# Steps:
#  1. schemathesis (pinned below) in a venv under SCHEMATHESIS_VENV (default
#     ~/.cache/swift-multiurisrc/schemathesis-<version>): installed once, reused after.
#  2. a clip (videotestsrc -> x264 -> mp4, 2 s), then
#     gst-launch-1.0 swiftmultiurisrcbin ip-address=127.0.0.1 port=<free> live-source=true
#       file-loop=true drop-pipeline-eos=true uri-list=<clip> ! fakesink
#     with GST_PLUGIN_PATH = a folder holding only a symlink to the plugin, a private
#     GST_REGISTRY, GST_DEBUG=2 (its log is checked for ERROR lines).
#  3. schemathesis run against http://127.0.0.1:<port>/api/v1/openapi.json, checks
#     not_a_server_error, status_code_conformance, content_type_conformance,
#     response_schema_conformance; at most SCHEMATHESIS_MAX_EXAMPLES (25) examples per
#     operation and a deadline per example. app/quit is excluded from fuzzing (it ends the
#     pipeline); it is tested last, on its own: 400 for app_quit 0, then 200 QUIT_SUCCESS
#     and the process must exit by itself with status 0. GET events is excluded too: a
#     text/event-stream ends only when the client goes, and schemathesis reads every body to
#     its end (each example would wait for --request-timeout and fail); EventsTests cover it.
#  4. the pipeline must still be running after the fuzzing (no crash) and its log must hold no
#     ERROR (GStreamer's level, nor an ERROR message on the bus).
#
# Exits non-zero on any failure. Knobs: SCHEMATHESIS_MAX_EXAMPLES, SCHEMATHESIS_TIMEOUT
# (seconds for the schemathesis run, default 90), KEEP_TMP=1.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

st_version="3.39.16"
# hypothesis pinned too: newer ones dropped an internal API hypothesis-jsonschema 0.23.1 uses
# ("'many' object has no attribute 'more'"), and schemathesis 3.x does not bound it.
hypothesis_version="6.125.3"
max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-25}"
st_timeout="${SCHEMATHESIS_TIMEOUT:-200}"
venv="${SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-multiurisrc/schemathesis-$st_version}"

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
for tool in python3 gst-launch-1.0 curl timeout; do
  command -v "$tool" >/dev/null 2>&1 || { echo "schemathesis.sh: $tool not found" >&2; exit 1; }
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/swift-multiurisrc-schemathesis.XXXXXX")"
gst_pid=""
cleanup() {
  if [ -n "$gst_pid" ] && kill -0 "$gst_pid" 2>/dev/null; then
    kill -TERM "$gst_pid" 2>/dev/null || true
    sleep 1
    kill -KILL "$gst_pid" 2>/dev/null || true
  fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "schemathesis.sh: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
fail() { echo "schemathesis.sh: FAILED: $*" >&2; exit 1; }

# --- 1. schemathesis ----------------------------------------------------------------------
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$st_version" \
   || ! "$venv/bin/python" -c "import hypothesis, sys; sys.exit(hypothesis.__version__ != '$hypothesis_version')" 2>/dev/null; then
  echo "==> installing schemathesis $st_version into $venv"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  timeout -k 10 300 "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$st_version" \
    "hypothesis==$hypothesis_version" || fail "pip install schemathesis==$st_version"
fi
"$venv/bin/st" --version

# --- 2. plugin, clip, pipeline ------------------------------------------------------------
plugin_src="${1:-${SWIFT_MULTIURISRC_PLUGIN_DIR:-}}"
if [ -z "$plugin_src" ]; then
  scratch="${SWIFT_SCRATCH_PATH:-$repo/.build}"
  swift build --scratch-path "$scratch" --product gstswiftmultiurisrc >/dev/null
  plugin_src="$(swift build --scratch-path "$scratch" --show-bin-path)"
fi
[ -f "$plugin_src/libgstswiftmultiurisrc.so" ] || fail "no libgstswiftmultiurisrc.so in $plugin_src"
mkdir -p "$tmp/plugin"
ln -s "$(readlink -f "$plugin_src/libgstswiftmultiurisrc.so")" "$tmp/plugin/libgstswiftmultiurisrc.so"
export GST_PLUGIN_PATH="$tmp/plugin" GST_REGISTRY="$tmp/registry.bin"

clip="$tmp/clip.mp4"
timeout -k 5 60 gst-launch-1.0 -q videotestsrc num-buffers=60 pattern=ball \
  ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 \
  ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! h264parse ! mp4mux \
  ! filesink location="$clip" >/dev/null 2>&1 </dev/null || fail "could not make the test clip"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$port"
log="$tmp/gst-launch.log"
echo "==> gst-launch-1.0 swiftmultiurisrcbin port=$port strict-http-status=true uri-list=$clip ! fakesink"
GST_DEBUG="${GST_DEBUG:-2}" GST_DEBUG_NO_COLOR=1 \
  gst-launch-1.0 swiftmultiurisrcbin ip-address=127.0.0.1 port="$port" strict-http-status=true live-source=true file-loop=true \
    drop-pipeline-eos=true width=320 height=240 uri-list="file://$clip" ! fakesink sync=false \
    >"$log" 2>&1 </dev/null &
gst_pid=$!

ready=0
for _ in $(seq 1 100); do
  kill -0 "$gst_pid" 2>/dev/null || { cat "$log"; fail "gst-launch-1.0 exited during start-up"; }
  if curl -fsS "$base/api/v1/health/get-dsready-state" 2>/dev/null | grep -q '"YES"'; then ready=1; break; fi
  sleep 0.1
done
[ "$ready" = 1 ] || { cat "$log"; fail "the pipeline did not report ds-ready within 10 s"; }
curl -fsS "$base/api/v1/openapi.json" -o "$tmp/openapi.json" || fail "GET /api/v1/openapi.json"
echo "openapi.json: $(wc -c <"$tmp/openapi.json") bytes"

# --- 3. schemathesis run ------------------------------------------------------------------
echo "==> schemathesis run $base/api/v1/openapi.json (app/quit and events excluded, $max_examples examples each)"
st_rc=0
timeout -k 10 "$st_timeout" env SCHEMATHESIS_HOOKS= "$venv/bin/st" run "$base/api/v1/openapi.json" \
  --base-url "$base/api/v1" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-path-regex "/app/quit$|/events$" \
  --hypothesis-max-examples "$max_examples" \
  --hypothesis-deadline 5000 \
  --hypothesis-derandomize \
  --request-timeout 10000 \
  --workers 2 \
  --no-color \
  </dev/null 2>&1 | tee "$tmp/schemathesis.log" || st_rc=$?
[ "$st_rc" -eq 0 ] || { echo "--- gst-launch log (tail)"; tail -n 40 "$log"; fail "schemathesis exit code $st_rc"; }
# An empty run (every operation errored while generating) exits 0 too: require checks.
if grep -qE 'No checks were performed|Empty test suite|[0-9]+ errored' "$tmp/schemathesis.log" \
   || ! grep -qE '[0-9]+ passed' "$tmp/schemathesis.log"; then
  fail "schemathesis ran no checks or reported errors (see above)"
fi

# --- 4. alive, no ERROR; then app/quit ----------------------------------------------------
kill -0 "$gst_pid" 2>/dev/null || { tail -n 60 "$log"; fail "the pipeline died during the schemathesis run"; }
curl -fsS "$base/api/v1/stream/get-stream-info" >/dev/null || fail "no answer after the schemathesis run"

status_of() {  # status_of JSON: HTTP status of POST app/quit with that body
  curl -s -o "$tmp/quit.json" -w '%{http_code}' -X POST "$base/api/v1/app/quit" -d "$1"
}
[ "$(status_of '{"stream":{"app_quit":0}}')" = 400 ] || fail "app/quit with app_quit 0: expected 400"
[ "$(status_of '{"stream":{"app_quit":1}}')" = 200 ] || fail "app/quit: expected 200"
grep -q '"QUIT_SUCCESS"' "$tmp/quit.json" || fail "app/quit: no QUIT_SUCCESS in $(cat "$tmp/quit.json")"
quit_rc=""
for _ in $(seq 1 100); do
  if ! kill -0 "$gst_pid" 2>/dev/null; then
    wait "$gst_pid" && quit_rc=0 || quit_rc=$?
    gst_pid=""
    break
  fi
  sleep 0.1
done
[ -n "$quit_rc" ] || fail "the pipeline did not end within 10 s of app/quit"
[ "$quit_rc" = 0 ] || { tail -n 40 "$log"; fail "gst-launch-1.0 exited with $quit_rc after app/quit"; }

# GStreamer's ERROR level ("0:00:01.2 1234 0x... ERROR ...") and gst-launch's bus errors.
if grep -E '^[0-9:.]+ +[0-9]+ +0x[0-9a-f]+ +ERROR|^ERROR: from element' "$log" >"$tmp/errors.txt"; then
  head -n 20 "$tmp/errors.txt"
  fail "the pipeline logged ERROR ($(wc -l <"$tmp/errors.txt") lines)"
fi
echo "schemathesis.sh: ok (no 5xx, every answer conforming, pipeline alive, no ERROR; app/quit ended it cleanly)"
