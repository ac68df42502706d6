#!/bin/sh
# SPDX-License-Identifier: ISC
# examples/httpd as curl sees it: every feature of the server, one check
# each, on a free loopback port.
# Usage: httpd-curl.sh HTTPD PRIVSEP-POLICY POLICY-DIR
set -u
httpd=$1
tool=$2
policies=$3
command -v curl >/dev/null || { echo "httpd-curl: curl is not installed (./run installs it)" >&2; exit 1; }
d=$(mktemp -d /tmp/privsep-httpd-curl.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT
fail() { echo "httpd-curl: $*" >&2; echo "--- server log:" >&2; cat "$d/log" >&2; exit 1; }

# the policy ships, and check and verify pass on it
"$tool" check "$policies/httpd.policy" >"$d/out" 2>&1 || fail "check: $(cat "$d/out")"
"$tool" verify "$policies/httpd.policy" >"$d/out" 2>&1 || fail "verify: $(cat "$d/out")"
"$tool" shipped | grep -qx "<httpd.policy>" || fail "httpd.policy is not shipped: $("$tool" shipped)"
# every allow rule says why
if grep '^allow' "$policies/httpd.policy" | grep -v ' because "' >"$d/out"; then
	fail "httpd.policy: a rule without because: $(cat "$d/out")"
fi

chmod 755 "$d"
mkdir -p "$d/root/sub" "$d/root/empty" "$d/root/with space"
printf 'hello\n' >"$d/root/a.txt"
printf '<h1>home</h1>\n' >"$d/root/index.html"
printf '<h1>sub</h1>\n' >"$d/root/sub/index.html"
printf 'p{}\n' >"$d/root/s.css"
printf 'x' >"$d/root/i.png"
printf 'x' >"$d/root/noext"
printf 'spaced\n' >"$d/root/with space/f.txt"
head -c 1048576 /dev/urandom >"$d/root/1m.bin"
head -c 10000000 /dev/urandom >"$d/root/10m.bin"
ln -s a.txt "$d/root/link.txt"
ln -s /etc/passwd "$d/root/out"
touch -d "2020-01-02 03:04:05 UTC" "$d/root/a.txt"
chmod -R a+rX "$d/root"

# wait_port: the port from the server's "listening on" line in $d/log
wait_port() {
	i=0
	port=
	while [ -z "$port" ] && [ $i -lt 400 ]; do
		port=$(sed -n 's/^httpd: listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$d/log")
		[ -z "$port" ] && sleep 0.05
		i=$((i + 1))
	done
}

"$httpd" --address 127.0.0.1 --port 0 --root "$d/root" --workers 2 --access-log 2>"$d/log" &
pid=$!
wait_port
[ -n "$port" ] || fail "no 'listening on' line"
u="http://127.0.0.1:$port"

# get URL [curl options]: the status; headers in $d/h, body in $d/b
get() {
	url=$1
	shift
	rm -f "$d/h" "$d/b"
	curl -s --max-time 20 -D "$d/h" -o "$d/b" -w '%{http_code}' "$@" "$u$url"
}
hdr() { tr -d '\r' <"$d/h" | grep -i "^$1: " | head -1 | cut -d' ' -f2-; }
expect() { # expect STATUS URL [curl options]
	want=$1
	shift
	got=$(get "$@")
	[ "$got" = "$want" ] || fail "$*: status $got, not $want"
}

# 200: body, Content-Length, Content-Type, Last-Modified, Accept-Ranges
expect 200 /a.txt
[ "$(cat "$d/b")" = hello ] || fail "/a.txt body: $(cat "$d/b")"
[ "$(hdr content-length)" = 6 ] || fail "Content-Length $(hdr content-length)"
[ "$(hdr content-type)" = "text/plain; charset=utf-8" ] || fail "Content-Type $(hdr content-type)"
[ "$(hdr last-modified)" = "Thu, 02 Jan 2020 03:04:05 GMT" ] || fail "Last-Modified $(hdr last-modified)"
[ "$(hdr accept-ranges)" = bytes ] || fail "Accept-Ranges"
[ "$(hdr x-content-type-options)" = nosniff ] || fail "nosniff"
hdr date | grep -q ' GMT$' || fail "Date $(hdr date)"

# Content-Type by extension
expect 200 /s.css
[ "$(hdr content-type)" = "text/css; charset=utf-8" ] || fail "css type $(hdr content-type)"
expect 200 /i.png
[ "$(hdr content-type)" = "image/png" ] || fail "png type"
expect 200 /noext
[ "$(hdr content-type)" = "application/octet-stream" ] || fail "default type"
expect 200 /index.html
[ "$(hdr content-type)" = "text/html; charset=utf-8" ] || fail "html type"

# HEAD: the same head, no body
expect 200 /a.txt -I
[ "$(hdr content-length)" = 6 ] || fail "HEAD Content-Length"
cmp -s "$d/b" "$d/h" || fail "HEAD sent more than the head" # curl -I writes the head as its output

# index.html for directories; the slash added with a 301
expect 200 /
[ "$(cat "$d/b")" = "<h1>home</h1>" ] || fail "/ is not index.html"
expect 200 /sub/
[ "$(cat "$d/b")" = "<h1>sub</h1>" ] || fail "/sub/ is not its index.html"
expect 301 /sub
[ "$(hdr location)" = "/sub/" ] || fail "Location $(hdr location)"
expect 200 /sub -L
expect 404 /empty/
expect 301 "//sub"
[ "$(hdr location)" = "/sub/" ] || fail "//sub redirects off-site: $(hdr location)"
# the query goes along, bytes outside a query's percent-encoded
expect 301 '/sub?a=1&b=%20x/y?z"<'
[ "$(hdr location)" = '/sub/?a=1&b=%20x/y?z%22%3C' ] || fail "301 query: $(hdr location)"
expect 301 '/sub?'
[ "$(hdr location)" = '/sub/?' ] || fail "301 empty query: $(hdr location)"

# percent-encoded names
expect 200 "/with%20space/f.txt"
[ "$(cat "$d/b")" = spaced ] || fail "encoded name"

# 404, 403 with small HTML bodies
expect 404 /nope.txt
grep -q "404 Not Found" "$d/b" || fail "404 body"
[ "$(hdr content-type)" = "text/html; charset=utf-8" ] || fail "404 type"
expect 404 /a.txt/
expect 200 /link.txt
[ "$(cat "$d/b")" = hello ] || fail "a symlink inside the root"
expect 403 /out
expect 403 /../etc/passwd --path-as-is
expect 403 /%2e%2e/etc/passwd --path-as-is
expect 403 /sub/../a.txt --path-as-is
grep -q "escapes the root" "$d/log" || fail "no log line for the symlink out"
[ "$(grep -c "a .. component is never allowed" "$d/log")" = 3 ] || fail "not one log line per .. refusal"
if grep -q "ENOENT\|ENOTDIR" "$d/log"; then fail "a 404 was logged as a violation"; fi
# a refusal whose path carries the words of a 404 line is logged all the
# same: the log level decides what is dropped, not the client's text
expect 403 "/../etc/passwd%3A%20ENOENT%3A%20" --path-as-is
grep -q "etc/passwd: ENOENT: : EACCES: a .. component" "$d/log" ||
	fail "a refusal hid behind the words of a 404"

# 405 with Allow
expect 405 /a.txt -X POST
[ "$(hdr allow)" = "GET, HEAD" ] || fail "Allow $(hdr allow)"
expect 405 /a.txt -X DELETE

# 304 / If-Modified-Since
expect 304 /a.txt -H "If-Modified-Since: Thu, 02 Jan 2020 03:04:05 GMT"
[ ! -s "$d/b" ] || fail "304 with a body"
[ "$(hdr last-modified)" = "Thu, 02 Jan 2020 03:04:05 GMT" ] || fail "304 Last-Modified"
expect 304 /a.txt -z "Fri, 03 Jan 2020 00:00:00 GMT"
expect 200 /a.txt -z "Wed, 01 Jan 2020 00:00:00 GMT"
expect 200 /a.txt -H "If-Modified-Since: not a date"

# ETag "MTIME-NSEC-SIZE" in hex, If-None-Match (before If-Modified-Since)
expect 200 /a.txt
etag=$(hdr etag)
[ "$etag" = '"5e0d5da5-0-6"' ] || fail "ETag $etag"
expect 304 /a.txt -H "If-None-Match: $etag"
[ "$(hdr etag)" = "$etag" ] || fail "304 ETag"
expect 304 /a.txt -H "If-None-Match: \"1-1\", W/$etag"
expect 304 /a.txt -H "If-None-Match: *"
expect 200 /a.txt -H "If-None-Match: \"5e0d5da5-0-7\""
expect 200 /a.txt -H "If-None-Match: \"5e0d5da5-1-6\""
expect 200 /a.txt -H "If-None-Match: \"1-1\"" -H "If-Modified-Since: Thu, 02 Jan 2020 03:04:05 GMT"
expect 206 /a.txt -r 0-1 -H "If-Range: $etag"
expect 200 /a.txt -r 0-1 -H "If-Range: W/$etag"

# Range: 206 for one range, 416 outside, 200 for several
expect 206 /a.txt -r 0-3
[ "$(cat "$d/b")" = hell ] || fail "range 0-3: $(cat "$d/b")"
[ "$(hdr content-range)" = "bytes 0-3/6" ] || fail "Content-Range $(hdr content-range)"
[ "$(hdr content-length)" = 4 ] || fail "range Content-Length"
expect 206 /a.txt -r -2
[ "$(od -An -c "$d/b" | tr -d ' ')" = 'o\n' ] || fail "suffix range"
expect 206 /a.txt -r 4-
[ "$(hdr content-range)" = "bytes 4-5/6" ] || fail "open range $(hdr content-range)"
expect 416 /a.txt -r 6-10
[ "$(hdr content-range)" = "bytes */6" ] || fail "416 Content-Range $(hdr content-range)"
expect 200 /a.txt -r 0-1,3-4
[ "$(hdr content-length)" = 6 ] || fail "multiple ranges not answered whole"
expect 206 /1m.bin -r 100000-299999
dd if="$d/root/1m.bin" bs=100000 skip=1 count=2 2>/dev/null | cmp -s - "$d/b" || fail "1m range bytes"
expect 206 /a.txt -r 0-3 -H "If-Range: Thu, 02 Jan 2020 03:04:05 GMT"
expect 200 /a.txt -r 0-3 -H "If-Range: Thu, 02 Jan 2020 03:04:06 GMT"
# a Last-Modified not a second before Date is no strong validator: an
# If-Range with it is the whole file (here it is in the future)
printf 'future\n' >"$d/root/future.txt"
touch -d "2099-01-02 03:04:05 UTC" "$d/root/future.txt"
chmod a+r "$d/root/future.txt"
expect 200 /future.txt -r 0-1 -H "If-Range: Fri, 02 Jan 2099 03:04:05 GMT"
[ "$(hdr last-modified)" = "Fri, 02 Jan 2099 03:04:05 GMT" ] || fail "future Last-Modified"
[ "$(hdr content-length)" = 7 ] || fail "If-Range with a weak date gave a part"

# large files arrive whole (sendfile)
expect 200 /1m.bin
cmp -s "$d/b" "$d/root/1m.bin" || fail "1m.bin differs"
expect 200 /10m.bin
cmp -s "$d/b" "$d/root/10m.bin" || fail "10m.bin differs"

# keep-alive: three requests, one connection
n=$(curl -s --max-time 20 -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects}\n' \
	"$u/a.txt" "$u/1m.bin" "$u/nope" | tr '\n' ' ')
[ "$n" = "1 0 0 " ] || fail "keep-alive: connects per request: $n"
expect 200 /a.txt
[ "$(hdr connection)" = keep-alive ] || fail "1.1 Connection $(hdr connection)"
# HTTP/1.0 closes unless asked
expect 200 /a.txt -0
[ "$(hdr connection)" = close ] || fail "1.0 Connection $(hdr connection)"
expect 200 /a.txt -H "Connection: close"
[ "$(hdr connection)" = close ] || fail "close not honoured"

# the workers' file cache (1 s): a change in place is seen at once, a
# removed or replaced file once its entry expired (1.5 s is past it
# however slow the machine: the expiry is a deadline, not a race)
printf 'v1\n' >"$d/root/c.txt"
expect 200 /c.txt
expect 200 /c.txt
printf 'v2 longer\n' >"$d/root/c.txt"
expect 200 /c.txt
[ "$(cat "$d/b")" = "v2 longer" ] || fail "a change in place not seen: $(cat "$d/b")"
printf 'v3\n' >"$d/new" && chmod 644 "$d/new" && mv "$d/new" "$d/root/c.txt"
printf 'x\n' >"$d/root/gone.txt"
expect 200 /gone.txt
rm "$d/root/gone.txt"
sleep 1.5
expect 200 /c.txt
[ "$(cat "$d/b")" = "v3" ] || fail "a replaced file still served after its entry expired: $(cat "$d/b")"
expect 404 /gone.txt

# limits: 414 and 431 with small bodies
long=$(head -c 9000 /dev/zero | tr '\0' a)
expect 414 "/$long"
big=$(head -c 20000 /dev/zero | tr '\0' b)
expect 431 / -H "X-Big: $big"

# --access-log: one line per answer in the Common Log Format, the path
# escaped, the body's bytes counted (no header bytes; "-" for none)
expect 200 "/with%20space/f.txt" -H "User-Agent: x"
grep -q '^privsep: [0-9T:.-]*Z worker "httpd-worker-[0-9]*" pid [0-9]*: 127\.0\.0\.1 - - \[[0-3][0-9]/[A-Z][a-z][a-z]/[0-9][0-9][0-9][0-9]:[0-2][0-9]:[0-5][0-9]:[0-6][0-9] +0000\] "GET /with\\x20space/f\.txt HTTP/1\.1" 200 7$' "$d/log" ||
	fail "no access log line in the Common Log Format with the body's 7 bytes"
grep -q '"GET /\.\./etc/passwd HTTP/1\.1" 403 [1-9][0-9]*$' "$d/log" || fail "no access log line for a 403 with its page's bytes"
grep -q '"HEAD /a\.txt HTTP/1\.1" 200 -$' "$d/log" || fail "no access log line for a HEAD with no body (-)"

# no worker died in all this, and the server still serves
expect 200 /a.txt
if grep -q '": restart \|seccomp violation\|killed' "$d/log"; then fail "a worker died"; fi

# the helper runs under its own filter (helper-spawn.policy), and still
# restarts a killed worker and replaces both at a reload
wait_line() { # wait_line PATTERN: up to 20 s for a line of $d/log
	i=0
	until grep -q "$1" "$d/log" || [ $i -ge 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	grep -q "$1" "$d/log"
}
wait_line 'helper: confined by httpd helper, which lets it start workers' || fail "the helper is not confined"
[ "$(sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$pid/status")" = 2 ] || fail "the helper has no filter"
w=$(sed -n 's/^privsep: [0-9T:.-]*Z worker "httpd-worker-1" pid \([0-9]*\).*/\1/p' "$d/log" | head -1)
[ -n "$w" ] || fail "no pid of httpd-worker-1"
kill -KILL "$w"
wait_line "worker \"httpd-worker-1\" pid $w: killed by signal 9" || fail "the kill is not logged"
wait_line 'worker "httpd-worker-1": restart 1 in 100 ms' || fail "no restart"
# a reload is refused while a worker restarts: again until one is taken
i=0
until grep -q 'being replaced' "$d/log" || [ $i -ge 100 ]; do
	n=$(grep -c 'reload refused' "$d/log")
	kill -HUP "$pid"
	until [ "$(grep -c 'reload refused' "$d/log")" != "$n" ] || grep -q 'being replaced' "$d/log" ||
		[ $i -ge 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
done
wait_line 'worker "httpd-worker-2" pid [0-9]*: replaced by' || fail "no reload under the helper's filter"
i=0
until [ "$(grep -c ': replaced by' "$d/log")" = 2 ] || [ $i -ge 400 ]; do
	sleep 0.05
	i=$((i + 1))
done
[ "$(grep -c ': replaced by' "$d/log")" = 2 ] || fail "not both workers replaced at the reload"
expect 200 /a.txt
kill -0 "$pid" || fail "the helper is gone"

# SIGTERM: a clean stop, status 0
kill "$pid"
wait "$pid"
st=$?
pid=
[ "$st" = 0 ] || fail "exit status $st after SIGTERM"
grep -q "^httpd: stopped by signal 15" "$d/log" || fail "no stop line"
# --policy: a policy with findings is refused (exit 2, file:line)
printf 'version 1\ninclude <httpd.policy>\nallow bogus_call\n' >"$d/bad.policy"
"$httpd" --port 0 --address 127.0.0.1 --root "$d/root" --policy "$d/bad.policy" 2>"$d/err"
st=$?
[ "$st" = 2 ] || fail "a bad policy: exit $st, not 2: $(cat "$d/err")"
grep -q "bad.policy:3" "$d/err" || fail "a bad policy: no file:line: $(cat "$d/err")"

# --max-conns and the fds: more connections than the shipped policy's
# rlimit nofile 4096 allows (2 per connection, 64 + 16 more) stop httpd at
# start (exit 2, one line); more than this process can give, before any
# worker starts
"$httpd" --port 0 --address 127.0.0.1 --root "$d/root" --workers 1 --max-conns 2009 2>"$d/err"
st=$?
[ "$st" = 2 ] || fail "--max-conns 2009: exit $st, not 2: $(cat "$d/err")"
grep -q "below the 4098 fds --max-conns 2009 needs; stopping" "$d/err" ||
	fail "--max-conns 2009: no line: $(cat "$d/err")"
(ulimit -n 1000 && "$httpd" --port 0 --address 127.0.0.1 --root "$d/root" --max-conns 1000 2>"$d/err")
st=$?
[ "$st" = 2 ] || fail "--max-conns over the hard limit: exit $st, not 2: $(cat "$d/err")"
grep -q "^httpd: --max-conns 1000 needs 2080 fds per worker; this process may give at most 1000" "$d/err" ||
	fail "--max-conns over the hard limit: no line: $(cat "$d/err")"
# the largest the policy allows starts (the log emptied first: the
# background job's redirection may come after wait_port's first look,
# which would then read the previous server's port)
: >"$d/log"
"$httpd" --address 127.0.0.1 --port 0 --root "$d/root" --workers 1 --max-conns 2008 2>"$d/log" &
pid=$!
wait_port
[ -n "$port" ] || fail "--max-conns 2008: no 'listening on' line"
u="http://127.0.0.1:$port"
expect 200 /a.txt
kill "$pid"
wait "$pid"
pid=

# --policy without sendfile: the first large file kills the worker with
# one log line naming its filter, the helper restarts it, and small
# files (sent without sendfile) are still served
cat >"$d/nosendfile.policy" <<EOP
version 1
include <default.policy>
allow accept4 if flags within SOCK_NONBLOCK|SOCK_CLOEXEC because "the listening socket"
allow setsockopt if level == 6 and optname in {1, 25} because "TCP_NODELAY, TCP_NOTSENT_LOWAT"
rlimit nofile 4096
EOP
: >"$d/log"
"$httpd" --address 127.0.0.1 --port 0 --root "$d/root" --workers 1 --policy "$d/nosendfile.policy" \
	2>"$d/log" &
pid=$!
wait_port
[ -n "$port" ] || fail "--policy: no 'listening on' line"
u="http://127.0.0.1:$port"
got=$(get /1m.bin)
[ "$got" = 200 ] && cmp -s "$d/b" "$d/root/1m.bin" && fail "a worker without sendfile sent 1m.bin"
i=0
until [ "$(get /a.txt)" = 200 ] || [ $i -ge 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(cat "$d/b")" = hello ] || fail "no 200 after the restart"
[ "$(grep -c "seccomp violation" "$d/log")" = 1 ] || fail "not one line for the violation"
# the kernel names it to the helper (seccomp user notification), with its
# arguments, whatever the helper may read: sendfile(socket, file, &offset,
# count)
grep "seccomp violation" "$d/log" | grep -q "seccomp violation: sendfile(0x[0-9a-f]*, 0x[0-9a-f]*, 0x[0-9a-f]*, 0x[0-9a-f]*, .*syscall 40; denied by the default action of" ||
	fail "the violation line does not name sendfile and its arguments"
[ "$(grep -c 'worker "httpd-worker-1": restart 1 in 100 ms' "$d/log")" = 1 ] || fail "not one line for the restart"
kill "$pid"
wait "$pid"
pid=
# the same as under the shipped unit (PrivateDevices=yes: a /dev without
# kmsg; its CapabilityBoundingSet: no CAP_SYSLOG; NoNewPrivileges): the
# line still names sendfile and its arguments.  It needs root (a mount
# namespace and a private /dev); an ordinary user's run above had no
# capability at all already.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v setpriv >/dev/null &&
	unshare -m true 2>/dev/null; then
	: >"$d/log"
	unshare -m sh -c '
		mount -t tmpfs -o mode=755 privsep-dev /dev &&
		mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 &&
		mknod -m 666 /dev/urandom c 1 9 &&
		exec setpriv --no-new-privs --bounding-set -all,+net_bind_service,+dac_read_search,+kill,+setuid,+setgid,+setpcap,+sys_admin,+sys_chroot "$@"' \
		sh "$httpd" --address 127.0.0.1 --port 0 --root "$d/root" --workers 1 \
		--policy "$d/nosendfile.policy" 2>"$d/log" &
	pid=$!
	wait_port
	[ -n "$port" ] || fail "unit-like: no 'listening on' line"
	u="http://127.0.0.1:$port"
	get /1m.bin >/dev/null
	i=0
	until grep -q "seccomp violation" "$d/log" || [ $i -ge 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	grep "seccomp violation" "$d/log" | grep -q "seccomp violation: sendfile(0x[0-9a-f]*, 0x[0-9a-f]*, " ||
		fail "unit-like (no /dev/kmsg, no CAP_SYSLOG): the violation is not named with its arguments"
	kill "$pid"
	wait "$pid"
	pid=
else
	echo "httpd-curl: not root or no unshare: the unit-like run (a /dev without kmsg, no CAP_SYSLOG) is left out; the run above as this user named the call without any capability"
fi

# --learn with the same policy: the one worker runs sendfile (let
# through, logged), serves the large file whole, and when it ends the
# proposal is the policy's own text and exactly one learned rule, allow
# sendfile, which check accepts
: >"$d/log"
"$httpd" --address 127.0.0.1 --port 0 --root "$d/root" --policy "$d/nosendfile.policy" \
	--learn "$d/learned.policy" 2>"$d/log" &
pid=$!
wait_port
[ -n "$port" ] || fail "--learn: no 'listening on' line"
u="http://127.0.0.1:$port"
grep -q "LEARN MODE" "$d/log" || fail "--learn: no line saying the worker is not sandboxed by its filter"
[ "$(get /1m.bin)" = 200 ] && cmp -s "$d/b" "$d/root/1m.bin" || fail "--learn: 1m.bin not served whole"
grep -q "learn: sendfile(0x" "$d/log" || fail "--learn: sendfile not reported with its arguments"
grep -q "seccomp violation" "$d/log" && fail "--learn: a violation killed the worker"
kill "$pid"
wait "$pid"
pid=
grep -q "^allow sendfile because \"learned; review\"$" "$d/learned.policy" ||
	fail "--learn: no allow sendfile in the proposal: $(cat "$d/learned.policy")"
[ "$(grep -c "^allow .* because \"learned; review\"$" "$d/learned.policy")" = 1 ] ||
	fail "--learn: more than allow sendfile learned: $(cat "$d/learned.policy")"
grep -q "^# learned: sendfile, [0-9]* calls\?; arg0 0x" "$d/learned.policy" ||
	fail "--learn: no argument values for sendfile: $(cat "$d/learned.policy")"
# the policy's own rules: its file included, or its text (httpd reads
# the file itself, to read it again at a reload), line by line
if ! grep -q "^include \"$d/nosendfile.policy\"$" "$d/learned.policy"; then
	while IFS= read -r line; do
		grep -qxF "$line" "$d/learned.policy" ||
			fail "--learn: the policy's own rule '$line' is not in the proposal: $(cat "$d/learned.policy")"
	done <"$d/nosendfile.policy"
fi
"$tool" check "$d/learned.policy" >/dev/null ||
	fail "--learn: the proposal does not pass check"
# and it is a policy httpd serves under, enforced: the file whole, no
# violation
: >"$d/log"
"$httpd" --address 127.0.0.1 --port 0 --root "$d/root" --policy "$d/learned.policy" 2>"$d/log" &
pid=$!
wait_port
[ -n "$port" ] || fail "--learn: the proposal does not start httpd: $(cat "$d/log")"
u="http://127.0.0.1:$port"
[ "$(get /1m.bin)" = 200 ] && cmp -s "$d/b" "$d/root/1m.bin" ||
	fail "--learn: under the proposal, 1m.bin not served whole"
grep -q "seccomp violation\|LEARN MODE" "$d/log" && fail "--learn: under the proposal: $(cat "$d/log")"
kill "$pid"
wait "$pid"
pid=
# --learn is for one worker
"$httpd" --port 0 --root "$d/root" --workers 2 --learn "$d/x.policy" 2>"$d/err" &&
	fail "--learn with --workers 2 was accepted"
grep -q "one worker" "$d/err" || fail "--learn --workers 2: $(cat "$d/err")"
echo "httpd-curl: all checks passed"
