#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/httpd.sh - examples/httpd against nginx (Debian's nginx-light) on
# loopback with wrk: requests/s and latency for a small file and a 1 MiB
# file, the servers interleaved in one run, same files, same number of
# workers, keep-alive connections.  Each server twice: as it comes (httpd
# reuses a brokered file for 1 s; nginx opens every file) and with the
# other's choice (httpd --file-cache 0: every request asks the broker;
# nginx with open_file_cache for 1 s).  And three more servers, the
# floors of httpd --file-cache 0 (bench/httpd_floor.c: httpd's
# connection handling, nginx's calls per request, each open through a
# raw broker process; no framework): `floor`, whose broker only opens,
# `floor-look`, whose broker keeps the brokered open's guarantees
# with the fewest system calls (--look: a statx before the open, an
# fstat after it), and `floor-sandbox`, floor-look under the sandbox
# httpd's guarantees require (--look --sandbox: the broker confined as
# httpd's helper is, its Landlock and helper.policy's filter; the
# workers under httpd's policy's filters and a Landlock layer).  Prints
# markdown tables.
#
# Usage: bench/httpd.sh HTTPD [SECONDS]   (./run bench installs wrk and
# nginx and builds HTTPD: build/examples/httpd/httpd)
# Environment: WORKERS (default: CPUs), CONNS (64), THREADS (2), ROUNDS (2),
# CPUS (a taskset list for the servers and wrk alike; default: no pinning),
# FLOOR (the httpd-floor binary; default: bench/httpd-floor of HTTPD's
# build directory; none there, or FLOOR=none: no floor rows), SERVERS (the
# rows to run, of httpd httpd-nocache nginx nginx-cache floor floor-look
# floor-sandbox; default all but floor, which keeps none of the brokered
# open's guarantees (so the default run takes as long as before
# floor-sandbox);
# every server is started and checked anyway), FILES (small.html 1m.bin),
# WEIGHT (the cpu cgroup's weight against the machine's other work, as
# cgroup v2's cpu.weight, 1 to 10000; v1's cpu.shares gets 1024 / 100 of
# it; default: the kernel's, 100: on a machine shared with other jobs a
# higher one keeps them from moving the rounds, the same for every server)
#
# The same treatment for both servers: each in a session of its own (none
# in wrk's), the same number of workers, the same CPUs.  With autogroup
# scheduling (/proc/sys/kernel/sched_autogroup_enabled 1) a session is one
# share of the CPUs, and httpd's workers each start a session of their own
# (the framework's setsid) while nginx's stay in their master's: the
# shares would differ.  So when it can (root, a cpu cgroup hierarchy) the
# script runs the servers and wrk in one cpu cgroup of its own, where
# autogroup does not apply: every thread competes as itself, as with
# autogroup off, without changing the machine's setting.  The first line
# of the output says which.
set -eu
httpd=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
secs=${2:-10}
floor=${FLOOR:-$(dirname "$httpd")/../../bench/httpd-floor}
[ "$floor" != none ] && [ -x "$floor" ] || floor=
workers=${WORKERS:-$(nproc)}
conns=${CONNS:-64}
threads=${THREADS:-2}
rounds=${ROUNDS:-2}
for t in wrk nginx; do
	command -v $t >/dev/null || { echo "bench/httpd: $t is not installed (./run installs it)" >&2; exit 1; }
done
d=$(mktemp -d /tmp/privsep-httpd-bench.XXXXXX)
hpid=
h0pid=
npid=
fpid=
flpid=
fspid=
cg=
cleanup() {
	set +e # a killed server's wait status is not a failure of the cleanup
	[ -n "$hpid" ] && kill "$hpid" 2>/dev/null && wait "$hpid" 2>/dev/null
	[ -n "$h0pid" ] && kill "$h0pid" 2>/dev/null && wait "$h0pid" 2>/dev/null
	[ -n "$npid" ] && kill "$npid" 2>/dev/null && wait "$npid" 2>/dev/null
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null && wait "$fpid" 2>/dev/null
	[ -n "$flpid" ] && kill "$flpid" 2>/dev/null && wait "$flpid" 2>/dev/null
	[ -n "$fspid" ] && kill "$fspid" 2>/dev/null && wait "$fspid" 2>/dev/null
	if [ -n "$cg" ]; then
		echo $$ >"$cg/../cgroup.procs" 2>/dev/null
		# the servers' last processes may still be on their way out
		for i in $(seq 50); do
			rmdir "$cg" 2>/dev/null && break
			sleep 0.1
		done
	fi
	rm -rf "$d"
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM

# one cpu cgroup for this script and all it starts (above)
ag=$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo 0)
for base in /sys/fs/cgroup/cpu /sys/fs/cgroup; do
	if [ -f "$base/cpu.shares" ] || { [ -f "$base/cgroup.subtree_control" ] &&
		grep -qw cpu "$base/cgroup.subtree_control"; }; then
		c="$base/privsep-httpd-bench.$$"
		if mkdir "$c" 2>/dev/null; then
			if echo $$ >"$c/cgroup.procs" 2>/dev/null; then
				cg=$c
				break
			fi
			rmdir "$c"
		fi
	fi
done
if [ -n "$cg" ] && [ -n "${WEIGHT:-}" ]; then
	if [ -f "$cg/cpu.weight" ]; then
		echo "$WEIGHT" >"$cg/cpu.weight"
	else
		echo $((WEIGHT * 1024 / 100)) >"$cg/cpu.shares"
	fi
fi
if [ -n "$cg" ]; then
	sched="servers and wrk in one cpu cgroup of their own (autogroup does not apply there; weight ${WEIGHT:-100})"
elif [ "$ag" = 1 ]; then
	sched="autogroup on and no cpu cgroup: httpd's workers have a share each, nginx's one for all (unequal: run as root)"
else
	sched="autogroup off: every thread competes as itself"
fi
pin=
[ -n "${CPUS:-}" ] && pin="taskset -c $CPUS"
# a server in a session of its own, on the CPUs given
start() {
	$pin setsid "$@" &
}
chmod 755 "$d"
mkdir "$d/root" "$d/nginx"
head -c 1024 /dev/urandom | base64 -w 76 | head -c 1024 >"$d/root/small.html"
head -c 1048576 /dev/urandom >"$d/root/1m.bin"
chmod -R a+rX "$d/root"

hport=18480
h0port=18481
nport=18482
n1port=18483
fport=18484
flport=18485
fsport=18486
start "$httpd" --address 127.0.0.1 --port $hport --root "$d/root" --workers "$workers" 2>"$d/httpd.log"
hpid=$!
start "$httpd" --address 127.0.0.1 --port $h0port --root "$d/root" --workers "$workers" --file-cache 0 \
	2>"$d/httpd0.log"
h0pid=$!
cat >"$d/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $workers;
pid $d/nginx/nginx.pid;
error_log $d/nginx/error.log;
events { worker_connections 4096; }
http {
	include /etc/nginx/mime.types;
	access_log off;
	sendfile on;
	tcp_nodelay on;
	keepalive_requests 1000000;
	client_body_temp_path $d/nginx/body;
	proxy_temp_path $d/nginx/proxy;
	fastcgi_temp_path $d/nginx/fastcgi;
	uwsgi_temp_path $d/nginx/uwsgi;
	scgi_temp_path $d/nginx/scgi;
	server {
		listen 127.0.0.1:$nport;
		root $d/root;
	}
	server {
		listen 127.0.0.1:$n1port;
		root $d/root;
		open_file_cache max=64 inactive=1s;
		open_file_cache_valid 1s;
	}
}
EOF
start nginx -c "$d/nginx/nginx.conf" -p "$d/nginx" 2>"$d/nginx.err"
npid=$!
ports="$hport $h0port $nport $n1port"
servers="httpd httpd-nocache nginx nginx-cache"
if [ -n "$floor" ]; then
	start "$floor" --address 127.0.0.1 --port $fport --root "$d/root" --workers "$workers" \
		2>"$d/floor.log"
	fpid=$!
	start "$floor" --address 127.0.0.1 --port $flport --root "$d/root" --workers "$workers" \
		--look 2>"$d/floor-look.log"
	flpid=$!
	start "$floor" --address 127.0.0.1 --port $fsport --root "$d/root" --workers "$workers" \
		--look --sandbox 2>"$d/floor-sandbox.log"
	fspid=$!
	ports="$ports $fport $flport $fsport"
	servers="$servers floor-look floor-sandbox"
fi
[ -n "${SERVERS:-}" ] && servers=$SERVERS
files=${FILES:-small.html 1m.bin}
nup=$(echo $ports | wc -w)
for i in $(seq 100); do
	up=0
	for p in $ports; do
		curl -sf -o /dev/null "http://127.0.0.1:$p/small.html" && up=$((up + 1))
	done
	[ $up = "$nup" ] && break
	sleep 0.1
done
for f in small.html 1m.bin; do # all serve the same bytes
	for p in $ports; do
		curl -sf "http://127.0.0.1:$p/$f" | cmp -s - "$d/root/$f" ||
			{ echo "bench/httpd: port $p: $f differs" >&2; cat "$d/nginx.err" "$d"/*.log >&2; exit 1; }
	done
done

# CPU time (ns) of process $1 and its children, every thread: httpd's
# helper and workers, nginx's master and workers
cpu_ns() {
	for p in $1 $(pgrep -P "$1"); do
		cat /proc/"$p"/task/*/schedstat 2>/dev/null
	done | awk '{ t += $1 } END { printf "%.0f\n", t }'
}

# one wrk run against URL $1 served by process $2: "rps avg p50 p99
# cpu" (latencies in ms; cpu: the server's CPU per request in us, which
# the machine's load inflates far less than it moves requests/s)
run() {
	c0=$(cpu_ns "$2")
	$pin setsid -w wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$1" >"$d/wrk.out" 2>&1
	c1=$(cpu_ns "$2")
	awk -v u="$1" -v cpu=$((c1 - c0)) '
	function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
	/^ *Latency / && !avg { avg = ms($2) }
	/^ *50%/ { p50 = ms($2) }
	/^ *99%/ { p99 = ms($2) }
	/^Requests\/sec:/ { rps = $2 }
	/ requests in / { n = $1 }
	/Non-2xx|Socket errors/ { bad = bad $0 }
	END { if (bad) print "wrk errors for " u ":" bad > "/dev/stderr"; printf "%.0f %.3f %.3f %.3f %.2f\n", rps, avg, p50, p99, n ? cpu / 1000 / n : 0 }
	' "$d/wrk.out"
}

echo "wrk $threads threads, $conns connections, ${secs} s per run, $rounds rounds interleaved;" \
	"$workers workers each; $(nproc) CPUs shared by wrk and the servers"
echo "kernel $(uname -r); $(nginx -v 2>&1); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "each server in a session of its own; $sched; CPUs: ${CPUS:-any}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
: >"$d/results"
for r in $(seq "$rounds"); do
	for f in $files; do
		for s in $servers; do
			case $s in
			httpd) port=$hport pid=$hpid ;;
			httpd-nocache) port=$h0port pid=$h0pid ;;
			nginx) port=$nport pid=$npid ;;
			nginx-cache) port=$n1port pid=$npid ;;
			floor) port=$fport pid=$fpid ;;
			floor-look) port=$flport pid=$flpid ;;
			floor-sandbox) port=$fsport pid=$fspid ;;
			esac
			echo "$f $s $(run "http://127.0.0.1:$port/$f" $pid)" >>"$d/results"
		done
	done
done
echo "| file | server | round | requests/s | latency avg ms | p50 ms | p99 ms | server CPU µs/request |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
awk '{ r[$1 " " $2]++; printf "| %s | %s | %d | %s | %s | %s | %s | %s |\n", $1, $2, r[$1 " " $2], $3, $4, $5, $6, $7 }' "$d/results"
echo
# median over the rounds of column $3 (requests/s), $6 (p99) or $7 (CPU
# per request) of FILE SERVER
median() {
	awk -v f="$1" -v s="$2" -v c="$3" '$1 == f && $2 == s { print $c }' "$d/results" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo "Medians over the rounds"
echo
echo "| file | server | requests/s | p99 ms | server CPU µs/request |"
echo "|---|---|---:|---:|---:|"
for f in $files; do
	for s in $servers; do
		echo "| $f | $s | $(median $f $s 3) | $(median $f $s 6) | $(median $f $s 7) |"
	done
done
echo
echo "Ratios of the medians (requests/s: above 1 httpd is faster; p99: below 1 httpd is faster)"
echo
echo "| file | httpd/nginx req/s | httpd/nginx p99 | httpd-nocache/nginx req/s | httpd-nocache/nginx p99 | httpd/nginx-cache req/s | httpd/nginx-cache p99 |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for f in $files; do
	awk -v f=$f -v a="$(median $f httpd 3)" -v b="$(median $f nginx 3)" \
		-v c="$(median $f httpd 6)" -v e="$(median $f nginx 6)" \
		-v g="$(median $f httpd-nocache 3)" -v h="$(median $f httpd-nocache 6)" \
		-v i="$(median $f nginx-cache 3)" -v j="$(median $f nginx-cache 6)" \
		'function r(x, y) { return y > 0 && x > 0 ? sprintf("%.2f", x / y) : "-" }
		BEGIN { printf "| %s | %s | %s | %s | %s | %s | %s |\n", f, r(a, b), r(c, e), r(g, b), r(h, e), r(a, i), r(c, j) }'
done
if [ -n "$floor" ]; then
	echo
	echo "The floors (httpd-floor: each open through a raw broker process, nothing else;" \
		"floor-look: its broker looks before it opens and checks the file opened is the one looked at;" \
		"floor-sandbox: floor-look under httpd's sandbox): requests/s"
	echo
	echo "| file | floor/nginx | floor-look/nginx | floor-sandbox/nginx | httpd-nocache/floor | httpd-nocache/floor-look | httpd-nocache/floor-sandbox |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for f in $files; do
		awk -v f=$f -v a="$(median $f floor 3)" -v b="$(median $f nginx 3)" -v g="$(median $f httpd-nocache 3)" \
			-v l="$(median $f floor-look 3)" -v s="$(median $f floor-sandbox 3)" \
			'function r(x, y) { return y > 0 && x > 0 ? sprintf("%.2f", x / y) : "-" }
			BEGIN { printf "| %s | %s | %s | %s | %s | %s | %s |\n", f, r(a, b), r(l, b), r(s, b), r(g, a), r(g, l), r(g, s) }'
	done
fi
# a floor's worker gone: killed by its filter (floor-sandbox: a call
# httpd's policy does not allow), or dead
if [ -n "$floor" ] && grep -q "gone" "$d"/floor*.log; then
	echo "bench/httpd: a worker of a floor died during the run:" >&2
	cat "$d"/floor*.log >&2
	exit 1
fi
if grep -q "restarts in\|seccomp violation\|killed" "$d"/httpd*.log; then
	echo "bench/httpd: a worker died during the run:" >&2
	cat "$d"/httpd*.log >&2
	exit 1
fi
