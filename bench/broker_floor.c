/* SPDX-License-Identifier: ISC */
/*
 * broker_floor.c - the CPU one open costs when another process opens the
 * file, at the kernel's floor: a raw broker (recv a path, openat it,
 * sendmsg the fd with SCM_RIGHTS, close it) and its client (send the
 * path, recvmsg the fd, fstat, close), against the same open, fstat and
 * close in the client's own process (what nginx does per request).  CPU
 * time of each process per open, synchronous, no checks at all: what
 * examples/httpd --file-cache 0 pays per request on top of nginx before
 * privsep does anything (bench/README.md, "httpd --file-cache 0").
 *
 * Usage: broker-floor [FILE] [COUNT] [DEPTH]   (run it under taskset -c 0
 * for one CPU; default FILE is this program, COUNT 200000, DEPTH 1: the
 * client sends DEPTH paths before it reads their DEPTH fds, as a worker
 * with asynchronous opens in flight does)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "raw_fd.h"

static double cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

union fdctl {
	struct cmsghdr a;
	char b[CMSG_SPACE(sizeof(int))];
};

/* The raw broker, until the client closes: its CPU per open on out. */
static void broker(int sock, int out)
{
	double t0 = cpu_ns(), per;
	char path[4096];
	long k = 0;
	ssize_t n;
	while ((n = recv(sock, path, sizeof(path) - 1, 0)) > 0) {
		int f;
		path[n] = '\0';
		f = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
		if (f < 0)
			_exit(3);
		if (raw_fd_send(sock, f) < 0)
			_exit(4);
		close(f);
		k++;
	}
	per = (cpu_ns() - t0) / (double)(k ? k : 1);
	if (write(out, &per, sizeof(per)) != (ssize_t)sizeof(per))
		_exit(5);
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/proc/self/exe";
	long count = argc > 2 ? atol(argv[2]) : 200000;
	long depth = argc > 3 ? atol(argv[3]) : 1;
	double t0, client, direct, per_broker = 0;
	int sv[2], pp[2], status = 0;
	char exe[4096];
	pid_t pid;

	if (strcmp(path, "/proc/self/exe") == 0) {
		/* the broker's /proc/self is its own: name the file itself */
		ssize_t n = readlink(path, exe, sizeof(exe) - 1);
		if (n < 0) {
			perror("broker-floor: readlink");
			return 1;
		}
		exe[n] = '\0';
		path = exe;
	}
	if (depth < 1 || depth > 64)
		depth = 1;
	count -= count % depth;
	if (count < 1 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe(pp) < 0) {
		perror("broker-floor");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("broker-floor: fork");
		return 1;
	}
	if (pid == 0) {
		close(sv[1]);
		close(pp[0]);
		broker(sv[0], pp[1]);
	}
	close(sv[0]);
	close(pp[1]);
	t0 = cpu_ns();
	for (long i = 0; i < count; i += depth) {
		for (long j = 0; j < depth; j++)
			if (send(sv[1], path, strlen(path), 0) < 0) {
				perror("broker-floor: send");
				return 1;
			}
		for (long j = 0; j < depth; j++) {
			union fdctl ctl;
			char c;
			struct iovec iov = {&c, 1};
			struct msghdr mh = {.msg_iov = &iov,
			                    .msg_iovlen = 1,
			                    .msg_control = ctl.b,
			                    .msg_controllen = sizeof(ctl.b)};
			struct stat st;
			int fd = -1;
			if (recvmsg(sv[1], &mh, MSG_CMSG_CLOEXEC) <= 0 || !CMSG_FIRSTHDR(&mh)) {
				fprintf(stderr, "broker-floor: the broker did not answer\n");
				return 1;
			}
			memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(fd));
			if (fstat(fd, &st) < 0)
				return 1;
			close(fd);
		}
	}
	client = (cpu_ns() - t0) / (double)count;
	close(sv[1]);
	if (read(pp[0], &per_broker, sizeof(per_broker)) != (ssize_t)sizeof(per_broker) ||
	    waitpid(pid, &status, 0) != pid || status != 0) {
		fprintf(stderr, "broker-floor: the broker failed\n");
		return 1;
	}
	t0 = cpu_ns();
	for (long i = 0; i < count; i++) {
		struct stat st;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			return 1;
		close(fd);
	}
	direct = (cpu_ns() - t0) / (double)count;
	printf(
	    "depth %ld: CPU per open: in-process open+fstat+close %.2f us; through a raw broker: "
	    "client %.2f us + broker %.2f us = %.2f us (%.2f us more)\n",
	    depth, direct / 1e3, client / 1e3, per_broker / 1e3, (client + per_broker) / 1e3,
	    (client + per_broker - direct) / 1e3);
	return 0;
}
