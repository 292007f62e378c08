/* test_dbmigrate.c - dbmigrate's pure parts: the statement splitter,
 * SHA-256, file names and line-ending normalisation. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../dbmigrate/dbmigrate.h"
#include "unit.h"

/* Splits sql and checks the statements against want[] ("LINE:TEXT"). */
static void
expect_split(const char *sql, const char *const *want, size_t n)
{
	struct sql_script s;
	char err[256], got[4096];
	size_t i;

	ck_assert_msg(sqlsplit(sql, strlen(sql), &s, err, sizeof(err)) == 0,
	    "split failed: %s", err);
	ck_assert_msg(s.n == n, "%zu statements, want %zu", s.n, n);
	for (i = 0; i < n; i++) {
		snprintf(got, sizeof(got), "%u:%.*s", s.stmts[i].line,
		    (int)s.stmts[i].len, s.stmts[i].text);
		ck_assert_str_eq(got, want[i]);
	}
	sqlsplit_free(&s);
}

static void
expect_split_error(const char *sql, const char *want)
{
	struct sql_script s;
	char err[256];

	ck_assert_int_eq(sqlsplit(sql, strlen(sql), &s, err, sizeof(err)),
	    -1);
	ck_assert_msg(strstr(err, want) != NULL, "error \"%s\", want \"%s\"",
	    err, want);
	ck_assert_ptr_null(s.stmts);
}

START_TEST(test_split_basic)
{
	static const char *const w[] = { "1:SELECT 1", "1:SELECT 2",
		"2:SELECT 3" };

	expect_split("SELECT 1; SELECT 2;\nSELECT 3", w, 3);
}
END_TEST

START_TEST(test_split_empty)
{
	expect_split("", NULL, 0);
	expect_split(" \n\t;;\n-- only a comment\n# another\n/* c */ ;",
	    NULL, 0);
}
END_TEST

START_TEST(test_split_quotes)
{
	static const char *const w[] = {
		"1:INSERT INTO t VALUES ('a;b', \"c;d\", 'it''s;', 'x\\';y')",
		"2:SELECT `we;ird``;col` FROM t",
		"3:SELECT 'multi\nline;'",
		"5:SELECT 'a\\\\'",
	};

	expect_split("INSERT INTO t VALUES ('a;b', \"c;d\", 'it''s;', "
	    "'x\\';y');\nSELECT `we;ird``;col` FROM t;\nSELECT 'multi\n"
	    "line;';\nSELECT 'a\\\\';", w, 4);
}
END_TEST

START_TEST(test_split_comments)
{
	static const char *const w[] = {
		"3:SELECT 1 -- x;y\n+ 1",
		"5:SELECT 2 # z;",
		"7:SELECT 3 /* ; */ + 4",
		"8:SELECT 5--1",
	};

	/* Trailing blanks are trimmed; a trailing comment stays. */
	expect_split("-- lead;\n/* block\n;*/ SELECT 1 -- x;y\n+ 1;\n"
	    "SELECT 2 # z;\n;\nSELECT 3 /* ; */ + 4; -- tail\n"
	    "SELECT 5--1;", w, 4);
}
END_TEST

START_TEST(test_split_conditional)
{
	static const char *const w[] = {
		"1:/*!40101 SET @x = 1 */",
		"2:/*M!100100 SET @y = 2 */",
		"3:CREATE TABLE t (a INT) /*!50100 ENGINE=InnoDB */",
	};

	expect_split("/*!40101 SET @x = 1 */;\n/*M!100100 SET @y = 2 */;\n"
	    "CREATE TABLE t (a INT) /*!50100 ENGINE=InnoDB */;", w, 3);
}
END_TEST

START_TEST(test_split_delimiter)
{
	static const char *const w[] = {
		"1:SELECT 0",
		"3:CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND",
		"9:CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n"
		    "  SET NEW.a = 1;\nEND",
		"14:CALL p()",
		"15:SELECT 3",
	};

	expect_split("SELECT 0;\nDELIMITER //\nCREATE PROCEDURE p()\nBEGIN\n"
	    "  SELECT 1;\n  SELECT 2;\nEND //\ndelimiter $$\n"
	    "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n"
	    "  SET NEW.a = 1;\nEND$$\nDELIMITER ;\nCALL p();\nSELECT 3",
	    w, 5);
}
END_TEST

START_TEST(test_split_delimiter_errors)
{
	expect_split_error("DELIMITER \nSELECT 1", "line 1: DELIMITER");
	expect_split_error("SELECT 1;\nDELIMITER \\\\\n", "line 2:");
	expect_split_error("DELIMITER 12345678901234567\n", "longer");
}
END_TEST

START_TEST(test_split_unterminated)
{
	expect_split_error("SELECT 1;\nSELECT 'abc;\n",
	    "line 2: unterminated '");
	expect_split_error("SELECT \"x", "unterminated \"");
	expect_split_error("SELECT `x", "unterminated ` identifier");
	expect_split_error("SELECT 1;\n\n/* no end", "line 3: unterminated /*");
	expect_split_error("SELECT 1 /*! no end", "unterminated /*");
	expect_split_error("SELECT 'a\\", "unterminated '");
}
END_TEST

START_TEST(test_split_crlf_lines)
{
	static const char *const w[] = { "2:SELECT 1", "4:SELECT\r\n2" };

	expect_split("\r\nSELECT 1;\r\n\r\nSELECT\r\n2;\r\n", w, 2);
}
END_TEST

START_TEST(test_split_many)
{
	char *sql = malloc(10 * 1000 + 1);
	struct sql_script s;
	char err[64];
	size_t i;

	for (i = 0; i < 1000; i++)
		memcpy(sql + 10 * i, "SELECT 1;\n", 10);
	sql[10000] = '\0';
	ck_assert_int_eq(sqlsplit(sql, 10000, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.n, 1000);
	ck_assert_uint_eq(s.stmts[999].line, 1000);
	sqlsplit_free(&s);
	free(sql);
}
END_TEST

static void
expect_sha(const char *in, size_t len, const char *want)
{
	char hex[65];

	sha256_hex(in, len, hex);
	ck_assert_str_eq(hex, want);
}

START_TEST(test_sha256_vectors)
{
	static const char a448[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char *mil;

	expect_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
	    "a495991b7852b855");
	expect_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a"
	    "9cb410ff61f20015ad");
	expect_sha(a448, strlen(a448), "248d6a61d20638b8e5c026930c3e6039a33c"
	    "e45964ff2167f6ecedd419db06c1");
	mil = malloc(1000000);
	memset(mil, 'a', 1000000);
	expect_sha(mil, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a4"
	    "97200e046d39ccc7112cd0");
	free(mil);
}
END_TEST

START_TEST(test_sha256_incremental)
{
	static const char msg[] = "The quick brown fox jumps over the lazy "
	    "dog, several times, to fill more than one block of sixty-four "
	    "bytes at least.";
	char whole[65], hex[65];
	unsigned char md[32];
	struct sha256 s;
	size_t split, i;

	sha256_hex(msg, sizeof(msg) - 1, whole);
	for (split = 0; split < sizeof(msg); split++) {
		sha256_init(&s);
		sha256_update(&s, msg, split);
		sha256_update(&s, msg + split, sizeof(msg) - 1 - split);
		sha256_final(&s, md);
		for (i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		ck_assert_str_eq(hex, whole);
	}
	/* Lengths around the padding boundary, against a one-shot hash. */
	expect_sha("The quick brown fox jumps over the lazy dog", 43,
	    "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
}
END_TEST

START_TEST(test_normalize)
{
	char a[] = "a\r\nb\rc\r\n\r\n\r";
	char b[] = "x\r\ny\n";
	size_t n;

	n = mdir_normalize(a, strlen(a));
	ck_assert_uint_eq(n, 8);
	ck_assert_int_eq(memcmp(a, "a\nb\rc\n\n\r", 8), 0);
	n = mdir_normalize(b, strlen(b));
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(memcmp(b, "x\ny\n", 4), 0);
}
END_TEST

static int
parse(const char *f, uint64_t *v, char *name, enum mdir_kind *k)
{
	const char *np;
	size_t nl;
	char err[256];
	int r = mdir_parse_name(f, v, &np, &nl, k, err, sizeof(err));

	if (r == 1)
		snprintf(name, 256, "%.*s", (int)nl, np);
	return r;
}

START_TEST(test_names)
{
	char name[256];
	uint64_t v;
	enum mdir_kind k;

	ck_assert_int_eq(parse("20240101120000_create_users.up.sql", &v, name,
	    &k), 1);
	ck_assert_uint_eq(v, 20240101120000ULL);
	ck_assert_str_eq(name, "create_users");
	ck_assert_int_eq(k, MDIR_UP);
	ck_assert_int_eq(parse("7_x.y.down.sql", &v, name, &k), 1);
	ck_assert_uint_eq(v, 7);
	ck_assert_str_eq(name, "x.y");
	ck_assert_int_eq(k, MDIR_DOWN);
	ck_assert_int_eq(parse("README", &v, name, &k), 0);
	ck_assert_int_eq(parse("1_a.up.sql~", &v, name, &k), 0);
	ck_assert_int_eq(parse("1_a.sql", &v, name, &k), -1);
	ck_assert_int_eq(parse("a_1.up.sql", &v, name, &k), -1);
	ck_assert_int_eq(parse("1.up.sql", &v, name, &k), -1);
	ck_assert_int_eq(parse("1_.up.sql", &v, name, &k), -1);
	ck_assert_int_eq(parse("0_zero.up.sql", &v, name, &k), -1);
	ck_assert_int_eq(parse("99999999999999999999_big.up.sql", &v, name,
	    &k), -1);
	ck_assert_int_eq(parse("18446744073709551615_max.up.sql", &v, name,
	    &k), 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dbmigrate");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, test_split_basic);
	tcase_add_test(tc, test_split_empty);
	tcase_add_test(tc, test_split_quotes);
	tcase_add_test(tc, test_split_comments);
	tcase_add_test(tc, test_split_conditional);
	tcase_add_test(tc, test_split_delimiter);
	tcase_add_test(tc, test_split_delimiter_errors);
	tcase_add_test(tc, test_split_unterminated);
	tcase_add_test(tc, test_split_crlf_lines);
	tcase_add_test(tc, test_split_many);
	tcase_add_test(tc, test_sha256_vectors);
	tcase_add_test(tc, test_sha256_incremental);
	tcase_add_test(tc, test_normalize);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
