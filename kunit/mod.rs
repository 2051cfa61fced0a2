// SPDX-License-Identifier: GPL-2.0

//! pcpool's KUnit suites. They are built into pcpool.ko when the kernel has CONFIG_KUNIT, and
//! KUnit runs them once the module is live.

mod bench;
mod compat_test;
mod fixture;
mod isolation_test;
mod offline_test;
mod pool_test;
mod race_test;
