/* test_backup.c - foobar-backup's pure parts: the dump scanner, the
 * manifest frame, backup names and the retention policy over a simulated
 * month. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../backup/backup.h"
#include "unit.h"

/* As mariadb-dump 10.11 writes it (abridged). */
static const char dump[] =
    "/*M!999999\\- enable the sandbox mode */ \n"
    "-- MariaDB dump 10.19\n"
    "DROP TABLE IF EXISTS `m`;\n"
    "CREATE TABLE `m` (\n"
    "  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
    "  `name` varchar(64) DEFAULT 'INSERT INTO `x` VALUES (1);',\n"
    "  PRIMARY KEY (`id`)\n"
    ") ENGINE=InnoDB;\n"
    "LOCK TABLES `m` WRITE;\n"
    "INSERT INTO `m` VALUES\n"
    "(1,'a\\'b\\\\c\\n(),x',0x00FF,NULL),\n"
    "(2,'\xc3\xa9',NULL,'x);y'),\n"
    "(3,'it''s',(NULL),'');\n"
    "INSERT INTO `m` VALUES (4,'d',NULL,NULL);\n"
    "UNLOCK TABLES;\n"
    "CREATE TABLE `we``ird` (`a` int);\n"
    "CREATE TABLE `empty` (`a` int);\n"
    "INSERT INTO `we``ird` VALUES (1),(2);\n"
    "-- Dump completed\n";

static void
scan_all(const char *text, size_t len, size_t cut, struct scan *s)
{
	scan_init(s);
	ck_assert_int_eq(scan_feed(s, text, cut), 0);
	ck_assert_int_eq(scan_feed(s, text + cut, len - cut), 0);
	ck_assert_msg(scan_finish(s) == 0, "scan: %s", s->err);
}

START_TEST(test_scan_dump)
{
	struct scan s;

	scan_all(dump, sizeof(dump) - 1, 0, &s);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_str_eq(s.t[0].name, "m");
	ck_assert_uint_eq(s.t[0].rows, 4);
	ck_assert_str_eq(s.t[1].name, "we`ird");
	ck_assert_uint_eq(s.t[1].rows, 2);
	ck_assert_str_eq(s.t[2].name, "empty");
	ck_assert_uint_eq(s.t[2].rows, 0);
	ck_assert_uint_eq(strlen(s.t[2].hex), 64);
	scan_free(&s);
}
END_TEST

/* Any split of the stream gives the same counts and hashes. */
START_TEST(test_scan_split)
{
	struct scan a, b;
	size_t cut, i;

	scan_all(dump, sizeof(dump) - 1, 0, &a);
	for (cut = 1; cut < sizeof(dump) - 1; cut++) {
		scan_all(dump, sizeof(dump) - 1, cut, &b);
		ck_assert_uint_eq(a.n, b.n);
		for (i = 0; i < a.n; i++) {
			ck_assert_uint_eq(a.t[i].rows, b.t[i].rows);
			ck_assert_str_eq(a.t[i].hex, b.t[i].hex);
		}
		scan_free(&b);
	}
	scan_free(&a);
}
END_TEST

/* One changed byte in a row changes that table's hash only. */
START_TEST(test_scan_change)
{
	char *copy = strdup(dump);
	struct scan a, b;

	strstr(copy, "'d'")[1] = 'e';
	scan_all(dump, strlen(dump), 0, &a);
	scan_all(copy, strlen(copy), 0, &b);
	ck_assert_str_ne(a.t[0].hex, b.t[0].hex);
	ck_assert_str_eq(a.t[1].hex, b.t[1].hex);
	scan_free(&a);
	scan_free(&b);
	free(copy);
}
END_TEST

START_TEST(test_scan_errors)
{
	static const char *const bad[] = {
		"INSERT INTO `t` VALUES (1,'a",		/* ends in a row */
		"INSERT INTO `t` VALUES (1) (2);\n",	/* no comma */
		"INSERT INTO `t` SET a = 1;\n",		/* not VALUES */
		"INSERT INTO `t\n",			/* broken name */
	};
	struct scan s;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		scan_init(&s);
		rc = scan_feed(&s, bad[i], strlen(bad[i]));
		if (rc == 0)
			rc = scan_finish(&s);
		ck_assert_msg(rc == -1, "accepted: %s", bad[i]);
		ck_assert(s.err[0] != '\0');
		scan_free(&s);
	}
}
END_TEST

static void
sample_manifest(struct manifest *m, struct scan *s)
{
	memset(m, 0, sizeof(*m));
	m->format = 1;
	strcpy(m->foobar_version, "0.1.0");
	strcpy(m->created_at, "2026-12-05T07:45:19Z");
	strcpy(m->database, "foobar");
	strcpy(m->server_version, "10.11.19-MariaDB");
	m->schema_version = 20261205074519ULL;
	m->data_size = 12345;
	memset(m->data_sha256, 'a', 64);
	scan_all(dump, sizeof(dump) - 1, 0, s);
	ck_assert_int_eq(manifest_set_tables(m, s), 0);
}

START_TEST(test_manifest_roundtrip)
{
	struct manifest m, back;
	struct scan s;
	unsigned char *frame, *file;
	uint64_t off;
	size_t len, flen;
	char err[256];

	sample_manifest(&m, &s);
	ck_assert_int_eq(manifest_encode(&m, &frame, &len), 0);
	/* As at the end of a file of 100 bytes of data. */
	flen = 100 + len;
	file = calloc(1, flen);
	memcpy(file + 100, frame, len);
	ck_assert_int_eq(manifest_locate(file + flen - MANIFEST_TAIL, flen,
	    &off, &len, err, sizeof(err)), 0);
	ck_assert_uint_eq(off, 100);
	ck_assert_int_eq(manifest_decode(file + off, len, &back, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(back.database, "foobar");
	ck_assert_uint_eq(back.schema_version, 20261205074519ULL);
	ck_assert_uint_eq(back.data_size, 12345);
	ck_assert_int_eq(manifest_compare(&m, &back, err, sizeof(err)), 0);
	back.tables[0].rows++;
	ck_assert_int_eq(manifest_compare(&m, &back, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "table m") != NULL, "%s", err);
	manifest_free(&back);
	/* Truncated: the trailer is gone. */
	ck_assert_int_eq(manifest_locate(file + flen - 1 - MANIFEST_TAIL,
	    flen - 1, &off, &len, err, sizeof(err)), -1);
	/* A flipped byte in the JSON. */
	file[100 + 20] ^= 0x20;
	ck_assert_int_eq(manifest_decode(file + 100, flen - 100, &back, err,
	    sizeof(err)), -1);
	free(file);
	free(frame);
	manifest_free(&m);
	scan_free(&s);
}
END_TEST

START_TEST(test_names)
{
	char db[80];
	time_t t;

	ck_assert_int_eq(prune_parse_name("foobar-20261205T074519Z.sql.zst",
	    &t, db, sizeof(db)), 1);
	ck_assert_str_eq(db, "foobar");
	ck_assert_int_eq((long long)t, 1796456719LL);
	ck_assert_int_eq(prune_parse_name(".foobar-20261205T074519Z.sql.zst."
	    "tmp.12", &t, NULL, 0), 0);
	ck_assert_int_eq(prune_parse_name(".foobar-20261205T074519Z.sql.zst",
	    &t, NULL, 0), 0);
	ck_assert_int_eq(prune_parse_name("foobar-20261305T074519Z.sql.zst",
	    &t, NULL, 0), 0);
	ck_assert_int_eq(prune_parse_name("-20261205T074519Z.sql.zst", &t,
	    NULL, 0), 0);
	ck_assert_int_eq(prune_parse_name("foobar-20261205T074519Z.sql.gz",
	    &t, NULL, 0), 0);
}
END_TEST

static time_t
utc(int y, int mon, int d, int h, int min)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = min;
	return timegm(&tm);
}

/* A month of nightly backups (none on the 27th, two on the 30th):
 * keep_daily 7 and keep_weekly 4 keep the 30th's newest, the 29th, 28th,
 * 26th, 25th, 24th, 23rd (7 days with backups) and the newest of the ISO
 * weeks 47 and 46 (the 22nd, the 15th); week 48's and 49's newest are
 * kept already. */
static const int want_days[] = { 30, 29, 28, 26, 25, 24, 23, 22, 15 };

static int
wanted(time_t t)
{
	size_t i;

	if (t == utc(2026, 11, 30, 2, 30))
		return 0;	/* the older of the 30th's two */
	for (i = 0; i < sizeof(want_days) / sizeof(want_days[0]); i++)
		if (t >= utc(2026, 11, want_days[i], 0, 0) &&
		    t < utc(2026, 11, want_days[i] + 1, 0, 0))
			return 1;
	return 0;
}

static size_t
month(time_t *t)
{
	size_t n = 0;
	int d;

	for (d = 1; d <= 30; d++)
		if (d != 27)
			t[n++] = utc(2026, 11, d, 2, 30);
	t[n++] = utc(2026, 11, 30, 14, 0);
	return n;
}

START_TEST(test_prune_month)
{
	time_t t[40];
	int keep[40];
	size_t n = month(t), i, kept = 0;

	prune_select(t, n, 7, 4, keep);
	for (i = 0; i < n; i++) {
		ck_assert_msg(!!keep[i] == wanted(t[i]), "backup %zu (day "
		    "%ld): keep %d", i, (long)((t[i] - t[0]) / 86400 + 1),
		    keep[i]);
		kept += !!keep[i];
	}
	ck_assert_uint_eq(kept, 9);
	ck_assert(keep[n - 1] & PRUNE_NEWEST);
	ck_assert(keep[n - 1] & PRUNE_DAILY);
	ck_assert(keep[n - 1] & PRUNE_WEEKLY);
}
END_TEST

/* The timer's way: one backup a night, prune after each; the survivors
 * at the end are the same as pruning once, and never more than
 * daily + weekly. */
START_TEST(test_prune_nightly)
{
	time_t all[40], have[40];
	int keep[40];
	size_t total = month(all), nh = 0, i, j, m;

	for (i = 0; i < total; i++) {
		have[nh++] = all[i];
		prune_select(have, nh, 7, 4, keep);
		for (j = 0, m = 0; j < nh; j++)
			if (keep[j])
				have[m++] = have[j];
		nh = m;
		ck_assert_uint_le(nh, 11);
	}
	ck_assert_uint_eq(nh, 9);
	for (i = 0; i < nh; i++)
		ck_assert(wanted(have[i]));
}
END_TEST

START_TEST(test_prune_edges)
{
	time_t t[3] = { utc(2026, 1, 1, 0, 0), utc(2026, 1, 3, 0, 0),
		utc(2026, 1, 2, 0, 0) };
	int keep[3];

	prune_select(t, 0, 7, 4, keep);
	prune_select(t, 3, 0, 0, keep);		/* only the newest */
	ck_assert_int_eq(keep[0], 0);
	ck_assert_int_eq(keep[1], PRUNE_NEWEST);
	ck_assert_int_eq(keep[2], 0);
	prune_select(t, 3, 1, 0, keep);
	ck_assert_int_eq(keep[1], PRUNE_NEWEST | PRUNE_DAILY);
	ck_assert_int_eq(keep[0] | keep[2], 0);
	/* 2026-01-01 (Thu) is in ISO week 2026-W01; 2025-12-29 (Mon) too. */
	t[0] = utc(2025, 12, 29, 0, 0);
	t[1] = utc(2026, 1, 1, 0, 0);
	t[2] = utc(2025, 12, 28, 0, 0);	/* Sunday: 2025-W52 */
	prune_select(t, 3, 0, 2, keep);
	ck_assert_int_eq(keep[0], 0);
	ck_assert(keep[1] & PRUNE_WEEKLY);
	ck_assert(keep[2] & PRUNE_WEEKLY);
}
END_TEST

static Suite *
backup_suite(void)
{
	Suite *s = suite_create("backup");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_scan_dump);
	tcase_add_test(tc, test_scan_split);
	tcase_add_test(tc, test_scan_change);
	tcase_add_test(tc, test_scan_errors);
	tcase_add_test(tc, test_manifest_roundtrip);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_prune_month);
	tcase_add_test(tc, test_prune_nightly);
	tcase_add_test(tc, test_prune_edges);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(backup_suite());
}
