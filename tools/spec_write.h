/* SPDX-License-Identifier: ISC */
/*
 * spec_write.h - the Markdown writer of privsep-spec (tools/ only).
 */
#ifndef PRIVSEP_SPEC_WRITE_H
#define PRIVSEP_SPEC_WRITE_H

#include <stdio.h>

/* Print the generated part of the spec called section ("constants",
 * "header", "types", "violations") as Markdown.  -1 for an unknown name. */
int spec_write(FILE *f, const char *section);

/* Print tests/model/proto.pml, the Promela constants of the protocol's
 * model (model_write.c). */
int model_write(FILE *f);

#endif
