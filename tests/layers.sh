#!/bin/sh
# SPDX-License-Identifier: ISC
# The library's layers, checked on its objects (issue 15): from each
# object's defined and undefined symbols (nm on the members of
# libprivsep_internal.a) the object dependency graph, then
#  (a) every cycle among objects (each strongly connected component of
#      more than one object, with the calls that close it): none allowed;
#  (b) every call from an object of one folder into an object of another
#      that the allowed graph below does not list (a call upward or
#      sideways): none allowed;
#  (c) with SOURCE_ROOT, the same graph on the sources' #include "...":
#      a file may include its own folder's headers, include/privsep.h,
#      and those of the folders it may call (a struct reached through a
#      header is a dependency that no symbol shows).
# Usage: layers.sh LIBPRIVSEP_INTERNAL_A [NM [SOURCE_ROOT]]
#
# The allowed graph, as data (framework/README.md has the same table): a
# folder may call its own objects (without a cycle) and the folders after
# its colon.  "framework" is the files at framework/'s top (version.c):
# they call nothing of ours, and anyone may call them.
ALLOWED='
framework:
proto:
policy: proto
sandbox: policy proto
services: policy proto
client: proto sandbox
helper: client services sandbox policy proto
'
set -u
lib=$1
nm=${2:-nm}
src=${3:-}
fail() { echo "layers: $*" >&2; exit 1; }
[ -f "$lib" ] || fail "no library $lib"
syms=$("$nm" -A "$lib" 2>/dev/null) || fail "$nm -A $lib failed"
[ -n "$syms" ] || fail "$nm found no symbols in $lib"

bad_includes=0
if [ -n "$src" ]; then
	[ -d "$src/framework" ] || fail "no $src/framework"
	# "FOLDER HEADER" for every header of ours, then "FOLDER FILE INCLUDED"
	# for every #include "..." of a source or header
	bad_includes=$(
		cd "$src/framework" && {
			for h in */*.h; do echo "H ${h%%/*} ${h#*/}"; done
			for f in */*.c */*.h; do
				sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
					while read -r inc; do echo "I ${f%%/*} $f $inc"; done
			done
		} | awk -v allowed="$ALLOWED" '
		BEGIN {
			n = split(allowed, L, "\n")
			for (i = 1; i <= n; i++) {
				if (L[i] !~ /:/) continue
				f = substr(L[i], 1, index(L[i], ":") - 1)
				k = split(substr(L[i], index(L[i], ":") + 1), T, " ")
				for (j = 1; j <= k; j++) may[f, T[j]] = 1
			}
		}
		$1 == "H" { owner[$3] = $2; next }
		{
			if (!($4 in owner)) next
			o = owner[$4]
			if (o == $2 || o == "include" || ($2, o) in may) next
			printf "layers: %s includes %s (%s/): %s/ may call only what framework/README.md lists\n", $3, $4, o, $2 > "/dev/stderr"
			bad++
		}
		END { print bad + 0 }')
fi

printf '%s\n' "$syms" | awk -v allowed="$ALLOWED" -v bad_includes="$bad_includes" '
function obj(member) {
	# nm -A: ARCHIVE:MEMBER:...; meson names a member FOLDER_FILE.c.o
	sub(/.*\.a\.p\//, "", member)
	sub(/\.c\.o$/, "", member)
	# the embedded shipped policies belong to the policy compiler
	sub(/^meson-generated_\.\._/, "policy_", member)
	return member
}
function folder(o) {
	if (o !~ /_/) return "framework"
	return substr(o, 1, index(o, "_") - 1)
}
function strong(v,    e, w, i, n, comp, line, x, y) {
	idx[v] = low[v] = ++counter
	stack[++sp] = v
	on[v] = 1
	for (e = 1; e <= nout[v]; e++) {
		w = out[v, e]
		if (!(w in idx)) {
			strong(w)
			if (low[w] < low[v]) low[v] = low[w]
		} else if (on[w] && idx[w] < low[v])
			low[v] = idx[w]
	}
	if (low[v] != idx[v]) return
	n = 0
	do {
		w = stack[sp--]
		on[w] = 0
		comp[++n] = w
	} while (w != v)
	if (n < 2) return
	ncycles++
	line = comp[n]
	for (i = n - 1; i >= 1; i--) line = line " " comp[i]
	printf "layers: a cycle of %d objects: %s\n", n, line
	for (x = 1; x <= n; x++)
		for (y = 1; y <= n; y++)
			if ((comp[x], comp[y]) in edge)
				printf "  %s -> %s: %s\n", comp[x], comp[y], edge[comp[x], comp[y]]
}
BEGIN {
	nlines = split(allowed, L, "\n")
	for (i = 1; i <= nlines; i++) {
		if (L[i] !~ /:/) continue
		f = substr(L[i], 1, index(L[i], ":") - 1)
		known[f] = 1
		k = split(substr(L[i], index(L[i], ":") + 1), T, " ")
		for (j = 1; j <= k; j++) may[f, T[j]] = 1
	}
}
{
	split($0, P, ":")
	o = obj(P[2])
	objs[o] = 1
	s = $NF
	t = $(NF - 1)
	if (NF == 2) t = $1
	if (t == "U") used[o, s] = 1
	else if (t ~ /^[TDBRCVWGS]$/) def[s] = o
}
END {
	for (o in objs)
		if (!(folder(o) in known)) {
			printf "layers: %s is in folder %s, which the allowed graph does not name\n", o, folder(o)
			bad++
		}
	for (k in used) {
		split(k, U, SUBSEP)
		if (!(U[2] in def) || def[U[2]] == U[1]) continue
		a = U[1]; b = def[U[2]]
		if ((a, b) in edge) edge[a, b] = edge[a, b] ", " U[2]
		else {
			edge[a, b] = U[2]
			out[a, ++nout[a]] = b
			nedges++
		}
	}
	for (k in edge) {
		split(k, E, SUBSEP)
		fa = folder(E[1]); fb = folder(E[2])
		if (fa == fb || fb == "framework" || (fa, fb) in may) continue
		printf "layers: %s (%s/) calls %s (%s/): %s; %s/ may call only:%s\n", E[1], fa, E[2], fb,
		    edge[k], fa, allowed_of(fa)
		bad++
	}
	nobjs = 0
	for (o in objs) {
		nobjs++
		if (!(o in idx)) strong(o)
	}
	printf "layers: %d objects, %d dependencies between them, %d cycle(s), %d call(s) and %d include(s) against the layers\n",
	    nobjs, nedges, ncycles + 0, bad + 0, bad_includes
	exit (ncycles > 0 || bad > 0 || bad_includes > 0)
}
function allowed_of(f,    i, r, g) {
	r = ""
	for (i = 1; i <= nlines; i++)
		if (index(L[i], f ":") == 1) r = substr(L[i], length(f) + 2)
	return r == "" ? " nothing" : r
}
'
