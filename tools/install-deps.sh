#!/bin/sh
# Install what building and testing vmstate-inspect needs on Debian
# (bookworm or later).  Idempotent; run as root (or it uses sudo).
set -eu
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
PKGS="build-essential autoconf automake libtool pkg-config
      libjansson-dev libxxhash-dev liblzma-dev check xz-utils python3 valgrind"
# The CI contract tests validate every JUnit and SARIF document: Debian's
# junitparser and jsonschema (rfc3987 for its URI formats); setpriv (util-linux)
# makes an unreadable file unreadable to a test run as root; bash-completion
# checks the installed completion.
PKGS="$PKGS python3-junitparser python3-jsonschema python3-rfc3987 util-linux bash-completion"
# Decoders of compressed images, and the tools the tests compress with.
PKGS="$PKGS zlib1g-dev libbz2-dev liblzo2-dev libzstd-dev gzip bzip2 lzop zstd"
# clang and its runtimes for the libFuzzer smoke run (tests/fuzz).
PKGS="$PKGS clang libclang-rt-dev"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# Headless Chromium renders the HTML report in tests/report-render.test.  It
# is large and not on every architecture: when it cannot be installed that
# test skips (exit 77) and everything else still runs.
if ! command -v chromium >/dev/null 2>&1; then
	$SUDO apt-get update -qq || true
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
		chromium >/dev/null 2>&1 ||
		echo "install-deps: chromium could not be installed; the HTML rendering test will skip" >&2
fi
