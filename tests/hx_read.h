/* SPDX-License-Identifier: ISC */
/*
 * hx_read.h - a small file (a /proc entry) read whole, for the tests.
 */
#ifndef PRIVSEP_TEST_HX_READ_H
#define PRIVSEP_TEST_HX_READ_H

#include <stddef.h>
#include <sys/types.h>

/* Reads at most size - 1 bytes of path with one read(2) into buf and ends
 * them with a NUL (buf is "" when nothing was read): the number of bytes
 * read, 0 at an empty file or a failed read, -1 when path cannot be
 * opened.  size must be at least 1. */
ssize_t hx_read_small(const char *path, char *buf, size_t size);

#endif
