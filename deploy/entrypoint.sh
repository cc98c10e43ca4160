#!/bin/bash
# Container entrypoint: swiftmultiurisrcbin under gst-launch-1.0, configured from the environment
# (deploy/kubernetes/configmap.yaml), stopped cleanly on SIGTERM.
#
# Why not exec gst-launch-1.0 directly: gst-launch-1.0 handles only SIGINT (with -e it sends EOS,
# waits for it, sets the pipeline to NULL and exits 0). SIGTERM, which Kubernetes and
# `docker stop` send, kills it on the spot: no EOS downstream, the REST server and the sources
# never stopped, exit code 143. This script turns SIGTERM (and SIGINT) into that SIGINT, and ends
# gst-launch-1.0 with SIGKILL if the EOS stop takes longer than STOP_GRACE_SECONDS, so the pod
# leaves within its terminationGracePeriodSeconds on its own terms.
#
# Environment (all optional; the bin's properties are in README "Element properties"):
#   REST_ADDRESS (0.0.0.0), REST_PORT (9000)   ip-address, port
#   REST_TOKEN                                 rest-token (see README "Deploying": it is on the
#                                              command line, and probes cannot send it)
#   URI_LIST, SENSOR_ID_LIST, SENSOR_NAME_LIST uri-list, sensor-id-list, sensor-name-list
#   MAX_BATCH_SIZE (16)                        max-batch-size: stream/add beyond it answers 429
#   LIVE_SOURCE (true), FILE_LOOP (false), DROP_PIPELINE_EOS (true)
#   MUXER (default), WIDTH (0), HEIGHT (0)
#   RTSP_RECONNECT_INTERVAL (10), RTSP_RECONNECT_ATTEMPTS (-1)
#   ALLOWED_HOSTS, ALLOWED_URI_SCHEMES (rtsp,rtsps)
#   BIN_PROPERTIES   more name=value words for the bin, split on blanks (no quoting)
#   PIPELINE_TAIL    what follows the bin, split on blanks (default: fakesink sync=false)
#   STOP_GRACE_SECONDS (20)  EOS stop bound before SIGKILL; keep it under the pod's grace period
set -euo pipefail

log() { printf 'entrypoint: %s\n' "$*" >&2; }

grace="${STOP_GRACE_SECONDS:-20}"
[[ "$grace" =~ ^[0-9]+$ ]] && [ "$grace" -ge 1 ] || { log "STOP_GRACE_SECONDS must be a whole number of seconds >= 1, not '$grace'"; exit 2; }

bin=(swiftmultiurisrcbin
  "ip-address=${REST_ADDRESS:-0.0.0.0}"
  "port=${REST_PORT:-9000}"
  "max-batch-size=${MAX_BATCH_SIZE:-16}"
  "live-source=${LIVE_SOURCE:-true}"
  "file-loop=${FILE_LOOP:-false}"
  "drop-pipeline-eos=${DROP_PIPELINE_EOS:-true}"
  "muxer=${MUXER:-default}"
  "width=${WIDTH:-0}"
  "height=${HEIGHT:-0}"
  "rtsp-reconnect-interval=${RTSP_RECONNECT_INTERVAL:-10}"
  "rtsp-reconnect-attempts=${RTSP_RECONNECT_ATTEMPTS:--1}"
  "allowed-uri-schemes=${ALLOWED_URI_SCHEMES:-rtsp,rtsps}")
# Empty lists are left out: the element's defaults, not an empty value GStreamer must parse.
[ -z "${URI_LIST:-}" ] || bin+=("uri-list=$URI_LIST")
[ -z "${SENSOR_ID_LIST:-}" ] || bin+=("sensor-id-list=$SENSOR_ID_LIST")
[ -z "${SENSOR_NAME_LIST:-}" ] || bin+=("sensor-name-list=$SENSOR_NAME_LIST")
[ -z "${ALLOWED_HOSTS:-}" ] || bin+=("allowed-hosts=$ALLOWED_HOSTS")
read -r -a extra <<<"${BIN_PROPERTIES:-}"
read -r -a tail <<<"${PIPELINE_TAIL:-fakesink sync=false}"
[ "${#tail[@]}" -gt 0 ] || { log "PIPELINE_TAIL is blank: the bin needs something downstream"; exit 2; }

shown=("${bin[@]}" ${extra[@]+"${extra[@]}"})
if [ -n "${REST_TOKEN:-}" ]; then
  bin+=("rest-token=$REST_TOKEN")
  shown+=("rest-token=(from REST_TOKEN)")
fi
child=""
watchdog=""
pending=""

# SigCgt of /proc/PID/status: the signals PID has a handler for (bit 1: SIGINT).
catches_sigint() {
  local mask
  mask="$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)" || return 1
  [ -n "$mask" ] && (( (16#$mask & 2) != 0 ))
}

stop() {
  # A second signal while stopping changes nothing: the bound is already running.
  [ -z "$watchdog" ] || return 0
  if [ -z "$child" ]; then pending="$1"; return 0; fi
  log "SIG$1: EOS stop of gst-launch-1.0 (PID $child), at most ${grace}s"
  # Background jobs of a non-interactive bash start with SIGINT ignored, and gst-launch-1.0
  # catches it only once its pipeline is built: sent before that, the SIGINT is lost; sent
  # again after it was handled, it kills gst-launch-1.0 outright. So it is sent once, as soon
  # as gst-launch-1.0 catches it. The watchdog's sleep is ended with it, so a clean stop
  # leaves no process behind.
  (
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    end=$(( SECONDS + grace ))
    while ! catches_sigint "$child" && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
    kill -INT "$child" 2>/dev/null
    sleep $(( end > SECONDS ? end - SECONDS : 0 )) & nap=$!
    wait "$nap"
    log "gst-launch-1.0 still running ${grace}s after SIG$1: SIGKILL"
    kill -KILL "$child" 2>/dev/null
  ) &
  watchdog=$!
}
trap 'stop TERM' TERM
trap 'stop INT' INT

log "gst-launch-1.0 -e ${shown[*]} ! ${tail[*]}"
gst-launch-1.0 -e "${bin[@]}" ${extra[@]+"${extra[@]}"} '!' "${tail[@]}" &
child=$!
[ -z "$pending" ] || stop "$pending"

# A trapped signal cuts `wait` short while gst-launch-1.0 still runs, so wait again until
# the job is gone; bash keeps its status for the last `wait`. Each round needs a signal,
# and after the first one the watchdog bounds the rest.
while jobs -pr | grep -qx "$child"; do
  wait "$child" || true
done
rc=0
wait "$child" || rc=$?
if [ -n "$watchdog" ]; then
  kill "$watchdog" 2>/dev/null || true
  wait "$watchdog" 2>/dev/null || true
fi
log "gst-launch-1.0 exited with status $rc"
exit "$rc"
