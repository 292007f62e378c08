/* test_appd.c - appd's pure parts: the CGI response head parser. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../appd/appd.h"
#include "cgihead.h"
#include "unit.h"

static int
parse(const char *s, struct appd_cgi_head *h, const char **err)
{
	size_t end = cgihead_end(s, strlen(s), 0);

	ck_assert_uint_gt(end, 0);
	return appd_cgi_head_parse(s, end, h, err);
}

START_TEST(head_status)
{
	struct appd_cgi_head h;
	const char *err = NULL;

	ck_assert_int_eq(parse("Status: 404 Not Found\r\nContent-Type: text/"
	    "plain\r\nX-A:  1\r\n\r\n", &h, &err), 0);
	ck_assert_int_eq(h.status, 404);
	ck_assert_int_eq(h.has_type, 1);
	ck_assert_uint_eq(h.headers_len, strlen("Content-Type: text/plain\r\n"
	    "X-A: 1\r\n"));
	ck_assert(memcmp(h.headers, "Content-Type: text/plain\r\nX-A: 1\r\n",
	    h.headers_len) == 0);
	free(h.headers);
	ck_assert_int_eq(parse("Content-type: text/html\n\n", &h, &err), 0);
	ck_assert_int_eq(h.status, 200);
	free(h.headers);
	ck_assert_int_eq(parse("Location: /x\n\n", &h, &err), 0);
	ck_assert_int_eq(h.status, 302);
	ck_assert_int_eq(h.has_location, 1);
	free(h.headers);
	ck_assert_int_eq(parse("Status: 201\nLocation: /x\n\n", &h, &err), 0);
	ck_assert_int_eq(h.status, 201);
	free(h.headers);
}
END_TEST

START_TEST(head_errors)
{
	static const char *bad[] = {
		"no colon here\n\n",
		": empty name\nContent-Type: a\n\n",
		"Status: abc\nContent-Type: a\n\n",
		"Status: 2000\nContent-Type: a\n\n",
		"Status: 99\nContent-Type: a\n\n",
		"Bad Name: x\nContent-Type: a\n\n",
		"X-Only: 1\n\n",
		"X-Cr: a\rb\nContent-Type: a\n\n",
		NULL
	};
	struct appd_cgi_head h;
	const char *err;
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		err = NULL;
		ck_assert_msg(parse(bad[i], &h, &err) == -1, "%s", bad[i]);
		ck_assert_ptr_nonnull(err);
		ck_assert_ptr_null(h.headers);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("appd");
	TCase *tc = tcase_create("appd");

	tcase_add_test(tc, head_status);
	tcase_add_test(tc, head_errors);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
