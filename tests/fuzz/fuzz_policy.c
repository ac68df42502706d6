/* SPDX-License-Identifier: ISC */
/* libFuzzer target: the policy parser, check, and (for small policies) the
 * compiler and verify: a policy that parses and checks must compile to a
 * filter that verify finds faithful. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	struct policy *p;
	if (size > 16384 || memchr(data, 0, size))
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	p = policy_load("fuzz.policy", text, NULL, NULL);
	free(text);
	if (!p)
		return 0;
	if (policy_check(p, NULL, NULL) == 0 && p->nrules <= 32) {
		struct filter_prog prog;
		unsigned long calls;
		if (policy_compile(p, &prog, 0, NULL, NULL) == 0) {
			if (policy_verify(p, &prog, 0, NULL, NULL, &calls) != 0)
				abort(); /* checked, compiled, and not faithful */
			filter_prog_free(&prog);
		}
	}
	policy_free(p);
	return 0;
}
