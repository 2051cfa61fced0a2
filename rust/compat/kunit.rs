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

use super::sys;
use core::fmt;
use kernel::{bindings, ffi::c_char, prelude::*, str::CStr};

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
    // SAFETY: `file` is NUL-terminated, and `%pA` in the shim's format takes the
    // `fmt::Arguments` we pass, alive for the call.
    unsafe {
        sys::pcpool_kunit_fail(
            file.as_char_ptr(),
            line as i32,
            (&args as *const fmt::Arguments<'_>).cast(),
        )
    };
}

/// Writes a diagnostic line (`# test: ...`) into the running test's KTAP output
/// (`kunit_info()`), or to the log outside a test.
pub(crate) fn info(args: fmt::Arguments<'_>) {
    // SAFETY: `%pA` in the shim's format takes the `fmt::Arguments` we pass, alive for the call.
    unsafe { sys::pcpool_kunit_info((&args as *const fmt::Arguments<'_>).cast()) };
}

/// Marks the running test skipped, with a reason; the test should return.
pub(crate) fn skip(reason: &CStr) {
    // SAFETY: `reason` is NUL-terminated; outside a test this does nothing.
    unsafe { sys::pcpool_kunit_skip(reason.as_char_ptr()) };
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
