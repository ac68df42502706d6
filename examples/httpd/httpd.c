/* SPDX-License-Identifier: ISC */
/*
 * httpd - a static HTTP/1.1 file server on libprivsep.  See httpd(8).
 *
 * The helper (this process) binds one listening socket per worker, all
 * on the same port (SO_REUSEPORT: the kernel spreads connections over
 * them), builds the workers' policy (the shipped httpd.policy, or
 * --policy, plus one beneath rule for the document root), starts the
 * workers (the framework restarts any that dies, as often as it fails;
 * httpd stops when one could not start), keeps only the capabilities that
 * starting a worker and the file broker need, and answers the broker's
 * requests.  The workers, each sandboxed, accept and serve connections
 * on their own listening socket: whatever one does to it (its policy
 * allows little: no shutdown but SHUT_WR, no Fast Open, fcntl flags)
 * cannot stop another from accepting.  Every file they send was opened
 * by the helper's broker.
 *
 * Standard C11 and GNU extensions: it defines _GNU_SOURCE (for
 * SO_REUSEPORT) and compiles with cc -std=c11 -pedantic.
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <privsep.h>

#include "httpd.h"
#include "notify.h"
#include "server.h"

#define RESTART_MIN_MS 100u /* doubled at each restart, at most 30 s (the framework's) */

static const char usage[] =
    "usage: httpd [--port N] [--address ADDR] [--root DIR] [--workers N] [--policy FILE]\n"
    "             [--header-timeout S] [--idle-timeout S] [--send-timeout S] [--max-conns N]\n"
    "             [--file-cache S] [--access-log] [--learn FILE]\n"
    "       httpd --help | --version\n"
    "Serves the files beneath DIR over HTTP/1.1 (GET and HEAD).  The helper binds the\n"
    "port and opens every file through its broker; sandboxed workers parse requests.\n"
    "  --port N            TCP port (default 80; 0: any free port, logged)\n"
    "  --address ADDR      address to listen on (default :: and 0.0.0.0)\n"
    "  --root DIR          document root (default /var/www/html)\n"
    "  --workers N         worker processes (default: one per CPU, at most 64)\n"
    "  --policy FILE       the workers' policy (default: <httpd.policy>)\n"
    "  --header-timeout S  seconds for a request head to arrive whole (default 10)\n"
    "  --idle-timeout S    seconds a kept-alive connection may wait (default 5)\n"
    "  --send-timeout S    seconds a client may accept no byte of an answer (default 30)\n"
    "  --max-conns N       connections per worker at once (default 1000)\n"
    "  --file-cache S      seconds a worker reuses a file the broker opened (default 1; 0 never)\n"
    "  --access-log        one line per answer on standard error, from the workers\n"
    "  --learn FILE        one worker in learn mode (NOT sandboxed by its filter): each call\n"
    "                      its policy would kill is let through and logged; when it ends,\n"
    "                      FILE gets the policy with a rule for each (review them)\n"
    "Exit status: 0 stopped by a signal after serving, 1 failure, 2 usage or policy error.\n";

/* The one event the helper sends a worker: drain (server.h). */
static const struct privsep_handler table[] = {
    {.type = HTTPD_T_DRAIN, .name = "drain", .flags = PRIVSEP_H_EVENT, .fn = server_on_drain},
};

/* The framework's lines as it writes them, less debug level: there the
 * broker reports a path that does not exist (a 404 is a client's mistake,
 * not a violation, and would let any client fill the log).  Refusals
 * (EACCES: "..", a symlink out) stay, one line each, at the framework's
 * rate limit.  The level decides, never the text, which the client
 * chose. */
static void log_line(enum privsep_log_level lvl, const char *line, void *arg)
{
	struct httpd *d = arg;
	if (lvl == PRIVSEP_LOG_DEBUG)
		return;
	/* a reload checking its policy: the first error is the one line
	 * that says why it is refused (reload.c) */
	if (d->quiet && lvl == PRIVSEP_LOG_ERR) {
		if (!d->why[0])
			snprintf(d->why, sizeof(d->why), "%s", line);
		return;
	}
	/* the framework's writer: never blocks the helper on a slow stderr;
	 * to the journal, each line with its priority */
	privsep_helper_log_stderr(d->h, lvl, line);
}

/* One line of httpd's own while it serves: through the framework's
 * writer too, so that a slow stderr never stops the helper. */
void say(const struct httpd *d, enum privsep_log_level lvl, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void)privsep_helper_write_stderr(d->h, lvl, line, (size_t)n);
}

static int worker_main(struct privsep_client *c, void *arg)
{
	return server_run(c, arg);
}

/* The worker, executed by the helper: argv is { name, PRIVSEP_EXEC_MARKER,
 * root, then the numbers worker_argv writes }; its listening socket is
 * the first kept fd, 4.  Never returns. */
static void worker_from_exec(int argc, char **argv)
{
	static struct server_config cfg;
	unsigned long v[9];
	if (argc != 12)
		exit(2);
	for (int i = 0; i < 9; i++)
		v[i] = strtoul(argv[3 + i], NULL, 10);
	cfg.listen_fd = PRIVSEP_EXEC_CHAN_FD + 1;
	cfg.root = argv[2];
	cfg.header_ms = (unsigned)v[0];
	cfg.idle_ms = (unsigned)v[1];
	cfg.send_ms = (unsigned)v[2];
	cfg.access_log = (int)v[3];
	cfg.max_conns = (unsigned)v[4];
	cfg.cache_ms = (unsigned)v[5];
	cfg.limits.line_max = v[6];
	cfg.limits.head_max = v[7];
	cfg.limits.fields_max = (unsigned)v[8];
	/* the helper's drain event: a reload's replacement is ready.  Each
	 * connection has at most one open in flight (server.c): a queue for
	 * all of them, when the socket to the helper is full, never refuses
	 * one */
	const struct privsep_client_config cc = {
	    .table = table, .n = 1, .queue_max = (size_t)cfg.max_conns + 1};
	privsep_client_main(&cc, worker_main, &cfg);
}

/* The workers' argv, from d->cfg (see worker_from_exec). */
static void worker_argv(struct httpd *d)
{
	const struct server_config *c = &d->cfg;
	unsigned long v[9] = {
	    c->header_ms,        c->idle_ms,  c->send_ms,         (unsigned long)c->access_log,
	    c->max_conns,        c->cache_ms, c->limits.line_max, c->limits.head_max,
	    c->limits.fields_max};
	d->wargv[0] = "httpd";
	d->wargv[1] = PRIVSEP_EXEC_MARKER;
	d->wargv[2] = c->root;
	for (int i = 0; i < 9; i++) {
		snprintf(d->wargs[i], sizeof(d->wargs[i]), "%lu", v[i]);
		d->wargv[3 + i] = d->wargs[i];
	}
	d->wargv[12] = NULL;
	d->ex.argv = d->wargv;
}

static struct slot *slot_of(struct httpd *d, const struct privsep_worker *w)
{
	unsigned i = privsep_worker_slot(w);
	return i >= 1 && i <= d->nslots ? &d->slots[i - 1] : NULL;
}

/* --learn: the proposal of the worker that ended replaces FILE's text. */
static void learn_write(struct httpd *d, struct privsep_worker *w)
{
	if (d->learn_fd < 0)
		return;
	if (ftruncate(d->learn_fd, 0) < 0 || lseek(d->learn_fd, 0, SEEK_SET) < 0 ||
	    privsep_worker_learned(w, d->learn_fd) < 0)
		say(d, PRIVSEP_LOG_ERR, "httpd: --learn %s: %s\n", d->learn, strerror(errno));
	else
		say(d, PRIVSEP_LOG_INFO,
		    "httpd: --learn: the proposed policy is in %s: review it\n", d->learn);
}

static void worker_gone(struct privsep_worker *w, void *arg)
{
	struct slot *s = slot_of(arg, w);
	learn_write(arg, w);
	if (s && s->w == w)
		s->w = NULL;
	reload_gone(arg, w);
}

static void worker_restarted(struct privsep_worker *w, void *arg)
{
	struct slot *s = slot_of(arg, w);
	if (s)
		s->w = w;
}

/* The framework has logged how w ended and proposes its restart policy's
 * verdict (a failure restarts, after its back-off; a clean exit is a
 * stop); a worker that could not start would fail again: httpd stops. */
static enum privsep_restart_verdict worker_verdict(struct privsep_worker *w,
                                                   enum privsep_restart_verdict proposed, void *arg)
{
	struct httpd *d = arg;
	const struct privsep_exit_info *e = privsep_worker_exit_info(w);
	struct slot *s = slot_of(d, w);
	if (e->kind == PRIVSEP_EXIT_SANDBOX) {
		say(d, PRIVSEP_LOG_ERR, "httpd: %s could not enter its sandbox; stopping\n",
		    privsep_worker_name(w));
		d->fatal = 1;
		return PRIVSEP_RESTART_STOP_ALL;
	}
	if (e->kind == PRIVSEP_EXIT_STATUS && e->status == 2) {
		say(d, PRIVSEP_LOG_ERR,
		    "httpd: %s: its fd limit (the policy's rlimit nofile) is below the %lu fds --max-conns %u needs; stopping\n",
		    privsep_worker_name(w), server_fds_needed(d->cfg.max_conns), d->cfg.max_conns);
		d->fatal = 2;
		return PRIVSEP_RESTART_STOP_ALL;
	}
	/* a worker that ran before may have made its listening socket
	 * blocking (fcntl F_SETFL, which its policy allows): the next one
	 * starts with the socket as it was made.  Nothing else it may do
	 * changes the socket for good (SECURITY.md, "Sockets a worker
	 * holds") */
	if (proposed == PRIVSEP_RESTART && s && fcntl(s->lfd, F_SETFL, O_NONBLOCK) < 0) {
		say(d, PRIVSEP_LOG_ERR, "httpd: %s: its listening socket: %s; stopping\n",
		    privsep_worker_name(w), strerror(errno));
		d->fatal = 1;
		return PRIVSEP_RESTART_STOP_ALL;
	}
	return proposed;
}

void slot_spawn(struct httpd *d, unsigned i, int k, char *text, struct privsep_spawn *sp)
{
	struct slot *s = &d->slots[i];
	*sp = d->sp;
	s->sb[k] = d->sb;
	s->sb[k].policy_text = text;
	s->sb[k].keep_fds = &s->lfd;
	s->sb[k].nkeep = 1;
	sp->arg = &s->cfg;
	sp->sandbox = &s->sb[k];
	sp->name = s->name;
	sp->slot = i + 1;
	sp->exec = &s->ex;
}

/* Start slot i's first worker; the framework restarts it as often as it
 * fails.  Its program's argv[0] is its title, "httpd: worker N". */
static int start(struct httpd *d, unsigned i)
{
	struct slot *s = &d->slots[i];
	struct privsep_spawn sp;
	s->cfg = d->cfg;
	s->cfg.listen_fd = s->lfd;
	s->ex = d->ex;
	memcpy(s->argv, d->wargv, sizeof(s->argv));
	snprintf(s->title, sizeof(s->title), "httpd: worker %u", i + 1);
	s->argv[0] = s->title;
	s->ex.argv = s->argv;
	slot_spawn(d, i, 0, d->texts[0], &sp);
	s->w = privsep_spawn(d->h, &sp);
	return s->w ? 0 : -1;
}

static int all_ready(const struct httpd *d)
{
	for (unsigned i = 0; i < d->nslots; i++)
		if (!d->slots[i].w || !privsep_worker_ready(d->slots[i].w))
			return 0;
	return 1;
}

/* A listening socket: bound, listening, non-blocking, in the
 * SO_REUSEPORT group of the port (each worker has its own; the kernel
 * spreads new connections over them).  port 0 picks a free one: the
 * next socket binds to what where says.  *bound: the port.  -1 and a
 * message on failure. */
static int listen_on(const char *addr, unsigned port, char *where, size_t wlen, unsigned *bound)
{
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
	                         .ai_socktype = SOCK_STREAM},
	                *ai = NULL;
	char serv[16], host[INET6_ADDRSTRLEN];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = -1, one = 1, zero = 0, rc;

	snprintf(serv, sizeof(serv), "%u", port);
	rc = getaddrinfo(addr ? addr : "::", serv, &hints, &ai);
	if (rc == 0) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0 && !addr && errno == EAFNOSUPPORT) { /* no IPv6 here */
			freeaddrinfo(ai);
			ai = NULL;
			rc = getaddrinfo("0.0.0.0", serv, &hints, &ai);
			if (rc == 0)
				fd = socket(ai->ai_family,
				            SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		}
	}
	if (rc != 0) {
		fprintf(stderr, "httpd: --address %s: %s\n", addr ? addr : "::", gai_strerror(rc));
		return -1;
	}
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    (ai->ai_family == AF_INET6 && !addr &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 511) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		fprintf(stderr, "httpd: listening on %s port %u: %s\n", addr ? addr : "::", port,
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(where, wlen, "[%s]:%u", host, ntohs(s6->sin6_port));
		*bound = ntohs(s6->sin6_port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(where, wlen, "%s:%u", host, ntohs(s4->sin_port));
		*bound = ntohs(s4->sin_port);
	}
	return fd;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_seconds(const char *s, unsigned *ms)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 86400)
		return -1;
	*ms = (unsigned)(v * 1000 + 0.999); /* at least 1 ms */
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"port", required_argument, NULL, 'p'},
	    {"address", required_argument, NULL, 'a'},
	    {"root", required_argument, NULL, 'r'},
	    {"workers", required_argument, NULL, 'w'},
	    {"policy", required_argument, NULL, 'P'},
	    {"header-timeout", required_argument, NULL, 'H'},
	    {"idle-timeout", required_argument, NULL, 'I'},
	    {"send-timeout", required_argument, NULL, 'S'},
	    {"max-conns", required_argument, NULL, 'm'},
	    {"file-cache", required_argument, NULL, 'c'},
	    {"access-log", no_argument, NULL, 'L'},
	    {"learn", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	static struct httpd d; /* large; one per process */
	const char *addr = NULL, *root_arg = "/var/www/html";
	char root[PATH_MAX], where[INET6_ADDRSTRLEN + 16], why[512];
	char *policy = NULL, *text = NULL;
	unsigned long port = 80, workers = 0, conns = 1000;
	int o, li = -1, rc = 2, notified = 0;
	unsigned bound = 0;
	long ncpu;
	struct stat st;

	/* the worker: this binary, executed again by its helper */
	if (privsep_exec_is_worker(argc, argv))
		worker_from_exec(argc, argv);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	d.ex.fd = -1;
	d.learn_fd = -1;
	d.cfg.limits = http_default_limits;
	d.cfg.header_ms = 10000;
	d.cfg.idle_ms = 5000;
	d.cfg.send_ms = 30000;
	d.cfg.cache_ms = 1000;
	opterr = 0; /* a usage error is one line of ours, naming the option */
	while ((o = getopt_long(argc, argv, ":", opts, &li)) != -1) {
		int bad = 0;
		switch (o) {
		case 'p':
			bad = parse_uint(optarg, 65535, &port);
			break;
		case 'a':
			addr = optarg;
			break;
		case 'r':
			root_arg = optarg;
			break;
		case 'w':
			bad = parse_uint(optarg, WORKERS_MAX, &workers) || workers == 0;
			break;
		case 'P':
			free(policy);
			policy = realpath(optarg, NULL);
			if (!policy) {
				fprintf(stderr, "httpd: --policy %s: %s\n", optarg,
				        strerror(errno));
				goto out;
			}
			break;
		case 'H':
			bad = parse_seconds(optarg, &d.cfg.header_ms);
			break;
		case 'I':
			bad = parse_seconds(optarg, &d.cfg.idle_ms);
			break;
		case 'S':
			bad = parse_seconds(optarg, &d.cfg.send_ms);
			break;
		case 'c':
			bad = strcmp(optarg, "0") != 0 && parse_seconds(optarg, &d.cfg.cache_ms);
			if (!strcmp(optarg, "0"))
				d.cfg.cache_ms = 0;
			break;
		case 'L':
			d.cfg.access_log = 1;
			break;
		case 'l':
			d.learn = optarg;
			break;
		case 'm':
			bad = parse_uint(optarg, 1000000, &conns) || conns == 0;
			break;
		case 'h':
			fputs(usage, stdout);
			rc = 0;
			goto out;
		case 'V':
			printf("httpd (privsep) %s\n", privsep_version());
			rc = 0;
			goto out;
		case ':':
			fprintf(stderr, "httpd: %s needs a value\n", argv[optind - 1]);
			bad = 1;
			break;
		default: /* optopt: an unknown short option; 0 for a long one */
			if (optopt)
				fprintf(stderr, "httpd: unknown option -%c\n", optopt);
			else
				fprintf(stderr, "httpd: unknown option %s\n", argv[optind - 1]);
			bad = 1;
		}
		if (bad) {
			if (o != ':' && o != '?')
				fprintf(stderr, "httpd: --%s: bad value \"%s\"\n", opts[li].name,
				        optarg);
			fputs(usage, stderr);
			goto out;
		}
		li = -1;
	}
	if (optind != argc) {
		fprintf(stderr, "httpd: unexpected argument \"%s\"\n", argv[optind]);
		fputs(usage, stderr);
		goto out;
	}
	if (!realpath(root_arg, root) || stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "httpd: --root %s: %s\n", root_arg,
		        errno ? strerror(errno) : "not a directory");
		goto out;
	}
	if (d.learn && workers > 1) {
		fprintf(stderr, "httpd: --learn runs one worker: --workers %lu is refused\n",
		        workers);
		goto out;
	}
	if (d.learn) {
		/* kept: argv's strings become the process title later */
		if (!(d.learn = strdup(d.learn))) {
			fprintf(stderr, "httpd: --learn: %s\n", strerror(errno));
			goto out;
		}
		workers = 1;
		d.learn_fd = open(d.learn, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (d.learn_fd < 0) {
			fprintf(stderr, "httpd: --learn %s: %s\n", d.learn, strerror(errno));
			goto out;
		}
		fprintf(stderr, "httpd: --learn: LEARN MODE, the worker is NOT sandboxed by its "
		                "filter; do not serve untrusted clients\n");
	}
	if (!workers)
		workers = ncpu < 1 ? 1 : ncpu > WORKERS_MAX ? WORKERS_MAX : (unsigned long)ncpu;
	d.policy = policy;
	d.root = root;
	d.where = where;
	text = policy_text(&d, root, why, sizeof(why));
	if (!text) {
		fprintf(stderr, "httpd: %s\n", why);
		goto out;
	}
	d.texts[d.ntexts++] = text; /* freed with the others */

	rc = 1;
	d.nslots = (unsigned)workers;
	for (unsigned i = 0; i < WORKERS_MAX; i++)
		d.slots[i].lfd = -1;
	for (unsigned i = 0; i < d.nslots; i++) {
		d.slots[i].lfd =
		    listen_on(addr, i ? bound : (unsigned)port, where, sizeof(where), &bound);
		if (d.slots[i].lfd < 0)
			goto out;
	}
	d.cfg.listen_fd = -1; /* each slot's own */
	d.cfg.root = root;
	d.cfg.max_conns = (unsigned)conns;
	{
		/* each worker gets the fds its connections need, no more; the
		 * policy's rlimit nofile is the ceiling (a worker below it
		 * stops httpd at start), this process's hard limit another */
		struct rlimit rl;
		unsigned long need = server_fds_needed(d.cfg.max_conns);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
		    rl.rlim_max < need) {
			fprintf(
			    stderr,
			    "httpd: --max-conns %lu needs %lu fds per worker; this process may give at most %lu\n",
			    conns, need, (unsigned long)rl.rlim_max);
			rc = 2;
			goto out;
		}
		d.sb.nofile = need;
	}
	/* the text is the policy file's, named after it (its relative
	 * includes are relative to it), or includes the shipped one */
	d.sb.policy = policy ? policy : "httpd command line";
	/* a worker writes to standard error only for --access-log.  Its
	 * stderr is the framework's log pipe: each line reaches the helper's
	 * log marked with the worker's name, pid and the time, escaped, never
	 * passing for a helper's line; its stdout is /dev/null, never ours */
	d.sb.flags = d.cfg.access_log ? 0 : PRIVSEP_SB_NULL_STDIO;
	if (d.learn)
		d.sb.flags |= PRIVSEP_SB_LEARN;
	/* each worker (and each restart) is this binary executed again:
	 * none of the helper's memory, environment or layout (SECURITY.md,
	 * exec mode); opened now, so that a file put at its path later is
	 * never what runs */
	d.ex.fd = privsep_exec_open(NULL);
	if (d.ex.fd < 0) {
		perror("httpd: its own program");
		rc = 1;
		goto out;
	}
	worker_argv(&d);
	d.sp.exec = &d.ex;
	d.sp.restart_max = PRIVSEP_RESTART_FOREVER;
	d.sp.restart_backoff_ms = RESTART_MIN_MS;
	d.sp.restart_verdict = worker_verdict;
	d.sp.verdict_arg = &d;
	/* an access log is one line per answer: the pipe's rate limit, which
	 * guards a log against a flood, is raised to what a busy worker
	 * answers (lines over it are counted in the log, never silently lost) */
	struct privsep_helper_config hc = {.log = log_line,
	                                   .log_arg = &d,
	                                   .on_worker_gone = worker_gone,
	                                   .gone_arg = &d,
	                                   .on_worker_restarted = worker_restarted,
	                                   .restarted_arg = &d,
	                                   .on_worker_replaced = reload_replaced,
	                                   .replaced_arg = &d,
	                                   .log_rate = d.cfg.access_log ? 100000 : 0,
	                                   .log_burst = d.cfg.access_log ? 200000 : 0,
	                                   .log_byte_rate = d.cfg.access_log ? 64ul << 20 : 0,
	                                   .log_byte_burst = d.cfg.access_log ? 128ul << 20 : 0};
	d.h = privsep_helper_new(table, sizeof(table) / sizeof(table[0]), &hc);
	/* the documented signals, and no other does anything but its
	 * default (httpd(8), SIGNALS): SIGTERM and SIGINT stop, SIGHUP
	 * reloads, SIGUSR1 logs the counters; SIGUSR2 and SIGPIPE (a
	 * standard error whose reader is gone) are ignored */
	if (!d.h || privsep_helper_signals(d.h, reload, &d) < 0 ||
	    privsep_helper_on_signal(d.h, SIGUSR1, status_line, &d) < 0 ||
	    privsep_helper_on_signal(d.h, SIGUSR2, NULL, NULL) < 0 ||
	    privsep_helper_on_signal(d.h, SIGPIPE, NULL, NULL) < 0) {
		perror("httpd");
		goto out;
	}
	for (unsigned i = 0; i < d.nslots; i++) {
		snprintf(d.slots[i].name, sizeof(d.slots[i].name), "httpd-worker-%u", i + 1);
		if (start(&d, i) < 0) {
			fprintf(stderr, "httpd: %s could not start (the lines above say why)\n",
			        d.slots[i].name);
			rc = errno == EINVAL ? 2 : 1;
			goto out;
		}
	}
	/* The port is bound: from here the helper keeps what starting a
	 * sandboxed worker needs (namespaces, ids, securebits), what
	 * stopping one of another uid needs, and what the broker needs to
	 * read the root; cap_net_bind_service and the rest go. */
	if (geteuid() == 0) {
		const char *keep[] = {"cap_dac_read_search", "cap_kill",    "cap_setuid",
		                      "cap_setgid",          "cap_setpcap", "cap_sys_admin",
		                      "cap_sys_chroot"};
		if (privsep_helper_keep_caps(keep, sizeof(keep) / sizeof(keep[0])) < 0) {
			perror("httpd: dropping capabilities");
			goto out;
		}
	}
	say(&d, PRIVSEP_LOG_INFO, "httpd: listening on %s, root %s, %u workers\n", where, root,
	    d.nslots);
	/* argv's strings are not used from here: the title goes over them */
	title_helper(argc, argv);
	/* Every worker is started: the helper goes under its own filter,
	 * helper.policy; its spawner, forked just before, restarts and
	 * replaces workers, which never inherit the helper's filter
	 * (httpd(8), SECURITY).  Not in learn mode, which serves one
	 * learning run as it was started. */
	if (!d.learn && notify_open() < 0)
		say(&d, PRIVSEP_LOG_WARN, "httpd: NOTIFY_SOCKET: %s\n", strerror(errno));
	if (!d.learn && privsep_helper_confine_flags(d.h, "httpd helper",
	                                             "version 1\ninclude <helper.policy>\n",
	                                             PRIVSEP_CONFINE_EXEC_SPAWNS) < 0) {
		fprintf(stderr, "httpd: the helper's own filter: %s (the line above says why)\n",
		        strerror(errno));
		goto out;
	}
	for (;;) {
		if (privsep_helper_step(d.h, reload_tick(&d)) < 0) {
			perror("httpd: privsep_helper_step");
			break;
		}
		if (!notified && all_ready(&d)) {
			if (notify_send("READY=1\n") < 0)
				say(&d, PRIVSEP_LOG_WARN, "httpd: NOTIFY_SOCKET: %s\n",
				    strerror(errno));
			notified = 1;
		}
		if (!privsep_helper_stop_signal(d.h))
			status_update(&d);
		if (privsep_helper_nworkers(d.h) == 0 &&
		    (privsep_helper_stop_signal(d.h) || d.fatal))
			break;
	}
	if (privsep_helper_stop_signal(d.h)) {
		/* the last message: nothing else is served now */
		notify_send_wait("STOPPING=1\n", 1000);
		say(&d, PRIVSEP_LOG_INFO, "httpd: stopped by signal %d\n",
		    privsep_helper_stop_signal(d.h));
		rc = d.fatal ? 1 : 0;
	}
	if (d.fatal)
		rc = d.fatal;
out:
	privsep_helper_free(d.h);
	if (d.ex.fd >= 0)
		close(d.ex.fd);
	for (unsigned i = 0; i < d.nslots; i++)
		if (d.slots[i].lfd >= 0)
			close(d.slots[i].lfd);
	for (unsigned i = 0; i < d.ntexts; i++)
		free(d.texts[i]);
	if (!d.ntexts)
		free(text);
	if (d.learn_fd >= 0)
		close(d.learn_fd);
	if (d.learn)
		free((char *)d.learn);
	free(policy);
	return rc;
}
