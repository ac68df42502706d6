/* SPDX-License-Identifier: ISC */
/*
 * version.c - the library's version, from privsep.h's macros.
 */
#include "privsep.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const char *privsep_version(void)
{
	return STR(PRIVSEP_VERSION_MAJOR) "." STR(PRIVSEP_VERSION_MINOR) "." STR(
	    PRIVSEP_VERSION_PATCH);
}
