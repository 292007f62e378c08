/* test_realip.c - webd/realip.c: trusted proxies and X-Forwarded-For. */
#include <string.h>

#include "../../webd/webd.h"
#include "unit.h"

START_TEST(last_address)
{
	char out[64];

	ck_assert_int_eq(realip_last("192.0.2.7", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "192.0.2.7");
	/* the client's own header first, the proxy's element last */
	ck_assert_int_eq(realip_last("1.2.3.4, 10.0.0.1 , 192.0.2.9 ", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "192.0.2.9");
	ck_assert_int_eq(realip_last("2001:DB8::1", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "2001:db8::1");
	ck_assert_int_eq(realip_last("1.2.3.4, evil", out, sizeof(out)), -1);
	ck_assert_int_eq(realip_last("1.2.3.4,", out, sizeof(out)), -1);
	ck_assert_int_eq(realip_last("1.2.3.4 5.6.7.8", out, sizeof(out)),
	    -1);
	ck_assert_int_eq(realip_last("", out, sizeof(out)), -1);
}
END_TEST

START_TEST(trusted_peers)
{
	char *v[] = { "10.20.0.2", "2001:db8::2" };
	struct conf_list l = { v, 2 };

	ck_assert_int_eq(realip_trusted(&l, "10.20.0.2"), 1);
	ck_assert_int_eq(realip_trusted(&l, "::ffff:10.20.0.2"), 1);
	ck_assert_int_eq(realip_trusted(&l, "2001:db8::2"), 1);
	ck_assert_int_eq(realip_trusted(&l, "10.20.0.22"), 0);
	ck_assert_int_eq(realip_trusted(&l, "unix"), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("realip");
	TCase *tc = tcase_create("realip");

	tcase_add_test(tc, last_address);
	tcase_add_test(tc, trusted_peers);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
