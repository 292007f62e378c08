/* prune.c - the retention policy and backup names. Pure: no I/O.
 *
 * As borg's and restic's keep-daily/keep-weekly: going from the newest
 * backup to the oldest, the first backup seen of a day (UTC) is kept
 * while fewer than keep_daily days have been kept; the same for ISO
 * 8601 weeks with keep_weekly. Days and weeks without backups do not
 * count. The newest backup is always kept. */
#include "backup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The index order of t, newest first. */
static size_t *
prune_order(const time_t *t, size_t n)
{
	size_t *ix = malloc((n ? n : 1) * sizeof(*ix));
	size_t i, j;

	if (ix == NULL)
		return NULL;
	for (i = 0; i < n; i++) {	/* insertion sort: n is small */
		for (j = i; j > 0 && t[ix[j - 1]] < t[i]; j--)
			ix[j] = ix[j - 1];
		ix[j] = i;
	}
	return ix;
}

static long
prune_day(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return (long)(tm.tm_year + 1900) * 1000 + tm.tm_yday;
}

/* ISO 8601 week: year * 100 + week; the week belongs to the year of its
 * Thursday. */
static long
prune_week(time_t t)
{
	struct tm tm;
	int wday;
	time_t thu;

	gmtime_r(&t, &tm);
	wday = (tm.tm_wday + 6) % 7;	/* Monday 0 .. Sunday 6 */
	thu = t + (time_t)(3 - wday) * 86400;
	gmtime_r(&thu, &tm);
	return (long)(tm.tm_year + 1900) * 100 + tm.tm_yday / 7 + 1;
}

/* Keeps the first of each new period, newest first, up to max. */
static void
prune_periods(const time_t *t, const size_t *ix, size_t n, long long max,
    long (*period)(time_t), int bit, int *keep)
{
	long last = -1;
	long long kept = 0;
	size_t i;

	for (i = 0; i < n && kept < max; i++) {
		long p = period(t[ix[i]]);

		if (p == last)
			continue;
		last = p;
		keep[ix[i]] |= bit;
		kept++;
	}
}

void
prune_select(const time_t *t, size_t n, long long keep_daily,
    long long keep_weekly, int *keep)
{
	size_t i, *ix;

	for (i = 0; i < n; i++)
		keep[i] = PRUNE_NEWEST;	/* out of memory: keep everything */
	if (n == 0 || (ix = prune_order(t, n)) == NULL)
		return;
	for (i = 0; i < n; i++)
		keep[i] = 0;
	keep[ix[0]] = PRUNE_NEWEST;
	prune_periods(t, ix, n, keep_daily, prune_day, PRUNE_DAILY, keep);
	prune_periods(t, ix, n, keep_weekly, prune_week, PRUNE_WEEKLY, keep);
	free(ix);
}

static int
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The value of n decimal digits, which digits() has checked. */
static int
num(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int
prune_parse_name(const char *name, time_t *t, char *db, size_t dblen)
{
	static const char ext[] = ".sql.zst";
	size_t len = strlen(name), dbn;
	const char *ts;
	struct tm tm;

	/* DB-YYYYMMDDTHHMMSSZ.sql.zst */
	if (len < 1 + 1 + 16 + sizeof(ext) - 1 || name[0] == '.' ||
	    strcmp(name + len - (sizeof(ext) - 1), ext) != 0)
		return 0;
	ts = name + len - (sizeof(ext) - 1) - 16;
	if (ts[-1] != '-' || !digits(ts, 8) || ts[8] != 'T' ||
	    !digits(ts + 9, 6) || ts[15] != 'Z')
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = num(ts, 4);
	tm.tm_mon = num(ts + 4, 2);
	tm.tm_mday = num(ts + 6, 2);
	tm.tm_hour = num(ts + 9, 2);
	tm.tm_min = num(ts + 11, 2);
	tm.tm_sec = num(ts + 13, 2);
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*t = timegm(&tm);
	dbn = (size_t)(ts - 1 - name);
	if (db != NULL && dblen > 0)
		snprintf(db, dblen, "%.*s", (int)dbn, name);
	return 1;
}
