// SPDX-License-Identifier: GPL-2.0

//! Kernel abstractions that 6.12's `kernel` crate lacks, in the shapes upstream gives them.
//!
//! Each module knows nothing of the pool, and its first line names what supersedes it upstream,
//! so it can be deleted when pcpool moves to that kernel. Their C (macros and static inlines)
//! is in `rust/helpers/`, declared to Rust in [`sys`]. Documentation/layout.rst maps the layers.

// Some of the layer is there for the KUnit suites only; a kernel without KUnit leaves it unused.
#![cfg_attr(not(CONFIG_KUNIT), allow(dead_code))]

pub(crate) mod cpu;
pub(crate) mod cpuhp;
pub(crate) mod debugfs;
pub(crate) mod irq;
pub(crate) mod kthread;
#[cfg(CONFIG_KUNIT)]
pub(crate) mod kunit;
pub(crate) mod memory_notifier;
pub(crate) mod module;
pub(crate) mod node;
pub(crate) mod percpu;
pub(crate) mod ratelimit;
pub(crate) mod rcu;
pub(crate) mod shrinker;
pub(crate) mod smp;
pub(crate) mod stop_machine;
pub(crate) mod sys;
pub(crate) mod trace;
pub(crate) mod workqueue;
