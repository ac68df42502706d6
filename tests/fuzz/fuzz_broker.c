/* SPDX-License-Identifier: ISC */
/* libFuzzer target: the file broker's path and flag decisions. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct policy *pol;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_decision d;
	char path[4200];
	int32_t flags;
	if (!pol) {
		pol = policy_load("fuzz.policy",
		                  "version 1\nbeneath \"/srv/www\" allow read,stat\n"
		                  "beneath \"/srv/www/up\" allow read,write,create mode 0640\n"
		                  "path \"/etc/hostname\" allow read\nbeneath \"/\" allow stat\n"
		                  "path \"/var/log/app.log\" allow read,append\n",
		                  NULL, NULL);
		if (!pol)
			abort();
	}
	if (size < 5 || size - 5 >= sizeof(path))
		return 0;
	memcpy(&flags, data, 4);
	memcpy(path, data + 5, size - 5);
	path[size - 5] = '\0';
	int rc = fs_decide(pol, path, data[4] % 4, flags, &d);
	if (rc == 0) {
		/* an allowed path is normal: absolute, no .., no //, no . */
		if (d.norm[0] != '/' || strstr(d.norm, "/../") || strstr(d.norm, "//") ||
		    strstr(d.norm, "/./") || d.rule < 0 || (size_t)d.rule >= pol->nfiles)
			abort();
		if (data[4] % 4 == 0 && ((d.flags & O_PATH) || (d.flags & O_TMPFILE) == O_TMPFILE))
			abort();
		/* append alone: only O_RDONLY or O_WRONLY|O_APPEND */
		if (data[4] % 4 == 0 && !strcmp(d.norm, "/var/log/app.log") &&
		    (d.flags & O_ACCMODE) != O_RDONLY &&
		    ((d.flags & O_ACCMODE) != O_WRONLY || !(d.flags & O_APPEND)))
			abort();
	}
	return 0;
}
