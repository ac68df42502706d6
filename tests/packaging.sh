#!/bin/sh
# SPDX-License-Identifier: ISC
# What `meson install` puts on a system, and what a subproject builds
# (README.md, "Build your own daemon"; issue 18).  Usage: packaging.sh
# SOURCE_ROOT
#  1. a default install: the library, header, pkg-config file, tools and
#     their man pages; no example program;
#  2. -Dexamples=install --prefix=/usr: the examples under prefixed names,
#     their pages, and a unit whose ExecStart is the installed program
#     (systemd-analyze verify, where systemd-analyze exists);
#  3. as a subproject: the library alone, no cmocka needed, and the
#     parent's default_library=static honoured (no libprivsep.so needed).
set -eu
src=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "packaging: $*" >&2; exit 1; }

# 1
meson setup "$tmp/b1" "$src" --prefix=/usr -Dtests=false >/dev/null
ninja -C "$tmp/b1" >/dev/null
DESTDIR="$tmp/d1" meson install -C "$tmp/b1" --no-rebuild >/dev/null
for f in usr/include/privsep.h usr/bin/privsep-policy usr/share/man/man1/privsep-policy.1 \
	usr/bin/privsep-run usr/share/man/man1/privsep-run.1 usr/share/man/man5/privsep.policy.5 \
	usr/share/man/man3/privsep.3; do
	[ -e "$tmp/d1/$f" ] || fail "a default install has no /$f"
done
find "$tmp/d1" -name privsep.pc | grep -q . || fail "a default install has no privsep.pc"
find "$tmp/d1" -name 'libprivsep.so*' | grep -q . || fail "a default install has no shared library"
# (the shipped policies, httpd.policy among them, are the library's data)
extra=$(find "$tmp/d1" -path '*/share/privsep/policy' -prune -o \( -name '*httpd*' -o \
	-name '*fileopener*' -o -name 'minimal' \) -print)
[ -z "$extra" ] || fail "a default install puts an example on the system: $extra"

# 2
meson setup "$tmp/b2" "$src" --prefix=/usr -Dtests=false -Dexamples=install >/dev/null
ninja -C "$tmp/b2" >/dev/null
DESTDIR="$tmp/d2" meson install -C "$tmp/b2" --no-rebuild >/dev/null
for f in usr/sbin/privsep-httpd usr/bin/privsep-fileopener usr/share/man/man8/privsep-httpd.8 \
	usr/share/man/man1/privsep-fileopener.1 usr/lib/systemd/system/privsep-httpd.service; do
	[ -e "$tmp/d2/$f" ] || fail "-Dexamples=install has no /$f"
done
[ -x "$tmp/d2/usr/sbin/privsep-httpd" ] || fail "privsep-httpd is not executable"
for f in usr/sbin/httpd usr/bin/fileopener usr/share/man/man8/httpd.8; do
	[ ! -e "$tmp/d2/$f" ] || fail "-Dexamples=install installs /$f, a name another package may own"
done
unit=$tmp/d2/usr/lib/systemd/system/privsep-httpd.service
grep -q '^ExecStart=/usr/sbin/privsep-httpd ' "$unit" ||
	fail "the unit's ExecStart is not the installed program: $(grep ^ExecStart "$unit")"
if command -v systemd-analyze >/dev/null; then
	# a root of its own: the installed tree and the system's targets
	cp -a /lib/systemd/system/*.target "$tmp/d2/usr/lib/systemd/system/" 2>/dev/null || true
	systemd-analyze verify --man=no --root="$tmp/d2" /usr/lib/systemd/system/privsep-httpd.service ||
		fail "systemd-analyze verify refuses the installed unit"
	echo "packaging: systemd-analyze verify accepts the installed unit"
else
	echo "packaging: systemd-analyze is not installed: the unit's verify not run (its ExecStart checked)"
fi

# 3
mkdir -p "$tmp/c/subprojects"
cp "$src/tests/consumer/meson.build" "$src/tests/consumer/consumer.c" "$tmp/c/"
ln -s "$src" "$tmp/c/subprojects/privsep"
# no cmocka on the search path: a subproject must not need it
meson setup "$tmp/c/b" "$tmp/c" --force-fallback-for=privsep >/dev/null
ninja -C "$tmp/c/b" >/dev/null
built=$(ninja -C "$tmp/c/b" -t targets all | grep -o '^subprojects/privsep/[^:]*' |
	grep -v '\.o$' | grep -v '\.p/' | sed 's|^subprojects/privsep/||' | sort)
for t in $built; do
	case $t in
	framework/*) ;;
	*) fail "as a subproject privsep builds $t, not only the library" ;;
	esac
done
grep -q '"cmocka"' "$tmp/c/b/meson-info/intro-dependencies.json" 2>/dev/null &&
	fail "as a subproject privsep looks for cmocka"
readelf -d "$tmp/c/b/consumer" | grep -q 'NEEDED.*libprivsep.so' ||
	fail "the default (shared) subproject build does not link libprivsep.so"
meson setup "$tmp/c/s" "$tmp/c" --force-fallback-for=privsep -Ddefault_library=static >/dev/null
ninja -C "$tmp/c/s" >/dev/null
[ ! -e "$tmp/c/s/subprojects/privsep/framework/libprivsep.so" ] ||
	fail "default_library=static still builds the shared library"
if readelf -d "$tmp/c/s/consumer" | grep -q 'NEEDED.*libprivsep'; then
	fail "default_library=static: the consumer still needs libprivsep.so"
fi
"$tmp/c/s/consumer" | grep -q "consumer: ok" || fail "the static consumer does not run"
echo "packaging: installs, names, unit and subproject builds as documented"
