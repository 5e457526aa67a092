#!/usr/bin/env bash
# package-deb.sh [OUT_DIR] — builds the Debian package (debian/, debhelper)
# from a clean copy of the checkout's files, so nothing is written outside
# OUT_DIR (default build-deb/): OUT_DIR/saker_<version>_<arch>.deb.
# Needs the build dependencies of debian/control (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build-deb}")
version=$(dpkg-parsechangelog -S Version)
src="$out/src/saker-${version%-*}"
rm -rf "$out/src"
mkdir -p "$src"
# tracked and new (not ignored) files: what a release tarball would hold;
# outside a git checkout (the image's build stage), everything but build trees
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z -co --exclude-standard | grep -zv '^build'
else
	find . -path './build*' -prune -o \( -type f -o -type l \) -printf '%P\0'
fi | xargs -0 cp --parents -P -t "$src"
( cd "$src" && DEB_BUILD_OPTIONS="parallel=${SAKER_JOBS:-2} ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -b -us -uc >"$out/dpkg-buildpackage.log" 2>&1 ) || {
	grep -A8 -E 'CMake Error|error:' "$out/dpkg-buildpackage.log" | head -60 >&2
	tail -20 "$out/dpkg-buildpackage.log" >&2
	echo "package-deb.sh: dpkg-buildpackage failed (log: $out/dpkg-buildpackage.log)" >&2
	exit 1
}
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out"/
ls "$out"/saker_"$version"_*.deb
