#!/bin/bash
# make deb: build every binary package of the source package foobar from a
# clean copy of the tree and leave the .debs in build/deb/, then require
# lintian to report no error and no warning.
#
# The copy holds the tracked files as they are in the work tree (so
# uncommitted edits are built, untracked files are not); with
# FOOBAR_DEB_TREE=HEAD it holds the last commit instead. The work tree
# itself is never written to except build/deb/.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/deb
work=$(mktemp -d "${TMPDIR:-/tmp}/foobar-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

# export_tree DIR: a clean copy of the source tree into DIR.
export_tree() {
	mkdir -p "$1"
	if [ "${FOOBAR_DEB_TREE:-}" = HEAD ]; then
		git -C "$top" archive --format=tar HEAD | tar -C "$1" -xf -
	elif git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# Tracked files deleted in the work tree are left out.
		(cd "$top" && git ls-files -z --cached |
		    while IFS= read -r -d '' f; do
			    if [ -e "$f" ] || [ -L "$f" ]; then
				    printf '%s\0' "$f"
			    fi
		    done | tar --null --no-recursion -T - -cf -) |
		    tar -C "$1" -xf -
	else
		tar -C "$top" --exclude=./build --exclude=./state \
		    --exclude=./.git -cf - . | tar -C "$1" -xf -
	fi
}

src=$work/foobar
export_tree "$src"
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
echo "deb: building foobar $version in $src"
(cd "$src" && dpkg-buildpackage -b -us -uc -j"$(nproc)") \
    >"$work/build.log" 2>&1 || {
	tail -n 60 "$work/build.log" >&2
	mkdir -p "$out"
	cp "$work/build.log" "$out/build.log"
	echo "deb: dpkg-buildpackage failed (full log: $out/build.log)" >&2
	exit 1
}

rm -rf "$out" "$out-next"
mkdir -p "$out"
cp "$work/build.log" "$out/build.log"
# dpkg-buildpackage -b writes the results beside the source folder.
find "$work" -maxdepth 1 -type f \( -name '*.deb' -o -name '*.ddeb' \
    -o -name '*.changes' -o -name '*.buildinfo' \) -exec cp {} "$out/" \;
ls -l "$out"

# With FOOBAR_DEB_NEXT=1 (make system-check), a second set for the upgrade
# test in build/deb-next/: the same tree with a higher version
# (VERSION+upgradetest1, below any real next release) and one more
# migration, both made in the copy only.
if [ "${FOOBAR_DEB_NEXT:-}" = 1 ]; then
	next=$version+upgradetest1
	echo "deb: building foobar $next (upgrade test) in $src"
	mkdir -p "$work/next"
	{
		printf 'foobar (%s) unstable; urgency=medium\n\n' "$next"
		printf '  * Upgrade test build: adds a migration.\n\n'
		printf ' -- foobar developers <dev@foobar.com>  %s\n\n' \
		    "$(date -R)"
		cat "$src/debian/changelog"
	} >"$work/changelog" && mv "$work/changelog" "$src/debian/changelog"
	printf 'CREATE TABLE upgrade_probe (id INT PRIMARY KEY);\n' \
	    >"$src/appd/migrations/99999999999999_upgrade_probe.up.sql"
	printf 'DROP TABLE upgrade_probe;\n' \
	    >"$src/appd/migrations/99999999999999_upgrade_probe.down.sql"
	rm -f "$work"/*.deb "$work"/*.ddeb "$work"/*.changes "$work"/*.buildinfo
	(cd "$src" && DEB_BUILD_OPTIONS=nocheck \
	    dpkg-buildpackage -b -us -uc -j"$(nproc)") \
	    >"$work/build-next.log" 2>&1 || {
		tail -n 60 "$work/build-next.log" >&2
		echo "deb: the upgrade-test build failed" >&2
		exit 1
	}
	mkdir -p "$out-next"
	find "$work" -maxdepth 1 -type f -name '*.deb' ! -name '*-dbgsym_*' \
	    -exec cp {} "$out-next/" \;
	ls -l "$out-next"
fi

# lintian on the .changes checks the .debs and the .buildinfo it lists.
changes=$(echo "$out"/*.changes)
rc=0
lintian --fail-on error,warning --display-info --pedantic --color never \
    "$changes" >"$out/lintian.log" 2>&1 || rc=$?
cat "$out/lintian.log"
if [ "$rc" != 0 ] || grep -q '^[EW]: ' "$out/lintian.log"; then
	echo "deb: lintian reports errors or warnings (see above)" >&2
	exit 1
fi
echo "deb: lintian clean; packages in $out"
