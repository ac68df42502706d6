/* SPDX-License-Identifier: ISC */
/*
 * accesslog.h - one line per answered request, for --access-log.  No
 * I/O: the caller writes the line.
 */
#ifndef HTTPD_ACCESSLOG_H
#define HTTPD_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

/* 'PEER [DATE] "METHOD PATH HTTP/1.x" STATUS BYTES\n' into buf[0..cap),
 * the request as "-" when it was refused before it parsed (req NULL).
 * Bytes of the path outside printable ASCII, '"' and '\\' are written
 * \xHH, so that a line is always one line and cannot be forged.  Its
 * length; a path too long for cap is cut and ends in "...". */
size_t access_line(char *buf, size_t cap, const char *peer, int64_t now,
                   const struct http_request *req, int status, uint64_t bytes);

#endif
