/* SPDX-License-Identifier: ISC */
/*
 * fileopener - the privileged file-opener: a sandboxed worker that cannot
 * open files asks the helper's file broker for each PATH and copies the
 * bytes to standard output.  See fileopener(1).
 *
 * Standard C11 and GNU extensions: it defines _GNU_SOURCE (for
 * asprintf) and compiles with cc -std=c11 -pedantic.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <privsep.h>

#define T_STATUS (PRIVSEP_TYPE_APP_MIN + 1)

static const char usage[] =
    "usage: fileopener [--policy FILE] [--allow-read PATH]... [--allow-read-beneath DIR]...\n"
    "                  [--learn FILE] PATH...\n"
    "       fileopener [--policy FILE] --print-sandbox\n"
    "       fileopener --help | --version\n"
    "Copies each PATH to standard output, opened by the helper's file broker for a\n"
    "sandboxed worker that cannot open files itself.  A refused PATH is one line on\n"
    "standard error: fileopener: PATH: reason (which rule, or that none allows it).\n"
    "  --policy FILE            the worker's policy (default: <fileopener.policy>)\n"
    "  --allow-read PATH        add a rule: PATH may be read\n"
    "  --allow-read-beneath DIR add a rule: everything beneath DIR may be read\n"
    "  --print-sandbox          print the worker's credentials and sandbox, from inside\n"
    "  --learn FILE             learn mode (the worker is NOT sandboxed by its filter): each\n"
    "                           call its policy would kill is let through and logged; FILE\n"
    "                           gets the policy with a rule for each (review them)\n"
    "Exit status: 0 every PATH copied, 1 one refused or failed, 2 usage or policy error.\n";

struct job {
	char **paths; /* as the user wrote them */
	char **abs;   /* absolute, for the broker */
	int n;
	int print_sandbox;
};

/* ---- the worker ---- */

static int copy(int fd)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (ssize_t o = 0; o < n;) {
			ssize_t k = write(STDOUT_FILENO, buf + o, (size_t)(n - o));
			if (k < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			o += k;
		}
	}
}

static int print_sandbox(struct privsep_client *c)
{
	char body[4000];
	struct privsep_result res = {.data = body, .cap = sizeof(body) - 1};
	if (privsep_client_call(c, &(struct privsep_out){.type = T_STATUS}, &res) < 0) {
		fprintf(stderr, "fileopener: --print-sandbox: %s\n",
		        res.refused ? res.detail : strerror(errno));
		return 1;
	}
	body[res.len] = '\0';
	fputs(body, stdout);
	return 0;
}

static int worker(struct privsep_client *c, void *arg)
{
	struct job *j = arg;
	int status = 0;
	signal(SIGPIPE, SIG_IGN); /* a closed stdout is an error, not a death */
	if (j->print_sandbox)
		return print_sandbox(c);
	for (int i = 0; i < j->n; i++) {
		struct privsep_result res;
		int fd = privsep_fs_open(c, j->abs[i], O_RDONLY, &res);
		if (fd < 0) {
			/* refused: the helper's detail names the rule; else the
			 * local error alone */
			fprintf(stderr, "fileopener: %s: %s (%s)\n", j->paths[i], strerror(errno),
			        res.detail[0] ? res.detail : strerror(errno));
			status = 1;
			continue;
		}
		if (copy(fd) < 0) {
			fprintf(stderr, "fileopener: %s: %s\n", j->paths[i], strerror(errno));
			status = 1;
		}
		close(fd);
	}
	if (fflush(stdout) != 0)
		status = 1;
	return status;
}

/* ---- the helper ---- */

static const char *const status_lines[] = {
    "Uid:",    "Gid:",    "Groups:",     "CapInh:",  "CapPrm:",          "CapEff:",
    "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:", "Seccomp_filters:",
};

/* The worker's own /proc/PID/status lines, read by the helper: the worker
 * itself can no longer open anything. */
static int answer_status(struct privsep_req *req, void *arg)
{
	char path[64], buf[512], out[3000] = "", ll[256];
	size_t o = 0;
	FILE *f;
	(void)arg;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)privsep_worker_pid(req->worker));
	f = fopen(path, "re");
	if (!f)
		return privsep_req_fail(req, errno, "%s: %s", path, strerror(errno));
	while (fgets(buf, sizeof(buf), f))
		for (size_t i = 0; i < sizeof(status_lines) / sizeof(status_lines[0]); i++)
			if (!strncmp(buf, status_lines[i], strlen(status_lines[i])) &&
			    o < sizeof(out))
				o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", buf);
	fclose(f);
	privsep_sandbox_describe(ll, sizeof(ll));
	if (o < sizeof(out))
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s\n", ll);
	/* and the helper's own: only the broker's capability, its own filter */
	f = fopen("/proc/self/status", "re");
	while (f && fgets(buf, sizeof(buf), f))
		if ((!strncmp(buf, "CapEff:", 7) || !strncmp(buf, "CapBnd:", 7) ||
		     !strncmp(buf, "Seccomp:", 8)) &&
		    o < sizeof(out))
			o += (size_t)snprintf(out + o, sizeof(out) - o, "helper %s", buf);
	if (f)
		fclose(f);
	privsep_writer_put_raw(&req->reply, out, strlen(out));
	return 0;
}

static int worker_result = 1;
static int learn_fd = -1; /* --learn FILE, opened before the helper confines itself */
static const char *learn_path;
static void gone(struct privsep_worker *w, void *arg)
{
	const struct privsep_exit_info *e = privsep_worker_exit_info(w);
	(void)arg;
	worker_result = e->kind == PRIVSEP_EXIT_STATUS && e->status <= 1 ? e->status : 1;
	if (learn_fd >= 0 && privsep_worker_learned(w, learn_fd) < 0) {
		fprintf(stderr, "fileopener: --learn %s: %s\n", learn_path, strerror(errno));
		worker_result = 1;
	}
}

/* Append a rule line, the path quoted by the framework; a path the
 * policy language cannot say is refused. */
/* A rule for --allow-read (path) or --allow-read-beneath (beneath). */
static int add_rule(char **text, const char *kind, const char *path)
{
	if (privsep_policy_append(text, kind, path, "allow read,stat") == 0)
		return 0;
	fprintf(stderr, "fileopener: --allow-read%s: bad value \"%s\": %s\n",
	        strcmp(kind, "path") ? "-beneath" : "", path,
	        errno == EINVAL ? "empty, or a control character in the path" : strerror(errno));
	fputs(usage, stderr);
	return -1;
}

static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *out;
	if (path[0] == '/' || !path[0])
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

/* The worker, executed by the helper (exec mode): argv is
 * { name, PRIVSEP_EXEC_MARKER, "print" | "copy", N paths as written, the
 * same N absolute }.  Never returns. */
static void worker_from_exec(int argc, char **argv)
{
	static struct job job;
	struct privsep_client_config cfg = {.msg_max = 8192};
	job.print_sandbox = !strcmp(argv[2], "print");
	job.n = (argc - 3) / 2;
	job.paths = argv + 3;
	job.abs = argv + 3 + job.n;
	privsep_client_main(&cfg, worker, &job);
}

/* The worker's argv (see worker_from_exec; malloc'd), or NULL. */
static const char **worker_argv(const struct job *j)
{
	const char **av = calloc(4 + 2 * (size_t)j->n, sizeof(char *));
	if (!av)
		return NULL;
	av[0] = "fileopener";
	av[1] = PRIVSEP_EXEC_MARKER;
	av[2] = j->print_sandbox ? "print" : "copy";
	for (int i = 0; i < j->n; i++) {
		av[3 + i] = j->paths[i];
		av[3 + j->n + i] = j->abs[i];
	}
	return av;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"policy", required_argument, NULL, 'p'},
	    {"allow-read", required_argument, NULL, 'r'},
	    {"allow-read-beneath", required_argument, NULL, 'b'},
	    {"print-sandbox", no_argument, NULL, 's'},
	    {"learn", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const struct privsep_handler table[] = {
	    {.type = T_STATUS,
	     .name = "status",
	     .flags = PRIVSEP_H_CALL | PRIVSEP_H_ONCE,
	     .fn = answer_status},
	};
	struct job job = {0};
	struct privsep_helper *h = NULL;
	char *text = NULL, *rules = NULL, *base = NULL;
	const char **wargv = NULL;
	struct privsep_exec ex = {.fd = -1};
	int o, rc = 2;

	/* the worker: this binary, executed again by its helper */
	if (privsep_exec_is_worker(argc, argv)) {
		if (argc < 3)
			return 2;
		worker_from_exec(argc, argv);
	}

	opterr = 0; /* a usage error is one line of ours, naming the option */
	while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		char *abs;
		switch (o) {
		case 'p':
			base = optarg;
			break;
		case 'r':
		case 'b':
			abs = absolute(optarg);
			if (!abs || add_rule(&rules, o == 'r' ? "path" : "beneath", abs) < 0) {
				free(abs);
				goto out;
			}
			free(abs);
			break;
		case 's':
			job.print_sandbox = 1;
			break;
		case 'l':
			learn_path = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			rc = 0;
			goto out;
		case 'V':
			printf("fileopener (privsep) %s\n", privsep_version());
			rc = 0;
			goto out;
		case ':':
			fprintf(stderr, "fileopener: %s needs a value\n", argv[optind - 1]);
			fputs(usage, stderr);
			goto out;
		default: /* optopt: an unknown short option; 0 for a long one */
			if (optopt)
				fprintf(stderr, "fileopener: unknown option -%c\n", optopt);
			else
				fprintf(stderr, "fileopener: unknown option %s\n",
				        argv[optind - 1]);
			fputs(usage, stderr);
			goto out;
		}
	}
	job.n = argc - optind;
	job.paths = argv + optind;
	if ((job.n == 0) == !job.print_sandbox) {
		fputs(usage, stderr);
		goto out;
	}
	job.abs = calloc((size_t)job.n + 1, sizeof(char *));
	for (int i = 0; i < job.n; i++)
		if (!job.abs || !(job.abs[i] = absolute(job.paths[i])))
			goto out;

	/* the policy: the named file (or the shipped one), then the rules
	 * from the command line */
	{
		char *absbase = base ? absolute(base) : NULL, *full;
		if (base && !absbase)
			goto out;
		if (privsep_policy_append(&text, "include", absbase,
		                          absbase ? NULL : "<fileopener.policy>") < 0) {
			fprintf(stderr, "fileopener: --policy %s: %s\n", base,
			        errno == EINVAL ? "a control character in the path"
			                        : strerror(errno));
			free(absbase);
			goto out;
		}
		free(absbase);
		/* both texts are the builder's: the rules after their
		 * "version 1" line */
		if (rules) {
			if (asprintf(&full, "%s%s", text, strchr(rules, '\n') + 1) < 0)
				goto out;
			free(text);
			text = full;
		}
	}

	struct privsep_helper_config cfg = {.on_worker_gone = gone, .msg_max = 8192};
	h = privsep_helper_new(table, 1, &cfg);
	struct privsep_sandbox sb = {.policy = "fileopener command line", .policy_text = text};
	if (learn_path) {
		learn_fd = open(learn_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (learn_fd < 0) {
			fprintf(stderr, "fileopener: --learn %s: %s\n", learn_path,
			        strerror(errno));
			goto out;
		}
		sb.flags |= PRIVSEP_SB_LEARN;
	}
	/* the worker's output is for the user: its standard output is a pipe
	 * the helper copies to ours (escaped if ours is a terminal), and its
	 * refusal lines reach our standard error through the helper's log,
	 * marked with its name and pid.  Never our terminal or our stderr
	 * itself: a worker that is taken over cannot read what the user
	 * types, drive the terminal or print lines that pass for ours. */
	/* the worker is this binary executed again, from a fresh image: none
	 * of the helper's memory, environment or layout (SECURITY.md, exec
	 * mode); opened now, so that whatever is put at its path later is
	 * never what runs */
	struct privsep_spawn sp = {
	    .name = "fileopener", .sandbox = &sb, .stdout_copy = 1, .exec = &ex};
	ex.fd = privsep_exec_open(NULL);
	ex.argv = wargv = worker_argv(&job);
	if (ex.fd < 0 || !wargv) {
		perror("fileopener: its own program");
		goto out;
	}
	if (!h || privsep_helper_signals(h, NULL, NULL) < 0) {
		perror("fileopener");
		goto out;
	}
	if (!privsep_spawn(h, &sp)) {
		fprintf(stderr,
		        "fileopener: the worker could not start (the lines above say why)\n");
		goto out;
	}
	/* The worker is started: the helper keeps only what the broker needs
	 * (reading files it could not otherwise read) and what stopping a
	 * worker of another uid needs, and confines itself. */
	if (geteuid() == 0) {
		const char *keep[] = {"cap_dac_read_search", "cap_kill"};
		if (privsep_helper_keep_caps(keep, 2) < 0) {
			perror("fileopener: keeping cap_dac_read_search and cap_kill only");
			goto out;
		}
	}
	if (privsep_helper_confine(h, NULL, NULL) < 0)
		goto out;
	if (privsep_helper_run(h) < 0)
		worker_result = 1;
	if (privsep_helper_stop_signal(h))
		worker_result = 128 + privsep_helper_stop_signal(h);
	rc = worker_result;
out:
	privsep_helper_free(h);
	if (ex.fd >= 0)
		close(ex.fd);
	free(wargv);
	for (int i = 0; job.abs && i < job.n; i++)
		free(job.abs[i]);
	free(job.abs);
	if (learn_fd >= 0)
		close(learn_fd);
	free(text);
	free(rules);
	return rc;
}
