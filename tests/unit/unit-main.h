/* unit-main.h - the main() every Check unit test program shares: run the
 * program's one suite, exit 0 when every test in it passed. */
#ifndef VI_TEST_UNIT_MAIN_H
#define VI_TEST_UNIT_MAIN_H

#include <check.h>
#include <stdlib.h>

#define VI_UNIT_MAIN(suite_fn)                                  \
	int main(void)                                          \
	{                                                       \
		SRunner *sr_ = srunner_create(suite_fn());      \
		int failed_;                                    \
		srunner_run_all(sr_, CK_NORMAL);                \
		failed_ = srunner_ntests_failed(sr_);           \
		srunner_free(sr_);                              \
		return failed_ ? EXIT_FAILURE : EXIT_SUCCESS;   \
	}

#endif
