/* cond.c - conditional requests (RFC 9110 §13): validators, HTTP dates,
 * the evaluation order of If-Match, If-Unmodified-Since, If-None-Match,
 * If-Modified-Since and If-Range. Pure. */
#include "webd.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const cond_days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat" };
static const char *const cond_months[] = { "Jan", "Feb", "Mar", "Apr",
	"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

size_t
cond_date_format(char *buf, size_t len, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || len < 30) {
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    cond_days[tm.tm_wday], tm.tm_mday, cond_months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int
cond_month(const char *s)
{
	int i;

	for (i = 0; i < 12; i++)
		if (strncmp(s, cond_months[i], 3) == 0)
			return i;
	return -1;
}

/* Reads exactly n digits (a leading space counts as 0 when pad). */
static int
cond_digits(const char *s, int n, int pad, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (pad && i == 0 && s[i] == ' ')
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "08:49:37" */
static int
cond_clock(const char *s, int *h, int *mi, int *sec)
{
	if (cond_digits(s, 2, 0, h) == -1 || s[2] != ':' ||
	    cond_digits(s + 3, 2, 0, mi) == -1 || s[5] != ':' ||
	    cond_digits(s + 6, 2, 0, sec) == -1)
		return -1;
	return 0;
}

int
cond_date_parse(const char *s, time_t *out)
{
	const char *comma = strchr(s, ',');
	int d, y, h, mi, sec, m;
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (comma != NULL && strlen(comma) == 26) {
		/* IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" */
		const char *p = comma + 2;

		if (comma[1] != ' ' || cond_digits(p, 2, 0, &d) == -1 ||
		    p[2] != ' ' || (m = cond_month(p + 3)) < 0 ||
		    p[6] != ' ' || cond_digits(p + 7, 4, 0, &y) == -1 ||
		    p[11] != ' ' || cond_clock(p + 12, &h, &mi, &sec) == -1 ||
		    strcmp(p + 20, " GMT") != 0)
			return -1;
	} else if (comma != NULL && strlen(comma) == 24) {
		/* RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" */
		const char *p = comma + 2;

		if (comma[1] != ' ' || cond_digits(p, 2, 0, &d) == -1 ||
		    p[2] != '-' || (m = cond_month(p + 3)) < 0 ||
		    p[6] != '-' || cond_digits(p + 7, 2, 0, &y) == -1 ||
		    p[9] != ' ' || cond_clock(p + 10, &h, &mi, &sec) == -1 ||
		    strcmp(p + 18, " GMT") != 0)
			return -1;
		y += y < 70 ? 2000 : 1900;
	} else if (comma == NULL && strlen(s) == 24) {
		/* asctime "Sun Nov  6 08:49:37 1994" */
		if (s[3] != ' ' || (m = cond_month(s + 4)) < 0 ||
		    s[7] != ' ' || cond_digits(s + 8, 2, 1, &d) == -1 ||
		    s[10] != ' ' || cond_clock(s + 11, &h, &mi, &sec) == -1 ||
		    s[19] != ' ' || cond_digits(s + 20, 4, 0, &y) == -1)
			return -1;
	} else {
		return -1;
	}
	if (d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = m;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = timegm(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}

/* Does the list of entity tags in hdr match etag? "*" matches anything.
 * weak: compare ignoring W/ (If-None-Match); else strong (If-Match). */
static int
cond_etag_match(const char *hdr, const char *etag, int weak)
{
	size_t elen = strlen(etag);
	const char *p = hdr;

	while (*p != '\0') {
		int is_weak = 0;
		const char *q;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (*p == '*')
			return 1;
		if (p[0] == 'W' && p[1] == '/') {
			is_weak = 1;
			p += 2;
		}
		if (*p != '"')
			return 0;	/* malformed: no match */
		q = strchr(p + 1, '"');
		if (q == NULL)
			return 0;
		if ((size_t)(q + 1 - p) == elen && memcmp(p, etag, elen) == 0 &&
		    (weak || !is_weak))
			return 1;
		p = q + 1;
	}
	return 0;
}

int
cond_evaluate(const struct cond_req *r, const char *etag, time_t mtime)
{
	time_t t;

	if (r->if_match != NULL) {
		if (!cond_etag_match(r->if_match, etag, 0))
			return COND_FAILED;
	} else if (r->if_unmodified_since != NULL &&
	    cond_date_parse(r->if_unmodified_since, &t) == 0 && mtime > t) {
		return COND_FAILED;
	}
	if (r->if_none_match != NULL) {
		if (cond_etag_match(r->if_none_match, etag, 1))
			return r->get_or_head ? COND_NOT_MODIFIED :
			    COND_FAILED;
	} else if (r->get_or_head && r->if_modified_since != NULL &&
	    cond_date_parse(r->if_modified_since, &t) == 0 && mtime <= t) {
		return COND_NOT_MODIFIED;
	}
	return COND_PROCEED;
}

int
cond_range_applies(const char *if_range, const char *etag, time_t mtime)
{
	time_t t;

	if (if_range == NULL)
		return 1;
	while (*if_range == ' ' || *if_range == '\t')
		if_range++;
	if (*if_range == '"')
		return strcmp(if_range, etag) == 0;
	if (strncmp(if_range, "W/", 2) == 0)
		return 0;
	return cond_date_parse(if_range, &t) == 0 && t == mtime;
}
