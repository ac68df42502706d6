/* SPDX-License-Identifier: ISC */
/* A daemon outside the tree: one echo through a forked worker. */
#include <stdio.h>
#include <string.h>

#include <privsep.h>

static int worker(struct privsep_client *c, void *arg)
{
	(void)arg;
	char body[8];
	struct privsep_result res = {.data = body, .cap = sizeof(body)};
	return privsep_client_ping(c, "ok", 3, &res) == 0 && strcmp(body, "ok") == 0 ? 0 : 1;
}

int main(void)
{
	struct privsep_helper *h = privsep_helper_new(NULL, 0, NULL);
	struct privsep_spawn sp = {.name = "consumer", .main = worker};
	if (!h || !privsep_spawn(h, &sp) || privsep_helper_run(h) < 0)
		return 1;
	privsep_helper_free(h);
	puts("consumer: ok");
	return 0;
}
