/* SPDX-License-Identifier: ISC */
/*
 * privsep-run - run an unmodified program in the worker sandbox, its file
 * opens brokered by this process (the helper) through seccomp user
 * notification.  See privsep-run(1) and SECURITY.md.
 *
 * The options become file rules in the policy language, added to
 * <run.policy> (and --policy FILE); the rules are the file broker's
 * (services/fs_rules.c), the opening too (fs_host.c), the notification
 * handling is services/fs_notify.c, the sandbox the workers'
 * (sandbox/, exec mode) and the loop that runs the program run_loop.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "privsep.h"
#include "run.h"

static const char usage[] =
    "usage: privsep-run [OPTIONS] -- COMMAND [ARG...]\n"
    "  --allow-read PATH           read (and stat) this file\n"
    "  --allow-read-beneath DIR    read what is beneath DIR\n"
    "  --allow-write-beneath DIR   also create, write and truncate files beneath DIR\n"
    "  --allow-exec PATH           execute this file (and have children)\n"
    "  --policy FILE               a policy added to <run.policy> (FILE or <name>)\n"
    "  --learn FILE                allow and note what the program needs, write a policy to FILE\n"
    "  --verbose                   one line per brokered call\n"
    "  --help, --version\n"
    "Exit status: the command's (128 + N for a signal N), 125 privsep-run failed,\n"
    "126 COMMAND cannot be run, 127 COMMAND not found.\n";

/* A usage error: one line naming what is wrong, then the usage; 125, as
 * env(1) and timeout(1) exit for their own errors. */
static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "privsep-run: %s%s\n", what, arg ? arg : "");
	fputs(usage, stderr);
	return RUN_EXIT_FAILED;
}

/* path made absolute against the cwd and normal (no //, no . or ..
 * component, no trailing /: the policy language's form), not resolved:
 * the program names paths as strings, and the rules are on strings; a
 * ".." takes off the component before it, as the file broker takes it
 * off (the cwd is getcwd's, with no symlink in it; a symlink in the path
 * is resolved apart, by add's realpath).  A new string, or NULL with
 * errno. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *in, *out, *tok, *save = NULL;
	size_t n = 0;
	if (path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&in, "%s/%s", path[0] == '/' ? "" : cwd, path) < 0)
		return NULL;
	out = malloc(strlen(in) + 2);
	if (!out) {
		free(in);
		return NULL;
	}
	for (tok = strtok_r(in, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--; /* the '/' before it */
			continue;
		}
		out[n++] = '/';
		memcpy(out + n, tok, strlen(tok));
		n += strlen(tok);
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	free(in);
	return out;
}

static int add(struct run_opts *o, int kind, const char *path)
{
	char *a = absolute(path), real[PATH_MAX];
	struct run_path *p;
	if (!a)
		return -1;
	/* a ".." is taken off as the broker takes it off, lexically; a
	 * symlink is resolved from that normal path */
	if (!realpath(a, real))
		real[0] = '\0';
	p = realloc(o->paths, (o->npaths + 2) * sizeof(*p));
	if (!p) {
		free(a);
		return -1;
	}
	o->paths = p;
	p[o->npaths].kind = kind;
	p[o->npaths++].path = a;
	/* the same file by its resolved name too: a path the program names
	 * relative to its cwd is made absolute from /proc, resolved */
	if (real[0] && strcmp(real, a) != 0) {
		p[o->npaths].kind = kind;
		p[o->npaths].path = strdup(real);
		if (!p[o->npaths].path)
			return -1;
		o->npaths++;
	}
	return 0;
}

static const struct {
	const char *name;
	int kind;
} options[] = {
    {"--allow-read", RUN_READ},
    {"--allow-read-beneath", RUN_READ_BENEATH},
    {"--allow-write-beneath", RUN_WRITE_BENEATH},
    {"--allow-exec", RUN_EXEC},
};

static int parse(int argc, char **argv, struct run_opts *o)
{
	int i;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t k;
		if (!strcmp(a, "--"))
			break;
		if (!strcmp(a, "--verbose")) {
			o->verbose = 1;
			continue;
		}
		for (k = 0; k < sizeof(options) / sizeof(options[0]); k++)
			if (!strcmp(a, options[k].name))
				break;
		if (k < sizeof(options) / sizeof(options[0]) || !strcmp(a, "--policy") ||
		    !strcmp(a, "--learn")) {
			char q[2 * PATH_MAX + 3];
			if (i + 1 >= argc || !argv[i + 1][0])
				return usage_error("a value is needed after ", a);
			if (privsep_policy_quote(argv[i + 1], q, sizeof(q)) < 0)
				return usage_error("a path the policy language cannot say after ",
				                   a);
			i++;
			if (!strcmp(a, "--policy") || !strcmp(a, "--learn")) {
				const char **v = !strcmp(a, "--policy") ? &o->policy : &o->learn;
				/* one policy file (it may include others), one
				 * proposal */
				if (*v)
					return usage_error("given twice: ", a);
				*v = argv[i];
			} else if (add(o, options[k].kind, argv[i]) < 0) {
				fprintf(stderr, "privsep-run: %s %s: %s\n", a, argv[i],
				        strerror(errno));
				return RUN_EXIT_FAILED;
			}
			continue;
		}
		if (a[0] == '-')
			return usage_error("unknown option ", a);
		return usage_error("-- is needed before COMMAND: ", a);
	}
	if (i + 1 >= argc)
		return usage_error("no COMMAND after --", NULL);
	o->argv = argv + i + 1;
	return 0;
}

/* COMMAND as execvp would find it, into buf: 0, or 127 (not found) or
 * 126 (found, not executable) with the line said. */
static int find_command(const char *cmd, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	struct stat st;
	int found = 0;
	if (strchr(cmd, '/')) {
		char *a = absolute(cmd);
		if (!a || strlen(a) >= len) {
			free(a);
			fprintf(stderr, "privsep-run: %s: %s\n", cmd, strerror(ENAMETOOLONG));
			return RUN_EXIT_CANNOT;
		}
		snprintf(buf, len, "%s", a);
		free(a);
		if (stat(buf, &st) < 0) {
			fprintf(stderr, "privsep-run: %s: %s\n", cmd, strerror(errno));
			return errno == ENOENT ? RUN_EXIT_NOTFOUND : RUN_EXIT_CANNOT;
		}
		if (!S_ISREG(st.st_mode) || access(buf, X_OK) < 0) {
			fprintf(stderr, "privsep-run: %s: %s\n", cmd, strerror(EACCES));
			return RUN_EXIT_CANNOT;
		}
		return 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *e = strchr(path, ':');
		size_t n = e ? (size_t)(e - path) : strlen(path);
		if ((size_t)snprintf(buf, len, "%.*s/%s", (int)n, n ? path : ".", cmd) < len &&
		    stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(buf, X_OK) == 0)
				return 0;
			found = 1;
		}
		path += n + (e ? 1 : 0);
	}
	fprintf(stderr, "privsep-run: %s: %s\n", cmd,
	        found ? strerror(EACCES) : "command not found");
	return found ? RUN_EXIT_CANNOT : RUN_EXIT_NOTFOUND;
}

int main(int argc, char **argv)
{
	struct run_opts o;
	char prog[PATH_MAX];
	int rc;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("privsep-run (privsep) %s\n", privsep_version());
		return 0;
	}
	memset(&o, 0, sizeof(o));
	rc = parse(argc, argv, &o);
	if (!rc)
		rc = find_command(o.argv[0], prog, sizeof(prog));
	if (!rc) {
		o.prog = prog;
		rc = run(&o);
	}
	for (size_t i = 0; i < o.npaths; i++)
		free(o.paths[i].path);
	free(o.paths);
	return rc;
}
