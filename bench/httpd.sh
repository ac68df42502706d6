#!/bin/sh
# bench/httpd.sh - examples/httpd against nginx (Debian's nginx-light) on
# loopback with wrk: requests/s and latency for a small file and a 1 MiB
# file, the two servers interleaved in one run, same files, same number
# of workers, keep-alive connections.  Prints a markdown table.
#
# Usage: bench/httpd.sh HTTPD [SECONDS]   (./run bench-httpd builds and runs it)
# Environment: WORKERS (default: CPUs), CONNS (64), THREADS (2), ROUNDS (2)
set -eu
httpd=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
secs=${2:-10}
workers=${WORKERS:-$(nproc)}
conns=${CONNS:-64}
threads=${THREADS:-2}
rounds=${ROUNDS:-2}
for t in wrk nginx; do
	command -v $t >/dev/null || { echo "bench/httpd: $t is not installed (./run installs it)" >&2; exit 1; }
done
d=$(mktemp -d /tmp/privsep-httpd-bench.XXXXXX)
hpid=
npid=
cleanup() {
	[ -n "$hpid" ] && kill "$hpid" 2>/dev/null && wait "$hpid" 2>/dev/null
	[ -n "$npid" ] && kill "$npid" 2>/dev/null && wait "$npid" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT
chmod 755 "$d"
mkdir "$d/root" "$d/nginx"
head -c 1024 /dev/urandom | base64 -w 76 | head -c 1024 >"$d/root/small.html"
head -c 1048576 /dev/urandom >"$d/root/1m.bin"
chmod -R a+rX "$d/root"

hport=18480
nport=18481
"$httpd" --address 127.0.0.1 --port $hport --root "$d/root" --workers "$workers" 2>"$d/httpd.log" &
hpid=$!
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
}
EOF
nginx -c "$d/nginx/nginx.conf" -p "$d/nginx" 2>"$d/nginx.err" &
npid=$!
for i in $(seq 100); do
	curl -sf -o /dev/null "http://127.0.0.1:$hport/small.html" &&
		curl -sf -o /dev/null "http://127.0.0.1:$nport/small.html" && break
	sleep 0.1
done
for f in small.html 1m.bin; do # both serve the same bytes
	curl -sf "http://127.0.0.1:$hport/$f" | cmp -s - "$d/root/$f" || { echo "httpd: $f differs" >&2; exit 1; }
	curl -sf "http://127.0.0.1:$nport/$f" | cmp -s - "$d/root/$f" || { echo "nginx: $f differs" >&2; cat "$d/nginx.err" >&2; exit 1; }
done

# one wrk run: "rps avg p50 p99" (latencies in ms)
run() {
	wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$1" >"$d/wrk.out" 2>&1
	awk '
	function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
	/^ *Latency / && !avg { avg = ms($2) }
	/^ *50%/ { p50 = ms($2) }
	/^ *99%/ { p99 = ms($2) }
	/^Requests\/sec:/ { rps = $2 }
	/Non-2xx|Socket errors/ { bad = bad $0 }
	END { if (bad) print "ERRORS: " bad > "/dev/stderr"; printf "%.0f %.3f %.3f %.3f\n", rps, avg, p50, p99 }
	' "$d/wrk.out"
}

echo "wrk $threads threads, $conns connections, ${secs} s per run, $rounds rounds interleaved;" \
	"$workers workers each; $(nproc) CPUs shared by wrk and the servers"
echo "kernel $(uname -r); $(nginx -v 2>&1); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo
: >"$d/results"
for r in $(seq "$rounds"); do
	for f in small.html 1m.bin; do
		for s in httpd nginx; do
			port=$hport
			[ $s = nginx ] && port=$nport
			echo "$f $s $(run "http://127.0.0.1:$port/$f")" >>"$d/results"
		done
	done
done
echo "| file | server | requests/s | latency avg ms | p50 ms | p99 ms |"
echo "|---|---|---:|---:|---:|---:|"
sort -s -k1,1r -k2,2 "$d/results" | awk '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }'
echo
echo "| file | httpd/nginx requests/s (mean over rounds) | httpd/nginx p99 latency |"
echo "|---|---:|---:|"
awk '{ n[$1 " " $2]++; rps[$1 " " $2] += $3; p99[$1 " " $2] += $6 }
	END { split("small.html 1m.bin", fs, " ");
		for (i = 1; i <= 2; i++) { f = fs[i];
			printf "| %s | %.2f | %.2f |\n", f, rps[f " httpd"] / rps[f " nginx"], p99[f " httpd"] / p99[f " nginx"] } }' "$d/results"
if grep -q "restarts in\|seccomp violation\|killed" "$d/httpd.log"; then
	echo "bench/httpd: a worker died during the run:" >&2
	cat "$d/httpd.log" >&2
	exit 1
fi
