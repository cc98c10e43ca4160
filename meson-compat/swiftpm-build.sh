#!/usr/bin/env bash
# Called by meson-compat/meson.build (custom_target 'swiftpm'): builds the three
# library products of the SwiftPM package and the swift-multiurisrc-app executable,
# and copies them into meson's build folder, where `ninja install` picks them up.
#
#   swiftpm-build.sh SWIFT PACKAGE_PATH SCRATCH_PATH CONFIGURATION OUTDIR [swift build args...]
set -euo pipefail

if [ "$#" -lt 5 ]; then
  echo "usage: $0 SWIFT PACKAGE_PATH SCRATCH_PATH CONFIGURATION OUTDIR [args...]" >&2
  exit 2
fi
swift="$1" package_path="$2" scratch_path="$3" configuration="$4" outdir="$5"
shift 5

common=(-c "$configuration" --package-path "$package_path" --scratch-path "$scratch_path")

# Only the library products: other targets (test tools importing modules with
# @testable) do not build in release.
for product in gstswiftmultiurisrc swiftcustomevents swiftmultiurisrc-tls swift-multiurisrc-app; do
  echo "swiftpm-build: $swift build ${common[*]} --product $product $*"
  "$swift" build "${common[@]}" --product "$product" "$@"
done
bin_path="$("$swift" build "${common[@]}" "$@" --show-bin-path)"

mkdir -p "$outdir"
for lib in libgstswiftmultiurisrc.so libswiftcustomevents.so libswiftmultiurisrc-tls.so swift-multiurisrc-app; do
  if [ ! -f "$bin_path/$lib" ]; then
    echo "swiftpm-build: $bin_path/$lib was not built" >&2
    exit 1
  fi
  # Copy only when changed, so an up-to-date build leaves meson's copy alone.
  if ! cmp -s "$bin_path/$lib" "$outdir/$lib"; then
    cp -f "$bin_path/$lib" "$outdir/$lib.tmp"
    mv -f "$outdir/$lib.tmp" "$outdir/$lib"
  fi
done
echo "swiftpm-build: copied libgstswiftmultiurisrc.so, libswiftcustomevents.so, libswiftmultiurisrc-tls.so and swift-multiurisrc-app from $bin_path"
