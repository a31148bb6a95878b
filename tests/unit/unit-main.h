/* unit-main.h - the main() every Check unit test program shares: run the
 * program's one suite, exit 0 when every test in it passed. */
#ifndef VI_TEST_UNIT_MAIN_H
#define VI_TEST_UNIT_MAIN_H

#include <check.h>
#include <stdlib.h>

/* Run suite s: the exit status of a unit test program. */
static inline int vi_unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#define VI_UNIT_MAIN(suite_fn)                                  \
	int main(void)                                          \
	{                                                       \
		return vi_unit_run(suite_fn());                 \
	}

#endif
