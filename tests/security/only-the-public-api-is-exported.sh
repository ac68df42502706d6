#!/bin/sh
# SPDX-License-Identifier: ISC
# Only the public API is exported: the functions declared in the installed
# header include/privsep.h are exactly the symbols the shared library
# exports (nm -D) and the installed static library defines globally (nm),
# both ways: nothing extra, nothing missing.  The static library also
# references no internal name globally, so a daemon's own function of
# that name can neither replace the framework's nor clash with it.
# Usage: only-the-public-api-is-exported.sh BUILD_ROOT HEADER SHARED STATIC INTERNAL GCC
set -eu
build=$1 hdr=$2 so=$3 a=$4 internal=$5 gcc=$6
# meson names the libraries relative to the build directory
for v in so a internal; do
	eval "p=\$$v"
	case $p in /*) ;; *) eval "$v=\$build/\$p" ;; esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "only-the-public-api-is-exported: $*" >&2
	exit 1
}
# compare NAME FILE: FILE (sorted names) against the header's functions
compare() {
	comm -13 "$tmp/api" "$2" >"$tmp/extra"
	comm -23 "$tmp/api" "$2" >"$tmp/missing"
	if [ -s "$tmp/extra" ] || [ -s "$tmp/missing" ]; then
		sed 's/^/  extra: /' "$tmp/extra" >&2
		sed 's/^/  missing: /' "$tmp/missing" >&2
		fail "$1 differs from the functions privsep.h declares"
	fi
}

# 1. What the header declares, as the compiler reads it (comments,
#    macros and line breaks do not fool it).
printf '#include "privsep.h"\n' >"$tmp/h.c"
"$gcc" -D_GNU_SOURCE -I"$(dirname "$hdr")" -fsyntax-only -aux-info "$tmp/aux" "$tmp/h.c"
grep '/privsep\.h:[0-9]*:' "$tmp/aux" |
	sed -n 's|^.*\*/ \(extern \)\{0,1\}[^(]*[^A-Za-z0-9_(]\([A-Za-z_][A-Za-z0-9_]*\) (.*$|\2|p' |
	sort -u >"$tmp/api"
n=$(wc -l <"$tmp/api")
[ "$n" -ge 50 ] || fail "only $n functions read from $hdr"
grep -v '^privsep_' "$tmp/api" && fail "the header declares functions without the privsep_ prefix"

# 2. The shared library: its dynamic symbols, all of version PRIVSEP_1.
nm -D --defined-only "$so" | awk '$2 != "A"' >"$tmp/so.nm"
grep -v '@@PRIVSEP_1$' "$tmp/so.nm" && fail "$so exports symbols outside version PRIVSEP_1"
awk '{ sub(/@.*/, "", $3); print $3 }' "$tmp/so.nm" | sort -u >"$tmp/so"
compare "nm -D $so" "$tmp/so"

# 3. The static library: its global definitions...
nm -g --defined-only "$a" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/a"
compare "nm $a" "$tmp/a"
# ... and no undefined reference to a name the framework defines itself
# (which a daemon's definition would satisfy).
nm "$internal" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/own"
nm -u "$a" | awk '{ print $NF }' | sort -u | comm -12 - "$tmp/own" >"$tmp/refs"
if [ -s "$tmp/refs" ]; then
	sed 's/^/  undefined: /' "$tmp/refs" >&2
	fail "$a references internal names globally"
fi

# ... and the shared library calls none of its own public functions
# through the PLT, where a daemon's definition would take their place
# (-Bsymbolic-functions binds them inside it).
objdump -d "$so" | grep -o '<privsep_[a-z0-9_]*@plt>' | sort -u >"$tmp/plt"
if [ -s "$tmp/plt" ]; then
	sed 's/^/  called through the PLT: /' "$tmp/plt" >&2
	fail "$so calls its own public functions through the PLT"
fi

# 4. These are the files that are installed.
meson introspect --installed "$build" >"$tmp/installed.json"
#    default_library (DEFAULT_LIBRARY, from meson) says which libraries
#    are installed: both checked ones when both, else the one it names.
python3 - "$tmp/installed.json" "$so" "$a" "$hdr" "${DEFAULT_LIBRARY:-both}" <<'PY' || fail "the installed files are not the ones checked"
import json, os, sys
inst = json.load(open(sys.argv[1]))
real = {os.path.realpath(k): v for k, v in inst.items() if os.path.isabs(k)}
so, a, hdr = (os.path.realpath(p) for p in sys.argv[2:5])
kind = sys.argv[5]
want = [hdr] + ([so] if kind != "static" else []) + ([a] if kind != "shared" else [])
ok = True
for f in (so, a):
    if f not in want and f in real:
        print("  installed though default_library is %s: %s" % (kind, f), file=sys.stderr); ok = False
for f in want:
    if f not in real:
        print("  not installed: " + f, file=sys.stderr); ok = False
    elif os.path.basename(real[f]) != os.path.basename(f):
        print("  %s installed as %s" % (f, real[f]), file=sys.stderr); ok = False
# the only libraries installed are the ones checked (the static one
# localized)
for k, v in inst.items():
    b = os.path.basename(v)
    if b.startswith("libprivsep.so") and so in want:
        continue  # the shared library's links
    if (b.endswith(".a") or ".so" in b) and os.path.realpath(k) not in (so, a):
        print("  another library installed: " + v, file=sys.stderr); ok = False
sys.exit(0 if ok else 1)
PY
echo "only-the-public-api-is-exported: ok ($n functions)"
