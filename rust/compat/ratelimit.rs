// SPDX-License-Identifier: GPL-2.0

//! Superseded by nothing upstream yet (`pr_*_ratelimited!`).
//!
//! Rate-limited log lines (`pr_err_ratelimited()`, absent from 6.12's Rust): each call site
//! prints at most [`BURST`] lines per [`INTERVAL_MS`], and the first line of the next interval
//! is preceded by one saying how many were suppressed, as `___ratelimit()` says
//! "callbacks suppressed".

use super::kthread::now_ms;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

/// `DEFAULT_RATELIMIT_INTERVAL` (5 s).
pub(crate) const INTERVAL_MS: u64 = 5000;
/// `DEFAULT_RATELIMIT_BURST`.
pub(crate) const BURST: u32 = 10;

/// One call site's state: lock-free, so it can be used in any context.
pub(crate) struct Ratelimit {
    /// When the current interval began (`now_ms()`, plus one so that 0 means never).
    begin: AtomicU64,
    printed: AtomicU32,
    missed: AtomicU32,
}

impl Ratelimit {
    /// A call site that has printed nothing yet.
    pub(crate) const fn new() -> Self {
        Self {
            begin: AtomicU64::new(0),
            printed: AtomicU32::new(0),
            missed: AtomicU32::new(0),
        }
    }

    /// Whether a line may be printed now. Returns, besides, how many lines the previous
    /// interval suppressed when this call begins a new one (0 otherwise), for the caller to
    /// say before its line.
    pub(crate) fn check(&self) -> (bool, u32) {
        let now = now_ms() + 1;
        let begin = self.begin.load(Relaxed);
        let mut missed = 0;
        if (begin == 0 || now - begin >= INTERVAL_MS)
            && self
                .begin
                .compare_exchange(begin, now, Relaxed, Relaxed)
                .is_ok()
        {
            missed = self.missed.swap(0, Relaxed);
            self.printed.store(0, Relaxed);
        }
        if self.printed.fetch_add(1, Relaxed) < BURST {
            (true, missed)
        } else {
            self.missed.fetch_add(1, Relaxed);
            (false, missed)
        }
    }
}

/// `pr_err!`, at most [`BURST`] lines per [`INTERVAL_MS`] from this call site.
macro_rules! pr_err_ratelimited {
    ($($arg:tt)*) => {{
        static RATELIMIT: $crate::compat::ratelimit::Ratelimit =
            $crate::compat::ratelimit::Ratelimit::new();
        let (print, missed) = RATELIMIT.check();
        if missed > 0 {
            ::kernel::pr_err!("{} messages like the next suppressed\n", missed);
        }
        if print {
            ::kernel::pr_err!($($arg)*);
        }
    }};
}
pub(crate) use pr_err_ratelimited;
