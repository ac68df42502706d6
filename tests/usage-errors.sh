#!/bin/sh
# SPDX-License-Identifier: ISC
# A tool's command line: --version answers; an unknown option, an option
# without its value and a bad value each exit with the usage status its
# man page documents (2, or STATUS: privsep-run's is 125 as env(1)'s),
# and the first line on standard error names the option.
#   usage-errors.sh TOOL MANPAGE [STATUS]
set -eu
tool=$1
page=$2
st=${3:-2}
name=$(basename "$tool")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "usage-errors: $name: $*" >&2
	exit 1
}

# the page documents st as the usage status
awk '/^\.SH EXIT STATUS/ { on = 1; next } /^\.SH/ { on = 0 } on' "$page" >"$tmp/status"
grep -q "^\.B $st$\|^$st \|; $st a usage" "$tmp/status" || fail "$page: no exit status $st"
grep -qi "usage error" "$tmp/status" || fail "$page: exit status $st is not said to be a usage error"

out=$("$tool" --version) || fail "--version: exit $?"
case $out in "$name (privsep) "[0-9]*.[0-9]*.[0-9]*) ;; *) fail "--version printed \"$out\"" ;; esac

# expect STATUS WORD ARG...: exit STATUS, WORD in the first line of stderr
expect() {
	want=$1
	word=$2
	shift 2
	rc=0
	"$tool" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
	[ "$rc" = "$want" ] || fail "$*: exit $rc, not $want"
	first=$(head -n 1 "$tmp/err")
	case $first in *"$word"*) ;; *) fail "$*: the first line \"$first\" does not name $word" ;; esac
	grep -q "^usage: $name" "$tmp/err" || fail "$*: no usage after the error"
	[ ! -s "$tmp/out" ] || fail "$*: wrote to standard output"
}

expect "$st" --frobnicate --frobnicate
expect "$st" "-q" -q
case $name in
privsep-policy)
	expect 2 --frobnicate export --frobnicate "<default.policy>"
	expect 2 --frobnicate verify --frobnicate "<default.policy>"
	expect 2 --frobnicate explain --frobnicate "<default.policy>" read
	expect 2 -o learn -o
	expect 2 frobnicate frobnicate x
	# a bad value: an ARG that is no number names itself, no usage
	rc=0
	"$tool" explain "<default.policy>" read 12frob >/dev/null 2>"$tmp/err" || rc=$?
	[ "$rc" = 2 ] || fail "explain with a bad ARG: exit $rc"
	grep -q "12frob" "$tmp/err" || fail "explain with a bad ARG does not name it"
	;;
fileopener)
	expect 2 --policy --policy
	expect 2 --allow-read --allow-read "" /etc/hostname
	expect 2 --allow-read-beneath --allow-read-beneath "$(printf 'a\nb')" /etc/hostname
	expect 2 --frobnicate --frobnicate=1 /etc/hostname
	;;
httpd)
	expect 2 --port --port
	expect 2 --port --port 70000
	expect 2 --port --port=8o
	expect 2 --workers --workers 0
	expect 2 --idle-timeout --idle-timeout -1
	expect 2 --max-conns --max-conns x
	expect 2 stray --port 0 stray
	;;
privsep-run)
	expect 125 --frobnicate --frobnicate -- /bin/true
	expect 125 "-q" -q -- /bin/true
	expect 125 --allow-read --allow-read
	expect 125 --allow-read --allow-read "" -- /bin/true
	expect 125 --allow-read-beneath --allow-read-beneath "$(printf 'a\nb')" -- /bin/true
	expect 125 --policy --policy
	expect 125 COMMAND --allow-read /etc/hostname --
	expect 125 stray stray -- /bin/true
	;;
*) fail "unknown tool" ;;
esac
echo "usage-errors: $name: --version, unknown options and bad values as documented"
