/* SPDX-License-Identifier: ISC */
/*
 * test_journal.c - the helper's log as journald and syslog read it.
 *
 * A helper runs in a child whose standard error is a file; with
 * JOURNAL_STREAM naming that file's device and inode (what systemd sets
 * for a service whose stderr is the journal, systemd.exec(5)), every line
 * must begin with its priority "<N>" (sd-daemon(3)) and carry no time;
 * without it, helper and worker lines carry one time format.  The worker
 * is the attacker: it writes lines that claim priority 0..3, a newline
 * followed by a forged helper line with "<3>", and then breaks the
 * protocol.  Filtered like `journalctl -p err`, the captured output must
 * hold the helper's violation line and nothing the worker wrote.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "logline.h"
#include "privsep.h"

/* The worker: lines of every priority, forgeries, then a violation. */
static int forger(struct privsep_client *c, void *arg)
{
	static const char lines[] =
	    "<0>FORGED-EMERG\n"
	    "<3>FORGED-ERR\n"
	    "<4>WORKER-WARN\n"
	    "plain WORKER-INFO\n"
	    "<7>WORKER-DEBUG\n"
	    "text\n<3>privsep: worker \"x\" pid 1: protocol violation FORGED-HELPER-LINE\n";
	(void)arg;
	privsep_log(PRIVSEP_LOG_ERR, "FORGED-VIA-PRIVSEP-LOG");
	if (write(STDERR_FILENO, lines, sizeof(lines) - 1) < 0)
		return 3;
	/* one byte is no record: a protocol violation (short header) */
	if (send(privsep_client_fd(c), "x", 1, MSG_NOSIGNAL) < 0)
		return 4;
	/* killed by the helper meanwhile */
	while (privsep_client_dispatch(c, -1) >= 0)
		;
	return 5;
}

/* In a child: its standard error into path (exit 10 when it cannot be);
 * journal: JOURNAL_STREAM names that file, else it is unset. */
static void stderr_to(const char *path, int journal)
{
	struct stat st;
	char js[64];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0 || fstat(STDERR_FILENO, &st) < 0)
		_exit(10);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
	if (journal)
		setenv("JOURNAL_STREAM", js, 1);
	else
		unsetenv("JOURNAL_STREAM");
}

/* Run a helper with one worker, sp's, its standard error into path;
 * journal: JOURNAL_STREAM names that file.  The helper's exit status. */
static int run_helper_with(const char *path, int journal, const struct privsep_spawn *sp)
{
	pid_t pid = fork();
	int status;
	assert_true(pid >= 0);
	if (pid == 0) {
		struct privsep_helper *h;
		stderr_to(path, journal);
		h = privsep_helper_new(NULL, 0, NULL);
		if (!h || !privsep_spawn(h, sp) || privsep_helper_run(h) < 0)
			_exit(11);
		privsep_helper_free(h);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* The same with one forger worker. */
static int run_helper(const char *path, int journal)
{
	struct privsep_spawn sp = {.name = "forger", .main = forger};
	return run_helper_with(path, journal, &sp);
}

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	return buf;
}

static void tmpname(char *p, size_t len, const char *what)
{
	snprintf(p, len, "/tmp/privsep-journal-%d-%s", (int)getpid(), what);
}

static void to_the_journal_every_line_has_its_priority_and_a_worker_cannot_reach_err(void **s)
{
	char path[128], *text, *save = NULL;
	int err_lines = 0, violation = 0, warn_forged = 0, info = 0, debug = 0;
	(void)s;
	if (under_valgrind())
		skip(); /* no seccomp syscall under valgrind: no sandboxed worker */
	tmpname(path, sizeof(path), "j");
	assert_int_equal(run_helper(path, 1), 0);
	text = slurp(path);
	if (getenv("JOURNAL_VERBOSE"))
		fprintf(stderr, "---\n%s---\n", text);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int prio;
		/* every line: "<N>privsep: ", N one of 3, 4, 6, 7; no time */
		assert_true(l[0] == '<' && l[2] == '>');
		prio = l[1] - '0';
		assert_true(prio == 3 || prio == 4 || prio == 6 || prio == 7);
		assert_int_equal(strncmp(l + 3, "privsep: ", 9), 0);
		assert_false(l[12] >= '0' && l[12] <= '9');
		/* journalctl -p err: priorities 0..3 */
		if (prio <= 3) {
			err_lines++;
			assert_null(strstr(l, "FORGED"));
			assert_null(strstr(l, "WORKER-"));
			violation += strstr(l, "protocol violation short-header") != NULL;
		}
		if (strstr(l, "FORGED-") && strstr(l, "worker \"forger\" pid "))
			warn_forged += prio == 4;
		info += prio == 6 && strstr(l, ": plain WORKER-INFO") != NULL;
		debug += prio == 7 && strstr(l, ": WORKER-DEBUG") != NULL;
	}
	unlink(path);
	assert_int_equal(violation, 1);
	assert_int_equal(err_lines, 1);
	/* what the worker claimed as emerg or err arrives as a warning, its
	 * forged helper line as its own, marked with its identity */
	assert_int_equal(warn_forged, 4);
	assert_int_equal(info, 1);
	assert_int_equal(debug, 1);
}

static void elsewhere_helper_and_worker_lines_have_one_time_format_and_no_priority(void **s)
{
	char path[128], *text, *save = NULL;
	regex_t re;
	int helper = 0, worker = 0;
	(void)s;
	if (under_valgrind())
		skip();
	tmpname(path, sizeof(path), "t");
	assert_int_equal(run_helper(path, 0), 0);
	text = slurp(path);
	assert_int_equal(regcomp(&re,
	                         "^privsep: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
	                         "\\.[0-9]{3}Z [^0-9<]",
	                         REG_EXTENDED | REG_NOSUB),
	                 0);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		assert_int_equal(regexec(&re, l, 0, NULL, 0), 0);
		if (strstr(l, "Z worker \"forger\" pid ") && strstr(l, "WORKER-INFO"))
			worker++;
		if (strstr(l, "protocol violation short-header"))
			helper++;
	}
	regfree(&re);
	unlink(path);
	assert_int_equal(worker, 1);
	assert_int_equal(helper, 1);
}

/* A stream other than stderr's (a stale JOURNAL_STREAM, inherited by a
 * child whose stderr is elsewhere) is not the journal. */
static void a_journal_stream_that_is_not_stderr_is_ignored(void **s)
{
	char path[128], other[128], js[64], *text;
	struct stat st;
	pid_t pid;
	int status, fd;
	(void)s;
	tmpname(path, sizeof(path), "n");
	tmpname(other, sizeof(other), "o");
	fd = open(other, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct privsep_helper *h;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(10);
		setenv("JOURNAL_STREAM", js, 1);
		h = privsep_helper_new(NULL, 0, NULL);
		if (!h)
			_exit(11);
		privsep_helper_log_stderr(h, PRIVSEP_LOG_ERR, "LINE");
		privsep_helper_free(h);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	text = slurp(path);
	assert_int_equal(strncmp(text, "privsep: 20", 11), 0);
	assert_non_null(strstr(text, "Z LINE\n"));
	unlink(path);
	unlink(other);
}

/* The worker of the levels test: a file no rule allows (a refusal), a
 * missing file beneath its root (no refusal of the rules: per request),
 * then an ordinary end. */
static int asker(struct privsep_client *c, void *arg)
{
	char path[256];
	struct privsep_result res = {0};
	int fd;
	snprintf(path, sizeof(path), "%s/missing.txt", (const char *)arg);
	fd = privsep_fs_open(c, "/etc/hostname", O_RDONLY, &res);
	if (fd >= 0 || !res.refused)
		return 3;
	memset(&res, 0, sizeof(res));
	fd = privsep_fs_open(c, path, O_RDONLY, &res);
	if (fd >= 0 || errno != ENOENT)
		return 4;
	return 0;
}

/* Each line at the level of its kind, as journald files it: a refusal by
 * the broker at warning (4), the life-cycle (the policy loaded, the
 * worker's end) at info (6), a request for a missing file at debug (7);
 * nothing at err.  Filtered like `journalctl -p warning`, the captured
 * output holds the refusal alone of the worker's lines; like `-p info`,
 * not the per-request line. */
static void to_the_journal_a_refusal_is_a_warning_the_life_cycle_info_a_request_debug(void **s)
{
	char path[128], dir[128], text_[512], *text, *save = NULL;
	int warn = 0, err = 0, refusal = 0, info_end = 0, info_policy = 0, debug_missing = 0,
	    above_info = 0;
	(void)s;
	if (under_valgrind())
		skip(); /* no seccomp syscall under valgrind: no sandboxed worker */
	tmpname(path, sizeof(path), "levels");
	tmpname(dir, sizeof(dir), "levels-root");
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(text_, sizeof(text_),
	         "version 1\ninclude <default.policy>\nbeneath \"%s\" allow read\n", dir);
	{
		struct privsep_sandbox sb = {.policy = "levels.policy", .policy_text = text_};
		struct privsep_spawn sp = {
		    .name = "asker", .main = asker, .arg = dir, .sandbox = &sb};
		assert_int_equal(run_helper_with(path, 1, &sp), 0);
	}
	text = slurp(path);
	if (getenv("JOURNAL_VERBOSE"))
		fprintf(stderr, "---\n%s---\n", text);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int prio;
		assert_true(l[0] == '<' && l[2] == '>');
		prio = l[1] - '0';
		/* journalctl -p warning: priorities 0..4; of the worker's, the
		 * refusal alone (the helper may warn that it is not root) */
		err += prio <= 3;
		if (prio <= 4 && strstr(l, "worker \"asker\" pid ")) {
			warn++;
			refusal +=
			    prio == 4 && strstr(l, "fs open /etc/hostname: EACCES: ") != NULL;
		}
		above_info += prio <= 6 && strstr(l, "missing.txt") != NULL;
		info_end += prio == 6 && strstr(l, "worker \"asker\" pid ") &&
		            strstr(l, ": exited with status 0");
		info_policy += prio == 6 && strstr(l, "policy levels.policy: ") != NULL;
		debug_missing += prio == 7 && strstr(l, "missing.txt: ENOENT") != NULL;
	}
	unlink(path);
	rmdir(dir);
	assert_int_equal(err, 0);
	assert_int_equal(refusal, 1);
	assert_int_equal(warn, 1);
	assert_int_equal(info_end, 1);
	assert_true(info_policy >= 1);
	assert_int_equal(debug_missing, 1);
	assert_int_equal(above_info, 0);
}

/* The helper's own line longer than its buffer (an application's text
 * through privsep_helper_log_stderr): cut to PRIVSEP_LOG_LINE_MAX - 1
 * bytes, the first ones of the line kept, the last one a newline, so the
 * next line is a line of its own and not the cut one's tail; in both
 * formats (to the journal and elsewhere). */
/* What a helper writes to its standard error (the journal's format or
 * the plain one) for the line, then "THE-NEXT-LINE": the file's text. */
static char *helper_lines(const char *line, int journal)
{
	char path[128], *text;
	int status;
	pid_t pid;
	tmpname(path, sizeof(path), "cut");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct privsep_helper *h;
		stderr_to(path, journal);
		h = privsep_helper_new(NULL, 0, NULL);
		if (!h)
			_exit(11);
		privsep_helper_log_stderr(h, PRIVSEP_LOG_INFO, line);
		privsep_helper_log_stderr(h, PRIVSEP_LOG_INFO, "THE-NEXT-LINE");
		privsep_helper_free(h);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	text = slurp(path);
	unlink(path);
	return text;
}

static void
a_helper_line_cut_to_fit_still_ends_with_its_newline_and_the_next_line_is_its_own(void **s)
{
	static char line[2 * PRIVSEP_LOG_LINE_MAX];
	(void)s;
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	for (int journal = 0; journal < 2; journal++) {
		char *text, *nl, *head, *tail;
		const char *pre;
		text = helper_lines(line, journal);
		nl = strchr(text, '\n');
		assert_non_null(nl);
		/* the cut line: exactly the buffer less its NUL, newline last,
		 * the line's first bytes before it */
		assert_int_equal((size_t)(nl - text) + 1, PRIVSEP_LOG_LINE_MAX - 1);
		pre = journal ? "<6>privsep: " : "privsep: ";
		assert_memory_equal(text, pre, strlen(pre));
		head = journal ? text + strlen(pre) : strchr(text + strlen(pre), ' ') + 1;
		assert_true(head > text && head < nl);
		assert_int_equal(strspn(head, "a"), (size_t)(nl - head));
		/* the next line whole and its own */
		assert_memory_equal(nl + 1, pre, strlen(pre));
		tail = strstr(nl + 1, "THE-NEXT-LINE\n");
		assert_non_null(tail);
		assert_ptr_equal(strchr(nl + 1, '\n'), tail + 13);
		assert_int_equal(tail[14], '\0');
	}
}

/* Whether the n bytes at p are whole UTF-8 characters (a test's own
 * reading: lead byte, then its continuation bytes). */
static int whole_utf8(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t len = p[i] < 0x80             ? 1
		             : (p[i] & 0xe0) == 0xc0 ? 2
		             : (p[i] & 0xf0) == 0xe0 ? 3
		             : (p[i] & 0xf8) == 0xf0 ? 4
		                                     : 0;
		if (!len || i + len > n)
			return 0;
		for (size_t j = 1; j < len; j++)
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
		i += len;
	}
	return 1;
}

/* A line of three-byte characters cut to fit, with the cut at each of
 * the three places in a character (a shift of 0 to 2 ASCII bytes first):
 * the cut line is whole UTF-8 (journald shows any other line as a blob),
 * a character cut goes whole, and the next line is its own. */
static void a_helper_line_cut_to_fit_never_splits_a_utf8_character(void **s)
{
	static char line[2 * PRIVSEP_LOG_LINE_MAX];
	int shortened = 0;
	(void)s;
	for (int shift = 0; shift < 3; shift++)
		for (int journal = 0; journal < 2; journal++) {
			size_t i = 0;
			char *text, *nl;
			for (; i < (size_t)shift; i++)
				line[i] = 'x';
			for (; i + 3 < sizeof(line); i += 3)
				memcpy(line + i, "\xe2\x82\xac", 3); /* the euro sign */
			line[i] = '\0';
			text = helper_lines(line, journal);
			nl = strchr(text, '\n');
			assert_non_null(nl);
			if (!whole_utf8((const unsigned char *)text, (size_t)(nl - text)))
				fail_msg("shift %d, %s: the cut line ends in a halved character",
				         shift, journal ? "journal" : "plain");
			assert_true((size_t)(nl - text) + 1 >= PRIVSEP_LOG_LINE_MAX - 3);
			assert_true((size_t)(nl - text) + 1 <= PRIVSEP_LOG_LINE_MAX - 1);
			shortened += (size_t)(nl - text) + 1 < PRIVSEP_LOG_LINE_MAX - 1;
			assert_non_null(strstr(nl + 1, "THE-NEXT-LINE\n"));
		}
	/* the cut fell inside a character in four of the six */
	assert_int_equal(shortened, 4);
}

/* A worker's privsep_log cut to fit (1019 bytes of text) at each of the
 * three places in a character: whole UTF-8, one line. */
static void a_workers_line_cut_to_fit_never_splits_a_utf8_character(void **s)
{
	static char line[2048];
	int shortened = 0;
	(void)s;
	for (int shift = 0; shift < 3; shift++) {
		char path[128], *text, *nl;
		size_t i = 0;
		int status;
		pid_t pid;
		for (; i < (size_t)shift; i++)
			line[i] = 'x';
		for (; i + 3 < sizeof(line); i += 3)
			memcpy(line + i, "\xe2\x82\xac", 3);
		line[i] = '\0';
		tmpname(path, sizeof(path), "wcut");
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			stderr_to(path, 0);
			privsep_log(PRIVSEP_LOG_INFO, "%s", line);
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		text = slurp(path);
		unlink(path);
		nl = strchr(text, '\n');
		assert_non_null(nl);
		assert_int_equal(nl[1], '\0');
		assert_memory_equal(text, "<6>", 3);
		if (!whole_utf8((const unsigned char *)text, (size_t)(nl - text)))
			fail_msg("shift %d: the worker's cut line ends in a halved character",
			         shift);
		assert_true((size_t)(nl - text) >= 3 + 1019 - 2);
		shortened += (size_t)(nl - text) < 3 + 1019;
	}
	assert_int_equal(shortened, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        to_the_journal_every_line_has_its_priority_and_a_worker_cannot_reach_err),
	    cmocka_unit_test(
	        elsewhere_helper_and_worker_lines_have_one_time_format_and_no_priority),
	    cmocka_unit_test(a_journal_stream_that_is_not_stderr_is_ignored),
	    cmocka_unit_test(
	        to_the_journal_a_refusal_is_a_warning_the_life_cycle_info_a_request_debug),
	    cmocka_unit_test(
	        a_helper_line_cut_to_fit_still_ends_with_its_newline_and_the_next_line_is_its_own),
	    cmocka_unit_test(a_helper_line_cut_to_fit_never_splits_a_utf8_character),
	    cmocka_unit_test(a_workers_line_cut_to_fit_never_splits_a_utf8_character),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
