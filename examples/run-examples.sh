#!/usr/bin/env bash
# Builds and runs the embedding examples, each with --self-test:
#
#   embed-c/embed-multiurisrc.c        C: g_object_set, bus messages, an element of its own that
#                                      parses ROI events with libswiftcustomevents' C API
#   embed-python/embed_multiurisrc.py  Python (PyGObject): the same, with a pad probe
#
#   bash examples/run-examples.sh [BIN_DIR]
#
# BIN_DIR holds the built libgstswiftmultiurisrc.so and libswiftcustomevents.so (SwiftPM's bin
# folder: `swift build --show-bin-path`; default <repo>/.build/debug, else .build/release).
# Each example gets GST_PLUGIN_PATH = a folder holding only the plugin (SWIFT_MULTIURISRC_PLUGIN_DIR
# when set) and a private GST_REGISTRY. The C one is compiled with -Wall -Wextra -Werror through
# pkg-config swiftcustomevents (an uninstalled .pc made from the template). Exits non-zero when a
# build or a self-test fails. Network: 127.0.0.1 only.
# Environment: KEEP_TMP=1 keeps the temporary folder; EXAMPLE_TIMEOUT (default 60 s each).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=../gst-launch-examples/lib-media.sh
source "$repo/gst-launch-examples/lib-media.sh"

bin="${1:-}"
if [ -z "$bin" ]; then
  for c in "$repo/.build/debug" "$repo/.build/release"; do
    if [ -f "$c/libswiftcustomevents.so" ]; then bin="$c"; break; fi
  done
fi
for lib in libgstswiftmultiurisrc.so libswiftcustomevents.so; do
  [ -n "$bin" ] && [ -f "$bin/$lib" ] || { echo "run-examples: $lib not found in '${bin:-.build}': swift build first" >&2; exit 1; }
done
bin="$(cd "$bin" && pwd)"
limit="${EXAMPLE_TIMEOUT:-60}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/swift-multiurisrc-embed.XXXXXX")"
finish() { if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi; }
trap finish EXIT

# Two short clips: one in uri-list, one for the self-test's stream/add.
MEDIA_SECONDS=2 media_generate_set "$tmp/media" 2
uri0="$(media_uri "${MEDIA_FILES[0]}")"
uri1="$(media_uri "${MEDIA_FILES[1]}")"

# GStreamer blacklists every other .so it finds in GST_PLUGIN_PATH (SwiftPM's bin folder also
# holds libswiftcustomevents.so): a folder with only the plugin (SWIFT_MULTIURISRC_PLUGIN_DIR,
# as scripts/run-tests.sh makes it, else one made here).
plugins="${SWIFT_MULTIURISRC_PLUGIN_DIR:-}"
if [ -z "$plugins" ]; then
  plugins="$tmp/plugins"
  mkdir -p "$plugins"
  ln -s "$bin/libgstswiftmultiurisrc.so" "$plugins/"
fi
export GST_PLUGIN_PATH="$plugins" GST_REGISTRY="$tmp/registry.bin"

failed=0

# run_example NAME CMD...: runs CMD with --self-test under a time limit, its output shown and kept.
# Besides its exit code, GLib's warnings and criticals fail it: g_object_set with a property
# name the element does not have only warns (and G_DEBUG=fatal-warnings does not stop a process
# with the Swift runtime loaded: its crash handler resumes after the trap).
run_example() {
  local name="$1"; shift
  local rc=0
  timeout -k 5 "$limit" "$@" </dev/null 2>&1 | tee "$tmp/$name.log" || rc="${PIPESTATUS[0]}"
  if [ "$rc" -ne 0 ]; then
    echo "run-examples: $name example FAILED (exit $rc)" >&2; failed=1
  elif grep -Eq -- '-(WARNING|CRITICAL) \*\*' "$tmp/$name.log"; then
    echo "run-examples: $name example FAILED: GLib warnings or criticals above" >&2; failed=1
  else
    echo "run-examples: $name example passed"
  fi
}

# --- C, through pkg-config swiftcustomevents as after a meson-compat install. Uninstalled, the
# .pc comes from its template with libdir = the bin folder and the headers in
# <includedir>/swiftcustomevents (a link to the sources' c-api folder); -rpath so the program
# finds the library where it was built.
mkdir -p "$tmp/pkgconfig" "$tmp/include"
ln -s "$repo/Sources/swiftcustomevents/c-api" "$tmp/include/swiftcustomevents"
sed -e "s|@prefix@|$tmp|" -e "s|@libdir@|$bin|" -e "s|@includedir@|$tmp/include|" -e "s|@VERSION@|0.1.0|" \
  "$repo/Sources/swiftcustomevents/c-api/swiftcustomevents.pc.in" >"$tmp/pkgconfig/swiftcustomevents.pc"
cc_bin="${CC:-cc}"
echo "\$ $cc_bin -std=c11 -Wall -Wextra -Werror -o embed-multiurisrc embed-c/embed-multiurisrc.c \\"
echo "    \$(pkg-config --cflags --libs swiftcustomevents gstreamer-base-1.0) -Wl,-rpath,<bin>"
if flags="$(PKG_CONFIG_PATH="$tmp/pkgconfig" pkg-config --cflags --libs swiftcustomevents gstreamer-base-1.0)" &&
   # shellcheck disable=SC2086
   "$cc_bin" -std=c11 -Wall -Wextra -Werror -o "$tmp/embed-multiurisrc" "$here/embed-c/embed-multiurisrc.c" \
     $flags -Wl,-rpath,"$bin"; then
  echo "\$ embed-multiurisrc --self-test --add-uri <clip 2> <clip 1>"
  run_example C "$tmp/embed-multiurisrc" --self-test --add-uri "$uri1" "$uri0"
else
  echo "run-examples: compiling the C example FAILED" >&2; failed=1
fi

# --- Python: Debian's python3-gi, so the system interpreter (not a venv).
echo
echo "\$ /usr/bin/python3 embed-python/embed_multiurisrc.py --self-test --add-uri <clip 2> <clip 1>"
run_example Python /usr/bin/python3 "$here/embed-python/embed_multiurisrc.py" --self-test --add-uri "$uri1" "$uri0"

[ "$failed" = 0 ]
