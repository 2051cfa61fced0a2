// SPDX-License-Identifier: GPL-2.0

//! pcpool's abstraction layer: the only place in the crate that uses `unsafe` or talks to C.
//!
//! 6.12's `kernel` crate has no per-CPU, IPI, IRQ-guard or memory-notifier support. This layer
//! supplies them as small safe types on top of `pcpool_shim.c` (one-line C wrappers around the
//! kernel's macros and static inlines) and the kernel's exported functions. Everything above it
//! is safe Rust.

// Some of the layer is there for the KUnit suites only; a kernel without KUnit leaves it unused.
#![cfg_attr(not(CONFIG_KUNIT), allow(dead_code))]

pub(crate) mod api;
pub(crate) mod callback_mutex;
pub(crate) mod chunks;
pub(crate) mod cpu;
pub(crate) mod cpuhp;
pub(crate) mod debugfs;
pub(crate) mod ipi;
pub(crate) mod irq;
pub(crate) mod kthread;
#[cfg(CONFIG_KUNIT)]
pub(crate) mod kunit;
pub(crate) mod module_ref;
pub(crate) mod notifier;
pub(crate) mod page;
pub(crate) mod params;
pub(crate) mod percpu;
pub(crate) mod percpu_lock;
pub(crate) mod ratelimit;
pub(crate) mod stop_machine;
mod sys;
pub(crate) mod workqueue;
