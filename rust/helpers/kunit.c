// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/printk.h>
#include <kunit/test.h>
#include <kunit/test-bug.h>

#if IS_ENABLED(CONFIG_KUNIT)
/* KUnit: report a failed expectation of the current test. */
void pcpool_kunit_fail(const char *file, int line, const void *args)
{
	struct kunit *test = kunit_get_current_test();

	if (!test) {
		pr_err("%s:%d: %pA (not in a KUnit test)\n", file, line, args);
		return;
	}
	/* KUNIT_FAIL(), with the Rust caller's file and line. */
	{
		const struct kunit_loc loc = { .file = file, .line = line };
		const struct kunit_fail_assert assert = {};

		__kunit_do_failed_assertion(test, &loc, KUNIT_EXPECTATION, &assert.assert,
					    kunit_fail_assert_format, "%pA", args);
	}
}

/* kunit_info(): a diagnostic line in the running test's KTAP output. */
void pcpool_kunit_info(const void *args)
{
	struct kunit *test = kunit_get_current_test();

	if (test)
		kunit_info(test, "%pA", args);
	else
		pr_info("%pA\n", args);
}

void pcpool_kunit_skip(const char *reason)
{
	struct kunit *test = kunit_get_current_test();

	if (test)
		kunit_mark_skipped(test, "%s", reason);
}

#endif /* CONFIG_KUNIT */
