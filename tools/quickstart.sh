#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The README's two commands, for a fresh Debian 12 machine as root:
#   sh tools/quickstart.sh demo [anninh demo options]   install, build, run the demo
#   sh tools/quickstart.sh test                         install, build, run every test
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build=${ANNINH_BUILD_DIR:-$here/build}

# Build and run dependencies (Debian 12 package names).
BUILD_PACKAGES="meson ninja-build pkg-config gcc libc6-dev git
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libgstreamer-plugins-bad1.0-dev libgstrtspserver-1.0-dev gstreamer1.0-rtsp
  libsoup-3.0-dev libjson-glib-dev libssl-dev libsqlite3-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  gstreamer1.0-x ffmpeg openssl sqlite3 apache2-utils python3 ca-certificates"
# The real peers the tests talk to.
TEST_PACKAGES="valgrind curl prometheus chromium tesseract-ocr tesseract-ocr-eng
  fonts-dejavu-core iproute2 util-linux e2fsprogs"

install_packages () {
  if [ "${ANNINH_SKIP_INSTALL:-0}" = 1 ]; then return 0; fi
  missing=""
  for p in $*; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" \
      || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  echo "quickstart: installing$missing"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
    --no-install-recommends $missing
}

build_tree () {
  if [ -f "$build/build.ninja" ]; then
    meson setup --reconfigure "$build" "$here" >/dev/null
  else
    meson setup "$build" "$here"
  fi
  ninja -C "$build"
}

# Counts meson's test results; the last line is "N passed, N failed".
summarize () {
  python3 - "$@" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        if not line.strip():
            continue
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
# Skipped tests are named on their own line; the last line is what CI reads.
print(f"{skipped} skipped")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  demo)
    install_packages $BUILD_PACKAGES
    build_tree
    exec meson devenv -C "$build" anninh demo "$@"
    ;;
  test)
    install_packages $BUILD_PACKAGES $TEST_PACKAGES
    build_tree
    logs="$build/meson-logs"
    rm -f "$logs/testlog.json" "$logs/testlog-valgrind.json"
    status=0
    meson test -C "$build" --print-errorlogs --num-processes 2 "$@" || status=$?
    # The unit tests again under valgrind: no leak or memory error of ours.
    meson test -C "$build" --setup valgrind --suite check \
      --print-errorlogs --num-processes 2 "$@" || status=$?
    summarize "$logs/testlog.json" "$logs/testlog-valgrind.json" || status=$?
    exit $status
    ;;
  *)
    echo "usage: $0 demo [options] | test [meson test options]" >&2
    exit 2
    ;;
esac
