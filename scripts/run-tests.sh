#!/usr/bin/env bash
# The test command (README, .ci/run): bash scripts/run-tests.sh
#
#  1. swift build          every product: libgstswiftmultiurisrc.so, libswiftcustomevents.so, libswiftmultiurisrc-tls.so
#  2. swift test           with GST_REGISTRY in a temporary folder
#  2b. schemathesis       scripts/schemathesis.sh: REST answers against openapi.json (SKIP_SCHEMATHESIS=1 skips)
#  2c. fuzz               scripts/fuzz.sh FUZZ_SECONDS FUZZ_TARGETS (default all; http, routes): libFuzzer over the route
#                          parsers and/or whole HTTP requests, FUZZ_SECONDS (default 20) each; a crash fails (SKIP_FUZZ=1 skips)
#  3. plugin loading       in a clean environment (env -i): gst-inspect-1.0 swiftmultiurisrcbin
#                          must succeed, gst-inspect-1.0 -b must list no blacklisted file and every
#                          DeepStream property name must be on the element
#  3b. examples           the five gst-launch-examples/*.sh, each self-checking (SKIP_EXAMPLES=1 skips)
#  3c. deploy             deploy/check-manifests.sh: kubernetes-validate --strict on deploy/kubernetes
#                          against a fixed Kubernetes version, broken copies must fail;
#                          deploy/check-entrypoint.sh: the container's entrypoint with the ConfigMap's
#                          values against the built plugin, probes, SIGTERM stop (SKIP_DEPLOY=1 skips)
#  3d. embedding examples examples/run-examples.sh: a C and a Python (PyGObject) application that
#                          build the pipeline by hand, each run with --self-test against its own REST
#                          server (SKIP_EMBED=1 skips)
#  3e. console            Tests/Browser/console_test.py: the web console in headless chromium (Selenium,
#                          chromium-driver) against real pipelines; screenshots in CONSOLE_ARTIFACTS (SKIP_CONSOLE=1 skips)
#  4. meson-compat         meson setup + ninja + ninja install into a temporary prefix, the
#                          installed files are where meson's libdir says, gst-inspect-1.0 loads
#                          the installed plugin, and a C program builds against the installed
#                          swiftcustomevents.pc (once the C API header and .pc.in exist)
#
# Exits non-zero when any step fails; every step runs under a time limit. The last lines
# printed are the summary, ending with swift test's own summary lines.
#
# Environment (all optional):
#   SWIFT_SCRATCH_PATH    SwiftPM --scratch-path for steps 1-2 (default: <repo>/.build)
#   MESON_SWIFTPM_SCRATCH SwiftPM scratch path of the meson build (default: step 1's, debug;
#                         with MESON_RELEASE=1: $SWIFT_SCRATCH_PATH-meson, release)
#   SWIFT_TEST_FLAGS      extra arguments for swift test, e.g. "--filter Mux" or "--no-parallel"
#   SWIFT_BUILD_TIMEOUT   seconds (default 900); SWIFT_TEST_TIMEOUT seconds (default 600: CI must stay under 20 min);
#   MESON_TIMEOUT         seconds for the whole meson-compat check (default 600)
#   SKIP_MESON_CHECK=1    skip step 4 (a quicker local run; CI never sets it)
#   KEEP_TMP=1            keep the temporary folder (registries, logs, meson prefix)
#
# What tests get from this script: SWIFT_MULTIURISRC_PYTHON (python of the venv of
# scripts/requirements-test.txt), GST_REGISTRY (a fresh file), SWIFT_MULTIURISRC_BIN_PATH
# (SwiftPM's bin folder: the .so files) and SWIFT_MULTIURISRC_PLUGIN_DIR (a folder holding
# only libgstswiftmultiurisrc.so). Point GST_PLUGIN_PATH of a child process at the latter:
# GStreamer blacklists every .so in GST_PLUGIN_PATH that is not a plugin, and SwiftPM's bin
# folder also holds libswiftcustomevents.so.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
for tool in swift gst-inspect-1.0 timeout; do
  command -v "$tool" >/dev/null 2>&1 || { echo "run-tests: $tool not found (bash scripts/install-debian-packages.sh)" >&2; exit 1; }
done

scratch="${SWIFT_SCRATCH_PATH:-$repo/.build}"
# meson-compat wraps SwiftPM; by default it checks that wrapping on step 1's debug build (same
# scratch path, so its swift build is a no-op) instead of compiling everything again in
# release (about 100 s of the run). MESON_RELEASE=1 checks the release build (meson's own
# default, what setup-and-demo.sh and the benchmark build) in its own scratch path.
if [ "${MESON_RELEASE:-0}" = 1 ]; then
  meson_configuration=release
  meson_scratch="${MESON_SWIFTPM_SCRATCH:-$scratch-meson}"
else
  meson_configuration=debug
  meson_scratch="${MESON_SWIFTPM_SCRATCH:-$scratch}"
fi
build_timeout="${SWIFT_BUILD_TIMEOUT:-900}"
test_timeout="${SWIFT_TEST_TIMEOUT:-600}"
meson_timeout="${MESON_TIMEOUT:-600}"
read -r -a test_flags <<<"${SWIFT_TEST_FLAGS:-}"

run_start=$(date +%s)
tmp="$(mktemp -d "${TMPDIR:-/tmp}/swift-multiurisrc-tests.XXXXXX")"
cleanup() {
  # Interrupted during swift test (Ctrl-C does not reach its own session): end it too.
  if [ -s "$tmp/swift-test.sid" ]; then kill_session "$(cat "$tmp/swift-test.sid")" >/dev/null; fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "run-tests: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# A shell environment as fresh as a login's: nothing of ours but what is named.
clean_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
clean_home="${HOME:-$tmp/home}"
mkdir -p "$tmp/home"

results=()      # "name|status|detail" per step
failed=0
record() {      # record NAME STATUS DETAIL
  results+=("$1|$2|$3")
  [ "$2" = ok ] || [ "$2" = skipped ] || failed=1
}
step() { printf '\n==> %s\n' "$*"; }

# kill_session SID: SIGKILL every process of session SID (read from /proc: no procps
# needed); prints how many there were.
kill_session() {
  local sid="$1" p s n=0
  [[ "$sid" =~ ^[0-9]+$ ]] && [ "$sid" -gt 1 ] || { echo 0; return 0; }
  for p in /proc/[0-9]*; do
    # /proc/PID/stat: pid (comm) state ppid pgrp session ...; comm may hold spaces.
    s="$(sed -E 's/^.*\) [^ ]+ [^ ]+ [^ ]+ ([^ ]+) .*$/\1/' "$p/stat" 2>/dev/null)" || continue
    if [ "$s" = "$sid" ] && [ "${p#/proc/}" != "$$" ]; then
      kill -KILL "${p#/proc/}" 2>/dev/null && n=$((n + 1))
    fi
  done
  echo "$n"
}
now() { date +%s; }

# ---------------------------------------------------------------------------
step "swift build (scratch path $scratch)"
t0=$(now)
if ! timeout -k 30 "$build_timeout" swift build --scratch-path "$scratch" </dev/null; then
  echo "run-tests: swift build FAILED" >&2
  exit 1
fi
bin="$(swift build --scratch-path "$scratch" --show-bin-path)"
for lib in libgstswiftmultiurisrc.so libswiftcustomevents.so libswiftmultiurisrc-tls.so; do
  if [ ! -f "$bin/$lib" ]; then
    echo "run-tests: swift build did not produce $bin/$lib" >&2
    exit 1
  fi
done
record "swift build" ok "$(( $(now) - t0 ))s, $bin"

plugin_dir="$tmp/plugin-dir"
mkdir -p "$plugin_dir"
ln -s "$bin/libgstswiftmultiurisrc.so" "$plugin_dir/libgstswiftmultiurisrc.so"

# report_hang: called while swift test still runs close to its limit. Prints which tests
# started and did not end, then each test process's threads (frames of our code and of
# GStreamer only; the whole dump stays in $tmp/hang-PID.txt).
report_hang() {
  local sid p comm
  sid="$(cat "$tmp/swift-test.sid" 2>/dev/null)" || return 0
  step "swift test still running near its ${test_timeout}s limit: where it is"
  awk '/◇ Test .* started/ { sub(/^.*◇ Test /, ""); sub(/ started\.$/, ""); s[$0] = 1 }
       /✔ Test .* passed|✘ Test .* (failed|recorded)/ { for (t in s) if (index($0, "Test " t " ") > 0) delete s[t] }
       END { for (t in s) print "not finished: " t }' "$tmp/swift-test.log" | sort
  for p in /proc/[0-9]*; do
    [ "$(sed -E 's/^.*\) [^ ]+ [^ ]+ [^ ]+ ([^ ]+) .*$/\1/' "$p/stat" 2>/dev/null)" = "$sid" ] || continue
    comm="$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-160)"
    case "$comm" in *PackageTests*|*gst-launch*|*soak*) ;; *) continue ;; esac
    echo "--- process ${p#/proc/} ($comm)"
    if command -v gdb >/dev/null 2>&1; then
      timeout -k 5 90 gdb -p "${p#/proc/}" -batch -nx -ex 'set pagination off' \
        -ex 'thread apply all bt 30' >"$tmp/hang-${p#/proc/}.txt" 2>&1 </dev/null
      # One line per kind of thread: its name, its first GStreamer/GLib frame and its first
      # frame of ours, with how many threads look alike.
      awk 'function flush() { if (name != "") print name " | " (gst == "" ? "-" : gst) " | " (ours == "" ? "-" : ours) }
           /^Thread / { flush(); name = $0; sub(/^.*"/, "", name); name = $0; sub(/^[^"]*"/, "", name); sub(/".*$/, "", name); gsub(/[0-9]+/, "N", name); gst = ""; ours = ""; next }
           /^#/ { f = $0; sub(/^#[0-9]+ +(0x[0-9a-f]+ in )?/, "", f); sub(/ \(.*$/, "", f)
                  if (gst == "" && f ~ /^(gst_|g_|_gst)/) gst = f
                  if (ours == "" && f ~ /^(\$s|gsb_)/) { ours = f; if (match($0, /at [^ ]*Sources[^ ]*/)) ours = ours " " substr($0, RSTART + 3, RLENGTH - 3) } }
           END { flush() }' "$tmp/hang-${p#/proc/}.txt" | sed -E 's#/[^ |]*/Sources/#Sources/#' | sort | uniq -c | sort -rn | cut -c1-300 | head -60
    else
      echo "(gdb not installed: no stacks)"
    fi
  done
}

# ---------------------------------------------------------------------------
# Python tools of the tests (scripts/requirements-test.txt: the Prometheus parser, the
# Kubernetes validator) in a venv; tests find its python in SWIFT_MULTIURISRC_PYTHON.
step "test venv (scripts/test-venv.sh)"
t0=$(now)
if ! test_python="$(bash "$repo/scripts/test-venv.sh" </dev/null)"; then
  echo "run-tests: scripts/test-venv.sh FAILED" >&2
  exit 1
fi
record "test venv" ok "$(( $(now) - t0 ))s, $test_python"

# ---------------------------------------------------------------------------
step "swift test ${test_flags[*]:-} (GST_REGISTRY in $tmp)"
t0=$(now)
# swift test runs in a session of its own (setsid) so that whatever it leaves behind
# (the test bundle after a timeout, a pipeline a test spawned) is found and ended.
# It runs in the background and this shell waits with `wait`, so that Ctrl-C / SIGTERM
# are handled at once (bash runs traps only after a foreground command ends).
set +e
(
  set +e
  GST_REGISTRY="$tmp/registry-swift-test.bin" \
  SWIFT_MULTIURISRC_BIN_PATH="$bin" \
  SWIFT_MULTIURISRC_PLUGIN_DIR="$plugin_dir" \
  SWIFT_MULTIURISRC_PYTHON="$test_python" \
    timeout -k 30 "$test_timeout" setsid bash -c 'echo $$ >"$0"; exec "$@"' "$tmp/swift-test.sid" \
      stdbuf -oL -eL swift test --scratch-path "$scratch" ${test_flags[@]+"${test_flags[@]}"} \
    </dev/null 2>&1 | tee "$tmp/swift-test.log"
  exit "${PIPESTATUS[0]}"
) &
test_job=$!
# A hang must say where it is: shortly before the time limit, the stacks of the test
# process (gdb, when present) and the tests that started but never ended go to the log.
( sleep "$(( test_timeout > 120 ? test_timeout - 60 : test_timeout / 2 ))" && report_hang ) &
hang_job=$!
trap 'echo "run-tests: interrupted" >&2; exit 130' INT TERM
wait "$test_job"
test_rc=$?
kill "$hang_job" 2>/dev/null; wait "$hang_job" 2>/dev/null
trap - INT TERM
set -e
if [ -s "$tmp/swift-test.sid" ]; then
  left="$(kill_session "$(cat "$tmp/swift-test.sid")")"
  rm -f "$tmp/swift-test.sid"
  [ "$left" = 0 ] || echo "run-tests: ended $left process(es) left over by swift test"
fi
if [ "$test_rc" -eq 0 ]; then
  record "swift test" ok "$(( $(now) - t0 ))s"
elif [ "$test_rc" -eq 124 ] || [ "$test_rc" -eq 137 ]; then
  record "swift test" FAILED "timed out after ${test_timeout}s"
else
  record "swift test" FAILED "exit code $test_rc"
fi

# ---------------------------------------------------------------------------
# schemathesis: the REST answers of a real gst-launch-1.0 pipeline against the OpenAPI
# document it serves (scripts/schemathesis.sh; SKIP_SCHEMATHESIS=1 skips it).
if [ "${SKIP_SCHEMATHESIS:-0}" = 1 ]; then
  record "schemathesis" skipped "SKIP_SCHEMATHESIS=1"
else
  step "schemathesis against GET /api/v1/openapi.json (scripts/schemathesis.sh)"
  t0=$(now)
  if SWIFT_MULTIURISRC_PLUGIN_DIR="$plugin_dir" timeout -k 10 330 bash "$repo/scripts/schemathesis.sh" </dev/null; then
    record "schemathesis" ok "$(( $(now) - t0 ))s"
  else
    record "schemathesis" FAILED "see output above"
  fi
fi

# ---------------------------------------------------------------------------
# libFuzzer over the REST layer (scripts/fuzz.sh): whole HTTP requests into an in-process
# server, then the route parsers, FUZZ_SECONDS each (default 20); a crash fails the run.
# SKIP_FUZZ=1 skips it.
if [ "${SKIP_FUZZ:-0}" = 1 ]; then
  record "fuzz" skipped "SKIP_FUZZ=1"
else
  # FUZZ_TARGETS: all (default: whole HTTP requests, then the route parsers), http or routes.
  step "fuzz: scripts/fuzz.sh ${FUZZ_SECONDS:-20} ${FUZZ_TARGETS:-all}"
  t0=$(now)
  # The fuzz binary links the C glue objects and libswiftcustomevents.so of step 1's build
  # (FUZZ_SCRATCH_PATH=$scratch): no second SwiftPM build of them.
  if FUZZ_SCRATCH_PATH="$scratch" timeout -k 10 "$(( ${FUZZ_SECONDS:-20} * 2 + 420 ))" \
      bash "$repo/scripts/fuzz.sh" "${FUZZ_SECONDS:-20}" "${FUZZ_TARGETS:-all}" </dev/null; then
    record "fuzz" ok "$(( $(now) - t0 ))s"
  else
    record "fuzz" FAILED "see output above"
  fi
fi

# ---------------------------------------------------------------------------
# check_plugin_loads LABEL PLUGIN_DIR: clean env, fresh registry.
check_plugin_loads() {
  local label="$1" dir="$2" reg="$tmp/registry-$1.bin" out="$tmp/inspect-$1.txt"
  local env_cmd=(env -i PATH="$clean_path" HOME="$clean_home" GST_PLUGIN_PATH="$dir" GST_REGISTRY="$reg")
  rm -f "$reg"
  echo "\$ env -i PATH=... HOME=... GST_PLUGIN_PATH=$dir GST_REGISTRY=$reg gst-inspect-1.0 swiftmultiurisrcbin"
  if ! timeout -k 10 120 "${env_cmd[@]}" gst-inspect-1.0 swiftmultiurisrcbin >"$out" 2>&1 </dev/null; then
    sed -n '1,20p' "$out"
    echo "run-tests: gst-inspect-1.0 swiftmultiurisrcbin FAILED ($label)" >&2
    # What the plugin itself registers, to tell 'not loadable' from 'element missing'.
    timeout -k 10 120 "${env_cmd[@]}" gst-inspect-1.0 swiftmultiurisrc 2>&1 </dev/null | sed -n '1,30p' || true
    return 1
  fi
  sed -n '/^Factory Details:/,/^$/p;/^Plugin Details:/,/^$/p' "$out"
  echo "\$ env -i ... gst-inspect-1.0 -b"
  local bl
  bl="$(timeout -k 10 120 "${env_cmd[@]}" gst-inspect-1.0 -b 2>&1 </dev/null)" || { echo "$bl"; return 1; }
  echo "$bl"
  if ! grep -q '^Total count: 0 blacklisted' <<<"$bl"; then
    echo "run-tests: blacklisted plugin files ($label)" >&2
    return 1
  fi
  # DeepStream's property names: every property of nvmultiurisrcbin 9.1 (deepstream-9.1.md
  # section 5, 73 names), and our muxer, must be on the element.
  local missing=() p
  for p in uri-list sensor-id-list sensor-name-list mode disable-audio ip-address port \
           disable-passthrough sei-uuid max-batch-size num-extra-surfaces gpu-id cudadec-memtype \
           drop-frame-interval drop-on-latency extract-sei-type5-data-dec low-latency-mode \
           dec-skip-frames buffer-mode select-rtp-protocol leaky max-size-buffers file-loop \
           rtsp-reconnect-interval init-rtsp-reconnect-interval rtsp-reconnect-attempts latency \
           udp-buffer-size smart-record smart-rec-dir-path smart-rec-file-prefix smart-rec-video-cache \
           smart-rec-cache smart-rec-container smart-rec-mode smart-rec-default-duration \
           ipc-buffer-timestamp-copy ipc-socket-path ipc-connection-attempts ipc-connection-interval \
           sensorID-padID-mapping enable-error-propagation proto-lib conn-str topic \
           simulate-fps-interval-ms batched-push-timeout width height enable-padding \
           num-surfaces-per-frame live-source sync-inputs buffer-pool-size max-latency attach-sys-ts \
           config-file-path nvbuf-memory-type compute-hw interpolation-method frame-num-reset-on-eos \
           frame-num-reset-on-stream-reset frame-duration async-process drop-pipeline-eos \
           extract-sei-type5-data sort-batch cache-buffer cache-buffer-timeout extract-sei-sim-time \
           align-first-buffer sync-inputs-ntp drop-backward-sei muxer; do
    grep -Eq "^  $p *:" "$out" || missing+=("$p")
  done
  if [ "${#missing[@]}" -ne 0 ]; then
    echo "run-tests: DeepStream properties missing on the element ($label): ${missing[*]}" >&2
    return 1
  fi
  return 0
}

step "plugin loading in a clean environment (SwiftPM build)"
t0=$(now)
if check_plugin_loads swiftpm "$plugin_dir"; then
  record "plugin loading" ok "$(( $(now) - t0 ))s"
else
  record "plugin loading" FAILED "see output above"
fi

# ---------------------------------------------------------------------------
# The README's gst-launch examples, as users run them: each drives a real gst-launch-1.0
# pipeline over REST with curl and exits non-zero when an answer or an effect is not what it
# says (SKIP_EXAMPLES=1 skips).
if [ "${SKIP_EXAMPLES:-0}" = 1 ]; then
  record "examples" skipped "SKIP_EXAMPLES=1"
else
  step "gst-launch-examples: mosaic, runtime-add-remove, roi-update-demo, infer-interval-demo, control-api-v1"
  t0=$(now)
  examples_ok=1
  for example in mosaic runtime-add-remove roi-update-demo infer-interval-demo control-api-v1; do
    echo "\$ bash gst-launch-examples/$example.sh"
    if SWIFT_MULTIURISRC_PLUGIN="$bin/libgstswiftmultiurisrc.so" timeout -k 10 180 \
        bash "$repo/gst-launch-examples/$example.sh" >"$tmp/example-$example.log" 2>&1 </dev/null; then
      tail -n 3 "$tmp/example-$example.log"
    else
      tail -n 40 "$tmp/example-$example.log"
      echo "run-tests: gst-launch-examples/$example.sh FAILED" >&2
      examples_ok=0
    fi
  done
  if [ "$examples_ok" = 1 ]; then record "examples" ok "$(( $(now) - t0 ))s"; else record "examples" FAILED "see output above"; fi
fi

# ---------------------------------------------------------------------------
# deploy/: the Kubernetes manifests, validated offline with the test venv's kubernetes-validate
# (a fixed Kubernetes version, --strict; broken copies must fail in the same run), and the
# container's entrypoint run as the pod runs it: the ConfigMap's values, not root, probes
# answered, SIGTERM ending in a clean EOS stop (SKIP_DEPLOY=1 skips).
if [ "${SKIP_DEPLOY:-0}" = 1 ]; then
  record "deploy" skipped "SKIP_DEPLOY=1"
else
  step "deploy: kubernetes-validate on deploy/kubernetes, deploy/entrypoint.sh against the plugin"
  t0=$(now)
  deploy_ok=1
  echo "\$ bash deploy/check-manifests.sh"
  if ! timeout -k 10 180 bash "$repo/deploy/check-manifests.sh" "$test_python" </dev/null; then
    echo "run-tests: deploy/check-manifests.sh FAILED" >&2
    deploy_ok=0
  fi
  echo "\$ bash deploy/check-entrypoint.sh"
  if SWIFT_MULTIURISRC_PLUGIN="$bin/libgstswiftmultiurisrc.so" SWIFT_MULTIURISRC_PYTHON="$test_python" \
      timeout -k 10 240 bash "$repo/deploy/check-entrypoint.sh" >"$tmp/deploy-entrypoint.log" 2>&1 </dev/null; then
    grep '^check-entrypoint: ' "$tmp/deploy-entrypoint.log" | tail -n 4
  else
    tail -n 40 "$tmp/deploy-entrypoint.log"
    echo "run-tests: deploy/check-entrypoint.sh FAILED" >&2
    deploy_ok=0
  fi
  if [ "$deploy_ok" = 1 ]; then record "deploy" ok "$(( $(now) - t0 ))s"; else record "deploy" FAILED "see output above"; fi
fi

# ---------------------------------------------------------------------------
# examples/: swiftmultiurisrcbin embedded in a C program (g_object_set with DeepStream's names,
# stream-add/stream-remove on the bus, an element of its own that parses ROI events with
# libswiftcustomevents) and in a Python one (PyGObject, a pad probe); each drives its own REST
# server with --self-test and fails when a message or the ROIs as sent do not arrive
# (SKIP_EMBED=1 skips).
if [ "${SKIP_EMBED:-0}" = 1 ]; then
  record "embed examples" skipped "SKIP_EMBED=1"
else
  step "embedding examples: examples/run-examples.sh (C and Python)"
  t0=$(now)
  if SWIFT_MULTIURISRC_PLUGIN_DIR="$plugin_dir" timeout -k 10 180 bash "$repo/examples/run-examples.sh" "$bin" \
      >"$tmp/embed-examples.log" 2>&1 </dev/null; then
    grep -E '^(run-examples|self-test): ' "$tmp/embed-examples.log" || true
    record "embed examples" ok "$(( $(now) - t0 ))s"
  else
    tail -n 60 "$tmp/embed-examples.log"
    record "embed examples" FAILED "see output above"
  fi
fi

# ---------------------------------------------------------------------------
# 3e. The web console in a real browser (Tests/Browser/console_test.py): Debian's headless
# chromium driven by the test venv's Selenium through /usr/bin/chromedriver, against real
# gst-launch-1.0 pipelines on 127.0.0.1; screenshots and logs go to CONSOLE_ARTIFACTS
# (default <repo>/.build-artifacts/console). SKIP_CONSOLE=1 skips it.
if [ "${SKIP_CONSOLE:-0}" = 1 ]; then
  record "console browser test" skipped "SKIP_CONSOLE=1"
elif ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then
  record "console browser test" FAILED "chromium or chromium-driver missing (bash scripts/install-debian-packages.sh)"
else
  step "3e console browser test: Tests/Browser/console_test.py (headless chromium + Selenium)"
  t0=$(now)
  console_artifacts="${CONSOLE_ARTIFACTS:-$repo/.build-artifacts/console}"
  rm -rf "$console_artifacts"
  mkdir -p "$console_artifacts"
  if env HOME="$tmp/home" SWIFT_MULTIURISRC_WAIT_SLACK="${SWIFT_MULTIURISRC_WAIT_SLACK:-4}" \
      timeout -k 10 300 "$test_python" "$repo/Tests/Browser/console_test.py" \
      --plugin-dir "$plugin_dir" --artifacts "$console_artifacts" </dev/null >"$tmp/console-test.log" 2>&1; then
    grep -E '^console-test: (ok|passed|artifacts)' "$tmp/console-test.log" | tail -n 4
    record "console browser test" ok "$(( $(now) - t0 ))s, screenshots in $console_artifacts"
  else
    tail -n 40 "$tmp/console-test.log"
    record "console browser test" FAILED "see output above; screenshots in $console_artifacts"
  fi
fi

# ---------------------------------------------------------------------------
meson_check() {
  local mbuild="$tmp/meson-build" mprefix="$tmp/meson-prefix" log="$tmp/meson.log"
  local deadline=$(( $(now) + meson_timeout ))
  remaining() { local r=$(( deadline - $(now) )); [ "$r" -gt 1 ] && echo "$r" || echo 1; }
  run_logged() {  # run_logged CMD...: output to the log, shown in full only on failure
    echo "\$ $*"
    if ! timeout -k 10 "$(remaining)" "$@" >>"$log" 2>&1 </dev/null; then
      tail -n 60 "$log"
      echo "run-tests: FAILED: $*" >&2
      return 1
    fi
  }
  for tool in meson ninja; do
    command -v "$tool" >/dev/null 2>&1 || { echo "run-tests: $tool not found" >&2; return 1; }
  done
  run_logged meson setup "$mbuild" "$repo/meson-compat" --prefix="$mprefix" \
    -Dswiftpm_scratch_path="$meson_scratch" -Dswiftpm_configuration="$meson_configuration" || return 1
  run_logged ninja -C "$mbuild" || return 1
  run_logged ninja -C "$mbuild" install || return 1
  grep -E '^Installing ' "$log" || true

  # Where meson says things go (lib/<multiarch> or lib, per its libdir).
  local libdir includedir
  libdir="$(meson introspect --buildoptions "$mbuild" | python3 -c \
    'import json,sys; print({o["name"]: o["value"] for o in json.load(sys.stdin)}["libdir"])')"
  includedir="$(meson introspect --buildoptions "$mbuild" | python3 -c \
    'import json,sys; print({o["name"]: o["value"] for o in json.load(sys.stdin)}["includedir"])')"
  echo "meson libdir=$libdir includedir=$includedir"

  local expected=("$libdir/gstreamer-1.0/libgstswiftmultiurisrc.so" "$libdir/libswiftcustomevents.so"
                  "$libdir/swiftmultiurisrc/libswiftmultiurisrc-tls.so"
                  "$includedir/swiftcustomevents/gsb-source-meta.h")
  local capi="$repo/Sources/swiftcustomevents/c-api"
  for f in "$capi"/*.h; do
    [ -f "$f" ] && expected+=("$includedir/swiftcustomevents/$(basename "$f")")
  done
  # The C API is part of the product: its header and .pc must exist and be installed.
  expected+=("$includedir/swiftcustomevents/gst-nvcustomevent.h" "$libdir/pkgconfig/swiftcustomevents.pc")
  [ -f "$capi/swiftcustomevents.pc.in" ] || { echo "run-tests: $capi/swiftcustomevents.pc.in missing" >&2; return 1; }
  local f bad=0
  for f in "${expected[@]}"; do
    if [ -f "$mprefix/$f" ]; then echo "installed: <prefix>/$f"; else echo "MISSING: <prefix>/$f" >&2; bad=1; fi
  done
  [ "$bad" = 0 ] || return 1

  check_plugin_loads meson-install "$mprefix/$libdir/gstreamer-1.0" || return 1

  # The installed app runs a config on the installed plugin, in a clean environment: a 1 s
  # clip, not live, so it ends by itself at EOS with exit 0.
  local app="$mprefix/$(meson introspect --buildoptions "$mbuild" | python3 -c \
    'import json,sys; print({o["name"]: o["value"] for o in json.load(sys.stdin)}["bindir"])')/swift-multiurisrc-app"
  [ -x "$app" ] || { echo "MISSING: $app" >&2; return 1; }
  echo "installed: $app"
  timeout -k 5 60 gst-launch-1.0 -q videotestsrc num-buffers=30 ! video/x-raw,width=160,height=120,framerate=30/1 \
    ! x264enc speed-preset=ultrafast ! h264parse ! mp4mux ! filesink location="$tmp/app-clip.mp4" </dev/null \
    || { echo "run-tests: could not make the app's clip" >&2; return 1; }
  printf '[source-list]\nlist=file://%s\nuse-nvmultiurisrcbin=1\nhttp-port=0\n[source-attr-all]\nenable=1\n[application]\nenable-perf-measurement=1\nperf-measurement-interval-sec=1\n[sink0]\nenable=1\ntype=1\n' \
    "$tmp/app-clip.mp4" >"$tmp/app-config.txt"
  echo "\$ env -i ... swift-multiurisrc-app -c <1 s clip, fakesink>"
  local app_out
  if ! app_out="$(env -i PATH="$clean_path" HOME="$clean_home" GST_PLUGIN_PATH="$mprefix/$libdir/gstreamer-1.0" \
      GST_REGISTRY="$tmp/registry-meson-install.bin" timeout -k 5 60 "$app" -c "$tmp/app-config.txt" 2>&1 </dev/null)" \
      || ! grep -q "App run successful" <<<"$app_out"; then
    echo "$app_out" | tail -n 20
    echo "run-tests: the installed swift-multiurisrc-app did not run its config to EOS" >&2
    return 1
  fi
  echo "installed app ran its config: $(grep -c 'new stream added' <<<"$app_out") stream, exit 0"

  # The installed plugin finds the installed TLS shim: given a file that is no certificate,
  # its start must fail on the file (read by the shim), not on a missing shim.
  printf 'not a certificate\n' >"$tmp/not-a-certificate.pem"
  echo "\$ env -i ... gst-launch-1.0 swiftmultiurisrcbin tls-certificate=<not a certificate> ! fakesink"
  local tls_out
  tls_out="$(env -i PATH="$clean_path" HOME="$clean_home" GST_PLUGIN_PATH="$mprefix/$libdir/gstreamer-1.0" \
    GST_REGISTRY="$tmp/registry-meson-install.bin" timeout -k 5 60 gst-launch-1.0 swiftmultiurisrcbin \
    ip-address=127.0.0.1 port=9 tls-certificate="$tmp/not-a-certificate.pem" ! fakesink 2>&1 </dev/null)" || true
  if ! grep -q "certificate file \"$tmp/not-a-certificate.pem\": no usable PEM certificate" <<<"$tls_out"; then
    echo "$tls_out" | sed -n '1,20p'
    echo "run-tests: the installed plugin did not reach the installed TLS shim" >&2
    return 1
  fi
  echo "installed TLS shim found: $(grep -m1 -o 'certificate file .*' <<<"$tls_out")"

  # The installed C API: pkg-config finds it, a C program compiles, links and runs.
  local pcdir="$mprefix/$libdir/pkgconfig" cc_bin
  cc_bin="${CC:-}"
  [ -n "$cc_bin" ] || cc_bin="$(command -v cc || command -v gcc || command -v clang || true)"
  if [ -z "$cc_bin" ]; then
    echo "run-tests: no C compiler (cc, gcc or clang): the installed C API cannot be checked" >&2
    return 1
  fi
  echo "\$ PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs swiftcustomevents"
  local flags
  flags="$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs swiftcustomevents)" || return 1
  echo "$flags"
  cat >"$tmp/capi-check.c" <<'EOF'
#include <gst/gst.h>
#if __has_include(<gst-nvcustomevent.h>)
#include <gst-nvcustomevent.h>
#else
#include <swiftcustomevents/gst-nvcustomevent.h>
#endif
#if __has_include(<gsb-source-meta.h>)
#include <gsb-source-meta.h>
#else
#include <swiftcustomevents/gsb-source-meta.h>
#endif
int main (int argc, char **argv) {
  gst_init (&argc, &argv);
  /* GstSwiftSourceMeta: add and read back. */
  GstBuffer *buf = gst_buffer_new ();
  gst_buffer_add_swift_source_meta (buf, 3, "cam3", 7);
  GstSwiftSourceMeta *meta = gst_buffer_get_swift_source_meta (buf);
  int meta_ok = meta != NULL && meta->source_id == 3 && g_strcmp0 (meta->sensor_id, "cam3") == 0
    && meta->frame_number == 7;
  gst_buffer_unref (buf);
  g_print ("capi-check: GstSwiftSourceMeta round trip %s\n", meta_ok ? "ok" : "FAILED");
  /* A DeepStream control event: make, check its type value, parse back. */
  GstEvent *ev = gst_nvevent_infer_interval_update ((gchar *) "cam3", 5);
  gchar *stream_id = NULL;
  guint interval = 0;
  if (ev != NULL)
  gst_nvevent_parse_infer_interval_update (ev, &stream_id, &interval);
  int ev_ok = ev != NULL && GST_EVENT_TYPE (ev) == 104198 && g_strcmp0 (stream_id, "cam3") == 0
    && interval == 5;
  g_print ("capi-check: gst_nvevent_infer_interval_update round trip %s\n", ev_ok ? "ok" : "FAILED");
  g_free (stream_id);
  if (ev != NULL)
  gst_event_unref (ev);
  return meta_ok && ev_ok ? 0 : 1;
}
EOF
  # shellcheck disable=SC2086
  "$cc_bin" -o "$tmp/capi-check" "$tmp/capi-check.c" $flags $(pkg-config --cflags --libs gstreamer-1.0) \
    || { echo "run-tests: compiling against the installed swiftcustomevents.pc FAILED" >&2; return 1; }
  LD_LIBRARY_PATH="$mprefix/$libdir" timeout -k 5 60 "$tmp/capi-check" || return 1
  return 0
}

if [ "${SKIP_MESON_CHECK:-0}" = 1 ]; then
  record "meson-compat" skipped "SKIP_MESON_CHECK=1"
else
  step "meson-compat: setup, ninja, ninja install into a temporary prefix"
  t0=$(now)
  if meson_check; then
    record "meson-compat" ok "$(( $(now) - t0 ))s"
  else
    record "meson-compat" FAILED "see output above"
  fi
fi

# ---------------------------------------------------------------------------
printf '\n==> summary\n'
for r in "${results[@]}"; do
  IFS='|' read -r name status detail <<<"$r"
  printf '%-16s %-8s %s\n' "$name" "$status" "$detail"
done
echo "total            $(( $(date +%s) - run_start ))s"
[ "$failed" -eq 0 ] || echo "run-tests: FAILED"
# swift test's own closing lines, last: XCTest's total, then Swift Testing's.
grep -E 'Executed [0-9]+ tests?,' "$tmp/swift-test.log" | tail -n 1 || true
grep -E 'Test run with [0-9]+ tests?' "$tmp/swift-test.log" | tail -n 1 || true
[ "$failed" -eq 0 ] || exit 1
