#!/usr/bin/env bash
# Runs deploy/entrypoint.sh as the container would (deploy/kubernetes/configmap.yaml's values,
# a clean environment, a fresh registry, not root when started as root) against the built
# plugin, and checks what Kubernetes relies on:
#   - /startup, /ready and /live answer 200 YES once the pipeline plays;
#   - URI_LIST and SENSOR_ID_LIST reach the bin (stream-info lists the cameras);
#   - a full instance answers stream/add with outcome 429, ALLOWED_URI_SCHEMES refuses file://;
#   - SIGTERM ends it through EOS (gst-launch-1.0's "Got EOS"), with status 0, well before
#     STOP_GRACE_SECONDS, leaving no process behind; also when it comes while gst-launch-1.0
#     is still starting.
# Control: gst-launch-1.0 started directly (no entrypoint) and sent SIGTERM must fail the same
# stop check (status 143, no EOS), or the check could not tell a clean stop from a kill.
#
#   bash deploy/check-entrypoint.sh
#
# Environment: SWIFT_MULTIURISRC_PLUGIN (the .so; default <repo>/.build/release, else debug),
# SWIFT_MULTIURISRC_PYTHON (a python with PyYAML; default: bash scripts/test-venv.sh), KEEP_TMP=1.
# Overridden from the ConfigMap, and why: REST_ADDRESS=127.0.0.1 (a test machine listens on
# loopback only), REST_PORT (a free port), URI_LIST/SENSOR_ID_LIST (two generated clips),
# FILE_LOOP=true (the clips play as long as the check runs), MAX_BATCH_SIZE=2 (full at two).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=../gst-launch-examples/lib-media.sh
source "$repo/gst-launch-examples/lib-media.sh"

fail() { printf 'check-entrypoint: FAILED: %s\n' "$*" >&2; exit 1; }
say() { printf 'check-entrypoint: %s\n' "$*"; }

py="${SWIFT_MULTIURISRC_PYTHON:-}"
[ -n "$py" ] || py="$(bash "$repo/scripts/test-venv.sh")"
command -v curl >/dev/null 2>&1 || fail "curl not found (bash scripts/install-debian-packages.sh)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/swift-multiurisrc-entrypoint.XXXXXX")"
chmod 755 "$tmp"
PID=""
finish() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -KILL "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap finish EXIT

MEDIA_SECONDS=4 media_generate_set "$tmp/media" 2
plugin_dir="$(demo_plugin_dir "$tmp" "$repo")"
port="$(demo_free_port)"
base="http://127.0.0.1:$port"

# The container's environment: the ConfigMap's data, then the overrides above.
declare -A envs=()
while IFS= read -r -d '' kv; do
  envs["${kv%%=*}"]="${kv#*=}"
done < <("$py" -c '
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
assert doc["kind"] == "ConfigMap", doc["kind"]
for k, v in doc["data"].items():
    sys.stdout.write("%s=%s\0" % (k, v))
' "$repo/deploy/kubernetes/configmap.yaml")
[ "${#envs[@]}" -gt 0 ] || fail "no data read from configmap.yaml"
for key in REST_PORT MAX_BATCH_SIZE ALLOWED_URI_SCHEMES STOP_GRACE_SECONDS; do
  [ -n "${envs[$key]+set}" ] || fail "configmap.yaml has no $key"
done
grace="${envs[STOP_GRACE_SECONDS]}"
configmap_uri_list="${envs[URI_LIST]:-}"
configmap_sensor_ids="${envs[SENSOR_ID_LIST]:-}"
envs[REST_ADDRESS]=127.0.0.1
envs[REST_PORT]="$port"
envs[URI_LIST]="$(media_uri "${MEDIA_FILES[0]}"),$(media_uri "${MEDIA_FILES[1]}")"
envs[SENSOR_ID_LIST]=cam1,cam2
envs[FILE_LOOP]=true
envs[MAX_BATCH_SIZE]=2
# What deployment.yaml sets besides the ConfigMap: the registry in its own emptyDir, HOME=/tmp.
mkdir -p "$tmp/registry" "$tmp/home"
envs[GST_REGISTRY]="$tmp/registry/registry.bin"
envs[HOME]="$tmp/home"
envs[GST_PLUGIN_PATH]="$plugin_dir"
envs[PATH]="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
env_args=()
for key in "${!envs[@]}"; do env_args+=("$key=${envs[$key]}"); done

# As root, run as nobody, as the pod does (runAsNonRoot): only the two folders it writes are its own.
as_user=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
  chown -R 65534:65534 "$tmp/registry" "$tmp/home"
  chmod -R a+rX "$tmp/media" "$tmp/gst-plugins"
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  say "running as UID 65534"
fi

# wait_exit PID SECONDS: at most SECONDS for PID (a child of this shell) to exit; sets STATUS.
wait_exit() {
  local pid="$1" i
  for (( i = 0; i < $2 * 10; i++ )); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && return 1
  STATUS=0
  wait "$pid" || STATUS=$?
}

# get PATH: sets CODE and BODY.
get() {
  BODY="$(curl -s --max-time 5 -o - -w '\n%{http_code}' "$base$1" </dev/null)" || { CODE=000; BODY=""; return 0; }
  CODE="${BODY##*$'\n'}"
  BODY="${BODY%$'\n'*}"
}

# post ROUTE JSON: sets OUTCOME (the body's status; DeepStream's status line is always 200) and BODY.
post() {
  BODY="$(curl -sS --max-time 10 -H 'Content-Type: application/json' --data-binary "$2" "$base/api/v1/$1" </dev/null)" || BODY=""
  OUTCOME="$(grep -o '"status" *: *"HTTP/1\.1 [0-9]*' <<<"$BODY" | grep -o '[0-9]*$' | head -n 1)" || OUTCOME=""
}

sensor() {  # sensor CHANGE CAMERA_ID URL
  printf '{"key":"sensor","value":{"camera_id":"%s","camera_name":"%s","camera_url":"%s","change":"%s"}}' "$2" "$2" "$3" "$1"
}

log="$tmp/entrypoint.log"
say "env -i <configmap.yaml + overrides> bash deploy/entrypoint.sh (port $port)"
env -i "${env_args[@]}" ${as_user[@]+"${as_user[@]}"} bash "$here/entrypoint.sh" </dev/null >"$log" 2>&1 &
PID=$!

# The startup probe's question, asked until it is YES (bounded: a first start scans every plugin).
started=0
for (( i = 0; i < 180; i++ )); do
  kill -0 "$PID" 2>/dev/null || { cat "$log"; fail "entrypoint exited before /startup answered"; }
  get /startup
  if [ "$CODE" = 200 ]; then started=1; break; fi
  sleep 0.5
done
[ "$started" = 1 ] || { cat "$log"; fail "/startup did not answer 200 within 90 s (last: $CODE)"; }
say "/startup 200 after ~$(( i / 2 )) s"

# /live is YES only in PLAYING, which follows PAUSED: asked until YES, bounded.
for probe in startup:startup-info:ds-startup ready:ready-info:ds-ready live:live-info:ds-liveness; do
  IFS=: read -r path member field <<<"$probe"
  for (( i = 0; i < 40; i++ )); do
    get "/$path"
    [ "$CODE" = 200 ] && break
    sleep 0.25
  done
  [ "$CODE" = 200 ] || fail "GET /$path: $CODE $BODY"
  grep -q "\"$member\":{\"$field\":\"YES\"}" <<<"$BODY" || fail "GET /$path: 200 without $field YES: $BODY"
  say "GET /$path 200 $BODY"
done

get /api/v1/stream/get-stream-info
[ "$CODE" = 200 ] || fail "stream-info: $CODE"
grep -q '"stream-count":2' <<<"$BODY" || fail "stream-info: URI_LIST's two cameras are not there: $BODY"
for cam in cam1 cam2; do grep -q "\"camera_id\":\"$cam\"" <<<"$BODY" || fail "stream-info: no $cam: $BODY"; done
say "stream-info lists cam1 and cam2"

post stream/add "$(sensor camera_add cam3 rtsp://127.0.0.1:9/cam3)"
[ "$OUTCOME" = 429 ] || fail "stream/add into a full instance (2 of MAX_BATCH_SIZE 2): outcome '$OUTCOME', expected 429: $BODY"
grep -q 'max-batch-size (2) reached' <<<"$BODY" || fail "429 without its reason: $BODY"
say "full instance: stream/add -> $BODY"

post stream/remove "$(sensor camera_remove cam2 "$(media_uri "${MEDIA_FILES[1]}")")"
[ "$OUTCOME" = 200 ] || fail "stream/remove cam2: outcome '$OUTCOME': $BODY"
post stream/add "$(sensor camera_add cam4 "$(media_uri "${MEDIA_FILES[1]}")")"
[ "$OUTCOME" = 403 ] || fail "stream/add of a file:// camera with ALLOWED_URI_SCHEMES=${envs[ALLOWED_URI_SCHEMES]}: outcome '$OUTCOME', expected 403: $BODY"
say "file:// refused: $BODY"

# clean_stop LOG: SIGTERM to the entrypoint PID and the checks of a clean stop. Half the
# grace as the bound: a stop that needed the watchdog's SIGKILL fails here too.
clean_stop() {
  local log="$1" child
  kill -TERM "$PID"
  if ! wait_exit "$PID" $(( grace / 2 )); then
    cat "$log"; fail "the entrypoint did not exit within $(( grace / 2 )) s of SIGTERM"
  fi
  PID=""
  sed -e 's/^/  | /' "$log" | tail -n 14
  [ "$STATUS" = 0 ] || fail "the entrypoint exited with status $STATUS after SIGTERM, not 0"
  grep -q '^Got EOS from element "pipeline0"' "$log" || fail "no EOS in gst-launch-1.0's output: not a clean stop"
  ! grep -q 'SIGKILL' "$log" || fail "the watchdog's SIGKILL ended gst-launch-1.0"
  child="$(sed -n 's/^entrypoint: SIGTERM.*(PID \([0-9]*\)).*/\1/p' "$log")"
  [ -n "$child" ] || fail "the entrypoint did not report the SIGTERM"
  ! kill -0 "$child" 2>/dev/null || fail "gst-launch-1.0 (PID $child) outlived the entrypoint"
}

# Frames flowing first: this stop checks a playing pipeline (the stop right after start
# comes below).
for (( i = 0; i < 120; i++ )); do
  get /api/v1/stream/get-stream-info
  grep -o '"camera_id":"cam1"[^}]*' <<<"$BODY" | grep -q '"state":"playing"' && break
  sleep 0.25
done
grep -o '"camera_id":"cam1"[^}]*' <<<"$BODY" | grep -q '"state":"playing"' || fail "cam1 is not playing after 30 s: $BODY"
say "SIGTERM to the entrypoint (PID $PID), cam1 playing"
clean_stop "$log"
say "clean stop: status 0, EOS, no SIGKILL, nothing left running"

# SIGTERM while gst-launch-1.0 is still starting, before it catches SIGINT (a pod deleted
# during its start): the same clean stop. With the ConfigMap's own (empty) URI_LIST: an EOS
# that meets uri-list sources still starting can leave the bin without an EOS downstream
# (a bug of the bin, not of the entrypoint; the watchdog's SIGKILL bounds it in a pod).
early="$tmp/entrypoint-early.log"
env -i "${env_args[@]}" URI_LIST="$configmap_uri_list" SENSOR_ID_LIST="$configmap_sensor_ids" \
  ${as_user[@]+"${as_user[@]}"} bash "$here/entrypoint.sh" </dev/null >"$early" 2>&1 &
PID=$!
for (( i = 0; i < 1000; i++ )); do
  grep -qs '^entrypoint: gst-launch-1.0 -e ' "$early" && break
  kill -0 "$PID" 2>/dev/null || { cat "$early"; fail "entrypoint exited before starting gst-launch-1.0"; }
  sleep 0.01
done
say "SIGTERM right after the entrypoint started gst-launch-1.0 (PID $PID)"
clean_stop "$early"
say "clean stop during start: status 0, EOS, no SIGKILL, nothing left running"

# Control: what SIGTERM does without the entrypoint, judged by the same stop checks.
ctl="$tmp/control.log"
env -i "${env_args[@]}" ${as_user[@]+"${as_user[@]}"} gst-launch-1.0 -e swiftmultiurisrcbin \
  ip-address=127.0.0.1 "port=$port" live-source=true drop-pipeline-eos=true ! fakesink sync=false \
  </dev/null >"$ctl" 2>&1 &
PID=$!
started=0
for (( i = 0; i < 120; i++ )); do
  kill -0 "$PID" 2>/dev/null || break
  get /live
  if [ "$CODE" = 200 ]; then started=1; break; fi
  sleep 0.5
done
[ "$started" = 1 ] || { cat "$ctl"; fail "control: gst-launch-1.0 did not answer /live"; }
kill -TERM "$PID"
wait_exit "$PID" 10 || fail "control: gst-launch-1.0 did not die of SIGTERM"
PID=""
if [ "$STATUS" = 0 ] || grep -q '^Got EOS from element' "$ctl"; then
  cat "$ctl"; fail "control: bare gst-launch-1.0 passed the stop check (status $STATUS), so the check proves nothing"
fi
say "control: bare gst-launch-1.0 on SIGTERM: status $STATUS, no EOS (what the entrypoint prevents)"
say "ok"
