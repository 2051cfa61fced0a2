// SPDX-License-Identifier: GPL-2.0

//! Superseded by `#[kunit_tests]` (6.15).
//!
//! KUnit suites written in Rust, for 6.12, which has no `#[kunit_tests]` (6.15).
//!
//! [`kunit_suite!`] builds the `kunit_case` table and the `kunit_suite`, and puts a pointer to
//! the suite in the module's `.kunit_test_suites` section, where the module loader finds it and
//! KUnit runs it once the module is live, as later kernels' `kunit_unsafe_test_suite!` does.
//! Tests are plain `fn()`s that check with [`kunit_expect!`] and [`kunit_expect_eq!`]; a failed
//! check marks the running test failed (`KUNIT_FAIL`) and the test goes on.

use core::fmt;
use kernel::{
    bindings, c_str,
    ffi::{c_char, c_void},
    prelude::*,
    str::CStr,
};

/// A `kunit_case` running `run` under the name `name`, marked slow if `slow`.
#[doc(hidden)]
pub(crate) const fn case(
    name: &'static CStr,
    run: unsafe extern "C" fn(*mut bindings::kunit),
    slow: bool,
) -> bindings::kunit_case {
    // SAFETY: all-zero is a valid `kunit_case` (null pointers, `None`, status SUCCESS, speed
    // UNSET); the fields KUnit needs are set below.
    let mut case: bindings::kunit_case = unsafe { core::mem::zeroed() };
    case.run_case = Some(run);
    case.name = name.as_char_ptr();
    if slow {
        case.attr.speed = bindings::kunit_speed_KUNIT_SPEED_SLOW;
    }
    case
}

/// The all-zero `kunit_case` that ends a table.
#[doc(hidden)]
pub(crate) const fn case_end() -> bindings::kunit_case {
    // SAFETY: all-zero is the table terminator KUnit looks for (`run_case == NULL`).
    unsafe { core::mem::zeroed() }
}

/// A `kunit_suite` named `name` over the table `cases`; `slow` gives it KUnit's `speed: slow`
/// attribute, which `kunit.filter=speed>slow` leaves out.
#[doc(hidden)]
pub(crate) const fn suite(
    name: &str,
    slow: bool,
    cases: *mut bindings::kunit_case,
) -> bindings::kunit_suite {
    // SAFETY: all-zero is a valid `kunit_suite` (no init/exit hooks, no attributes).
    let mut suite: bindings::kunit_suite = unsafe { core::mem::zeroed() };
    let bytes = name.as_bytes();
    assert!(bytes.len() < suite.name.len(), "suite name too long");
    let mut i = 0;
    while i < bytes.len() {
        suite.name[i] = bytes[i] as c_char;
        i += 1;
    }
    suite.test_cases = cases;
    if slow {
        suite.attr.speed = bindings::kunit_speed_KUNIT_SPEED_SLOW;
    }
    suite
}

/// Marks the running test failed, with `file:line` and a message (`KUNIT_FAIL`).
#[doc(hidden)]
pub(crate) fn fail(file: &CStr, line: u32, args: fmt::Arguments<'_>) {
    let test = current_test();
    if test.is_null() {
        pr_err!("{}:{}: {} (not in a KUnit test)\n", file, line, args);
        return;
    }
    let loc = bindings::kunit_loc {
        file: file.as_char_ptr(),
        line: line as i32,
    };
    let assert = bindings::kunit_fail_assert {
        assert: bindings::kunit_assert {},
    };
    // SAFETY: `test` is the running test; `loc`, `assert`, the format and the `fmt::Arguments`
    // that its `%pA` takes live for the call. A failed expectation returns here.
    unsafe {
        bindings::__kunit_do_failed_assertion(
            test,
            &loc,
            bindings::kunit_assert_type_KUNIT_EXPECTATION,
            &assert.assert,
            Some(bindings::kunit_fail_assert_format),
            c_str!("%pA").as_char_ptr(),
            (&args as *const fmt::Arguments<'_>).cast::<c_void>(),
        )
    };
}

/// Writes a diagnostic line (`# test: ...`) into the running test's KTAP output
/// (`kunit_info()`), or to the log outside a test.
pub(crate) fn info(args: fmt::Arguments<'_>) {
    let test = current_test();
    if test.is_null() {
        pr_info!("{}\n", args);
        return;
    }
    let args = (&args as *const fmt::Arguments<'_>).cast::<c_void>();
    // `kunit_info(test, "%pA", args)`: the kernel log, then the test's own log.
    // SAFETY: `test` is the running test; the formats' `%s` takes its name and `%pA` the
    // `fmt::Arguments`, alive for the calls.
    unsafe {
        bindings::_printk(
            c_str!("\x016    # %s: %pA").as_char_ptr(),
            (*test).name,
            args,
        );
        bindings::kunit_log_append(
            (*test).log,
            c_str!("    # %s: %pA").as_char_ptr(),
            (*test).name,
            args,
        );
    }
}

/// Marks the running test skipped, with a reason (`kunit_mark_skipped()`); the test should
/// return. Outside a test it does nothing.
pub(crate) fn skip(reason: &CStr) {
    let test = current_test();
    if test.is_null() {
        return;
    }
    // SAFETY: `test` is the running test, whose status only its own thread writes.
    let test = unsafe { &mut *test };
    test.status = bindings::kunit_status_KUNIT_SKIPPED;
    let n = reason.len().min(test.status_comment.len() - 1);
    for (to, &from) in test.status_comment.iter_mut().zip(&reason.as_bytes()[..n]) {
        *to = from as c_char;
    }
    test.status_comment[n] = 0;
}

/// The running KUnit test of this thread, or null.
fn current_test() -> *mut bindings::kunit {
    // SAFETY: no requirement.
    unsafe { bindings::kunit_get_current_test() }
}

/// Writes `data` to the file at `path` from the kernel (tests drive real sysfs files with it).
pub(crate) fn write_file(path: &CStr, data: &str) -> Result {
    // SAFETY: `path` is NUL-terminated.
    let file = kernel::error::from_err_ptr(unsafe {
        bindings::filp_open(path.as_char_ptr(), bindings::O_WRONLY as i32, 0)
    })?;
    let mut pos = 0;
    // SAFETY: `file` is open for writing; `data` is valid for `data.len()` bytes.
    let written =
        unsafe { bindings::kernel_write(file, data.as_ptr().cast(), data.len(), &mut pos) };
    // SAFETY: opened above, closed once.
    unsafe { bindings::filp_close(file, core::ptr::null_mut()) };
    match usize::try_from(written) {
        Ok(n) if n == data.len() => Ok(()),
        Ok(_) => Err(EIO),
        Err(_) => Err(Error::from_errno(written as i32)),
    }
}

/// Checks a condition in a KUnit test; on failure, reports it and goes on.
macro_rules! kunit_expect {
    ($cond:expr $(,)?) => {
        if !$cond {
            $crate::compat::kunit::fail(
                kernel::c_str!(file!()),
                line!(),
                format_args!("expected {}", stringify!($cond)),
            );
        }
    };
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            $crate::compat::kunit::fail(
                kernel::c_str!(file!()),
                line!(),
                format_args!("expected {}: {}", stringify!($cond), format_args!($($arg)+)),
            );
        }
    };
}
pub(crate) use kunit_expect;

/// Checks that two values are equal in a KUnit test; on failure, reports both and goes on.
macro_rules! kunit_expect_eq {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (left, right) => {
                if !(*left == *right) {
                    $crate::compat::kunit::fail(
                        kernel::c_str!(file!()),
                        line!(),
                        format_args!(
                            "expected {} == {}, but {:?} != {:?}",
                            stringify!($left),
                            stringify!($right),
                            left,
                            right
                        ),
                    );
                }
            }
        }
    };
}
pub(crate) use kunit_expect_eq;

/// Declares a KUnit suite named `$suite` running the `fn()` tests listed, in order;
/// `kunit_suite!(name, slow, [...])` marks it slow (KUnit's `speed` attribute).
///
/// Expands to a module `$suite` holding the `extern "C"` case wrappers, the case table, the
/// suite and its `.kunit_test_suites` entry, all `static`: KUnit keeps pointers into them.
macro_rules! kunit_suite {
    ($suite:ident, [$($test:ident),+ $(,)?]) => {
        $crate::compat::kunit::kunit_suite!(@suite $suite, false, [$($test),+]);
    };
    ($suite:ident, slow, [$($test:ident),+ $(,)?]) => {
        $crate::compat::kunit::kunit_suite!(@suite $suite, true, [$($test),+]);
    };
    (@suite $suite:ident, $slow:expr, [$($test:ident),+]) => {
        #[allow(non_snake_case, unused_unsafe)]
        mod $suite {
            use kernel::bindings;

            $(
                /// # Safety
                ///
                /// Called by KUnit only, in the test's kthread.
                unsafe extern "C" fn $test(_test: *mut bindings::kunit) {
                    super::$test()
                }
            )+

            const NR_CASES: usize = [$(stringify!($test)),+].len();

            static mut CASES: [bindings::kunit_case; NR_CASES + 1] = [
                $($crate::compat::kunit::case(kernel::c_str!(stringify!($test)), $test, $slow),)+
                $crate::compat::kunit::case_end(),
            ];

            static mut SUITE: bindings::kunit_suite = $crate::compat::kunit::suite(
                stringify!($suite),
                $slow,
                // SAFETY: only the address is taken; only KUnit uses the table, through it.
                unsafe { core::ptr::addr_of_mut!(CASES) }.cast(),
            );

            // The module loader collects this section into `mod->kunit_suites`.
            #[used]
            #[link_section = ".kunit_test_suites"]
            static mut ENTRY: *const bindings::kunit_suite =
                // SAFETY: only the address is taken; only KUnit uses the suite, through it.
                unsafe { core::ptr::addr_of_mut!(SUITE) };
        }
    };
}
pub(crate) use kunit_suite;
