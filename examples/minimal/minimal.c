/* SPDX-License-Identifier: ISC */
/*
 * minimal - the smallest complete daemon on libprivsep.
 *
 * The helper serves one request type, HELLO: the worker sends its name,
 * the helper answers with a greeting and a read-only fd of a file it
 * opened (/etc/os-release, or the path given as the first argument).  The
 * worker, in its sandbox, could not open that file itself: it reads the
 * fd it was given and prints.  The framework checks every request against
 * the table before the handler runs.
 *
 * Plain C11 with POSIX.1-2008 (_POSIX_C_SOURCE, for O_CLOEXEC):
 *   cc -std=c11 -pedantic minimal.c $(pkg-config --cflags --libs privsep)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <privsep.h>

#define MSG_HELLO (PRIVSEP_TYPE_APP_MIN + 1)

/* Helper side: one handler, checked by the framework before it runs. */
static int answer_hello(struct privsep_req *req, void *arg)
{
	const char *path = arg;
	struct privsep_reader r;
	const char *name;
	int fd;

	privsep_reader_init(&r, req->data, req->len);
	if (privsep_reader_get_str(&r, &name, NULL) < 0 || privsep_reader_end(&r) < 0)
		return PRIVSEP_VIOLATION; /* malformed: the worker is killed */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return privsep_req_fail(req, errno, "cannot open %s", path);
	privsep_writer_put_str(&req->reply, "hello");
	privsep_writer_put_str(&req->reply, name);
	return privsep_req_reply_fd(req, fd) < 0 ? errno : 0;
}

/* Worker side: runs in the child. */
static int worker_main(struct privsep_client *c, void *arg)
{
	(void)arg;
	uint8_t req[64], body[128];
	struct privsep_writer w;
	struct privsep_result res = {.data = body, .cap = sizeof(body)};
	struct privsep_reader r;
	const char *greet, *name;
	char line[256];
	ssize_t n;

	privsep_writer_init(&w, req, sizeof(req));
	privsep_writer_put_str(&w, "minimal-worker");
	if (privsep_client_call(
	        c, &(struct privsep_out){.type = MSG_HELLO, .data = req, .len = w.len}, &res) < 0) {
		if (res.refused) /* by the helper: res.detail says why */
			fprintf(stderr, "worker: HELLO refused: %s (%s)\n", res.detail,
			        strerror(errno));
		else
			fprintf(stderr, "worker: HELLO failed: %s\n", strerror(errno));
		return 1;
	}
	privsep_reader_init(&r, res.data, res.len);
	if (privsep_reader_get_str(&r, &greet, NULL) < 0 ||
	    privsep_reader_get_str(&r, &name, NULL) < 0 || res.nfds != 1)
		return 1;
	n = read(res.fds[0], line, sizeof(line) - 1);
	close(res.fds[0]);
	if (n <= 0)
		return 1;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	printf("worker: the helper said \"%s, %s\" and passed an fd; its first line: %s\n", greet,
	       name, line);
	return 0;
}

/* Called once when the worker is gone: keep how it ended. */
static void worker_gone(struct privsep_worker *w, void *arg)
{
	const struct privsep_exit_info *e = privsep_worker_exit_info(w);
	int *result = arg;
	*result = e->kind == PRIVSEP_EXIT_STATUS ? e->status : 1;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/etc/os-release";
	const struct privsep_handler table[] = {
	    {.type = MSG_HELLO,
	     .name = "hello",
	     .min_len = 2,
	     .max_len = 256,
	     .flags = PRIVSEP_H_CALL,
	     .fn = answer_hello,
	     .arg = (void *)path},
	};
	int result = 1;
	struct privsep_helper_config cfg = {.on_worker_gone = worker_gone, .gone_arg = &result};
	/* the worker prints its result: its standard output is a pipe the
	 * helper copies to ours (by default it is /dev/null) */
	struct privsep_spawn sp = {.name = "minimal", .main = worker_main, .stdout_copy = 1};
	struct privsep_helper *h = privsep_helper_new(table, 1, &cfg);

	/* SIGINT/SIGTERM stop the worker gracefully; then the worker, in its
	 * sandbox (the defaults: a uid of its own, no files, default.policy). */
	if (!h || privsep_helper_signals(h, NULL, NULL) < 0 || !privsep_spawn(h, &sp)) {
		perror("privsep");
		privsep_helper_free(h);
		return 1;
	}
	/* Serve until the worker is gone. */
	if (privsep_helper_run(h) < 0)
		perror("privsep_helper_run");
	if (privsep_helper_stop_signal(h))
		result = 128 + privsep_helper_stop_signal(h);
	privsep_helper_free(h);
	printf("helper: worker exited with status %d\n", result);
	return result;
}
