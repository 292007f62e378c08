/* unit.h - what the Check unit tests share: running a suite. */
#ifndef FOOBAR_TESTS_UNIT_H
#define FOOBAR_TESTS_UNIT_H

#include <check.h>
#include <stdlib.h>

/* Runs every case of s (CK_NORMAL output) and frees it. Returns
 * EXIT_SUCCESS when no test failed, EXIT_FAILURE otherwise: main's exit
 * status. */
static inline int
unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
