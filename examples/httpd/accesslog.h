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

/* One line of the Common Log Format into buf[0..cap):
 *   PEER - - [DD/Mon/YYYY:HH:MM:SS +0000] "METHOD PATH HTTP/1.x" STATUS BODY\n
 * ident and user are always "-" (httpd knows neither); BODY is the bytes
 * of the response body sent (no header bytes; a HEAD answer
 * has none), "-" for none, as the format says.  The request is "-" when
 * it was refused before it parsed (req NULL).  Bytes of the path outside
 * printable ASCII, '"' and '\\' are written \xHH, so that a line is
 * always one line and cannot be forged.  Its length; a path too long for
 * cap is cut and ends in "...". */
size_t access_line(char *buf, size_t cap, const char *peer, int64_t now,
                   const struct http_request *req, int status, uint64_t body);

#endif
