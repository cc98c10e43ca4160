#!/usr/bin/env bash
# Three generated clips in one compositor mosaic through swiftmultiurisrcbin (no REST server).
#
#   bash gst-launch-examples/mosaic.sh                          # fakesink, NUM_BUFFERS frames
#   SINK=autovideosink bash gst-launch-examples/mosaic.sh       # on a display
#   SNAPSHOT=/tmp/mosaic.png bash gst-launch-examples/mosaic.sh # last mosaic frame as a PNG
#
# Environment: SINK (a gst-launch sink description, default "fakesink sync=true"), SNAPSHOT (PNG
# path; overrides SINK), NUM_BUFFERS (mosaic frames before EOS, default 150), MUXER (default
# compositor), LIVE_SOURCE (default true), SWIFT_MULTIURISRC_PLUGIN (the .so; default <repo>/.build/release or debug),
# MEDIA_DIR (reuse clips there instead of making new ones), KEEP_TMP=1.
# Needs the plugin built first: swift build -c release --product gstswiftmultiurisrc
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=lib-media.sh
source "$here/lib-media.sh"

num_buffers="${NUM_BUFFERS:-150}"
live_source="${LIVE_SOURCE:-true}"
muxer="${MUXER:-compositor}"
sink="${SINK:-fakesink sync=true}"
if [ -n "${SNAPSHOT:-}" ]; then
  # Every frame overwrites the same file: what stays is the last mosaic frame.
  sink="videorate ! video/x-raw,framerate=5/1 ! pngenc ! multifilesink location=$SNAPSHOT"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/swift-multiurisrc-mosaic.XXXXXX")"
trap 'if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi' EXIT

if [ -n "${MEDIA_DIR:-}" ]; then
  mapfile -t MEDIA_FILES < <(find "$MEDIA_DIR" -maxdepth 1 -type f \( -name '*.mp4' -o -name '*.mkv' \) | sort | head -n 3)
else
  media_generate_set "$tmp/media" 3
fi
uris=""
for f in "${MEDIA_FILES[@]}"; do uris="${uris:+$uris,}$(media_uri "$f")"; done

demo_gst_env "$tmp" "$(demo_plugin_dir "$tmp" "$repo")"
demo_check_element

# identity eos-after ends the stream after NUM_BUFFERS frames; timeout bounds the run at twice
# real time plus 30 s (SIGINT: gst-launch -e sends EOS, SIGKILL 10 s later).
limit=$(( num_buffers / 15 + 30 ))
read -r -a sink_args <<<"$sink"
cmd=(gst-launch-1.0 -e
  swiftmultiurisrcbin "uri-list=$uris" sensor-id-list=cam1,cam2,cam3 sensor-name-list=ball,smpte,pinwheel
    port=0 "live-source=$live_source" file-loop=true "muxer=$muxer" width=640 height=480
  ! videoconvert ! identity eos-after="$num_buffers" ! "${sink_args[@]}")
echo "+ ${cmd[*]}"
rc=0
timeout -s INT -k 10 "$limit" "${cmd[@]}" </dev/null || rc=$?
case "$rc" in
  0) echo "mosaic: $num_buffers frames played" ;;
  124|137) echo "mosaic: no EOS within ${limit}s (stopped)"; exit 1 ;;
  *) echo "mosaic: gst-launch-1.0 failed (exit code $rc)"; exit "$rc" ;;
esac
if [ -n "${SNAPSHOT:-}" ]; then echo "snapshot: $SNAPSHOT"; fi
