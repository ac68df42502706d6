/* SPDX-License-Identifier: ISC */
/*
 * http_date.c - HTTP-date (RFC 9110 5.6.7): the IMF-fixdate we send, and
 * the three forms we must accept.  Calendar arithmetic by hand: no
 * locale, no time zone file, nothing the sandbox would have to allow.
 */
#include <string.h>

#include "http.h"

static const char days[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
static const char *const long_days[7] = {"Thursday", "Friday",  "Saturday", "Sunday",
                                         "Monday",   "Tuesday", "Wednesday"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put2(char *o, unsigned v)
{
	o[0] = (char)('0' + v / 10 % 10);
	o[1] = (char)('0' + v % 10);
}

/* The first and last seconds of years 0 to 9999, the ones written. */
#define DATE_MIN (-62167219200LL)
#define DATE_MAX 253402300799LL

void http_date_format(int64_t t, char *out)
{
	/* not representable: the epoch, never garbage; checked first, as
	 * the day of a second near INT64_MIN overflows */
	if (t < DATE_MIN || t > DATE_MAX)
		t = 0;
	int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400, y;
	unsigned sec = (unsigned)(t - day * 86400), m, d;
	civil_from_days(day, &y, &m, &d);
	memcpy(out, days[((day % 7) + 7) % 7], 3);
	memcpy(out + 3, ", ", 2);
	put2(out + 5, d);
	out[7] = ' ';
	memcpy(out + 8, months[m - 1], 3);
	out[11] = ' ';
	put2(out + 12, (unsigned)(y / 100));
	put2(out + 14, (unsigned)(y % 100));
	out[16] = ' ';
	put2(out + 17, sec / 3600);
	out[19] = ':';
	put2(out + 20, sec / 60 % 60);
	out[22] = ':';
	put2(out + 23, sec % 60);
	memcpy(out + 25, " GMT", 5); /* with the NUL */
}

/* ---- parsing: a cursor over s[0..n) ---- */

struct cur {
	const char *s;
	size_t n, i;
};

static int lit(struct cur *c, const char *l)
{
	size_t k = strlen(l);
	if (c->n - c->i < k || memcmp(c->s + c->i, l, k) != 0)
		return -1;
	c->i += k;
	return 0;
}

/* exactly `digits` digits (or 1..2 when digits is 0, for asctime's day) */
static int num(struct cur *c, unsigned digits, unsigned *v)
{
	unsigned k = 0, max = digits ? digits : 2;
	*v = 0;
	while (k < max && c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9') {
		*v = *v * 10 + (unsigned)(c->s[c->i++] - '0');
		k++;
	}
	return (digits ? k == digits : k >= 1) ? 0 : -1;
}

static int month(struct cur *c, unsigned *m)
{
	for (unsigned i = 0; i < 12; i++)
		if (lit(c, months[i]) == 0) {
			*m = i + 1;
			return 0;
		}
	return -1;
}

static int clock_(struct cur *c, unsigned *h, unsigned *mi, unsigned *s)
{
	if (num(c, 2, h) || lit(c, ":") || num(c, 2, mi) || lit(c, ":") || num(c, 2, s))
		return -1;
	return *h < 24 && *mi < 60 && *s < 61 ? 0 : -1;
}

static int weekday(struct cur *c, int longform)
{
	for (unsigned i = 0; i < 7; i++)
		if (lit(c, longform ? long_days[i] : days[i]) == 0)
			return 0;
	return -1;
}

static int finish(unsigned y, unsigned m, unsigned d, unsigned h, unsigned mi, unsigned s,
                  int64_t *t)
{
	static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
		return -1;
	if (s == 60)
		s = 59; /* a leap second is the second before */
	*t = days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
	return 0;
}

int http_date_parse(const char *s, size_t n, int64_t *t)
{
	unsigned y, m, d, h, mi, sec;
	struct cur c = {s, n, 0};
	/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
	if (weekday(&c, 0) == 0 && lit(&c, ", ") == 0) {
		if (num(&c, 2, &d) || lit(&c, " ") || month(&c, &m) || lit(&c, " ") ||
		    num(&c, 4, &y) || lit(&c, " ") || clock_(&c, &h, &mi, &sec) ||
		    lit(&c, " GMT") || c.i != n)
			return -1;
		return finish(y, m, d, h, mi, sec, t);
	}
	/* asctime: Sun Nov  6 08:49:37 1994 */
	c.i = 0;
	if (weekday(&c, 0) == 0 && lit(&c, " ") == 0) {
		if (month(&c, &m) || lit(&c, " "))
			return -1;
		if (c.i < n && s[c.i] == ' ')
			c.i++;
		if (num(&c, 0, &d) || lit(&c, " ") || clock_(&c, &h, &mi, &sec) || lit(&c, " ") ||
		    num(&c, 4, &y) || c.i != n)
			return -1;
		return finish(y, m, d, h, mi, sec, t);
	}
	/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
	c.i = 0;
	if (weekday(&c, 1) == 0 && lit(&c, ", ") == 0) {
		if (num(&c, 2, &d) || lit(&c, "-") || month(&c, &m) || lit(&c, "-") ||
		    num(&c, 2, &y) || lit(&c, " ") || clock_(&c, &h, &mi, &sec) ||
		    lit(&c, " GMT") || c.i != n)
			return -1;
		/* two digits: 70..99 are 1970.., the rest 2000..; never the
		 * future by 50 years (RFC 9110 5.6.7) */
		y += y >= 70 ? 1900 : 2000;
		return finish(y, m, d, h, mi, sec, t);
	}
	return -1;
}
