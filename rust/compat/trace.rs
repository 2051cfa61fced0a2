// SPDX-License-Identifier: GPL-2.0

//! Superseded by `kernel::tracepoint::declare_trace!` (6.13).
//!
//! Tracepoints defined in C with `TRACE_EVENT` (include/trace/events/), fired from Rust through
//! a `rust_do_trace_<name>()` shim per event, as upstream's macro names them. Upstream tests the
//! event's static key in Rust first; 6.12's Rust has no static branch, so a disabled event costs
//! a call here, and the C shim tests the key. Without `pcpool_trace` (a build without
//! tracepoints, for the benchmarks' comparison) an event compiles to nothing.

/// Declares Rust functions that fire C tracepoints:
///
/// ```ignore
/// declare_trace! {
///     /// A pageset refilled.
///     unsafe fn pcpool_refill(nid: c_int, want: c_uint, pages: c_uint, nr_free: c_ulong);
/// }
/// ```
///
/// Each is `unsafe`: its pointer arguments must be valid for the event's `TP_fast_assign`.
macro_rules! declare_trace {
    ($($(#[$attr:meta])* unsafe fn $name:ident($($arg:ident : $ty:ty),* $(,)?);)*) => {$(
        $(#[$attr])*
        /// Fires the tracepoint.
        ///
        /// # Safety
        ///
        /// Its pointer arguments are valid for the event's `TP_fast_assign`.
        #[inline(always)]
        // As many as the event's fields.
        #[allow(clippy::too_many_arguments)]
        pub(crate) unsafe fn $name($($arg: $ty),*) {
            #[cfg(pcpool_trace)]
            {
                ::kernel::macros::paste! {
                    extern "C" {
                        fn [<rust_do_trace_ $name>]($($arg: $ty),*);
                    }
                    // SAFETY: the caller's contract is the shim's.
                    unsafe { [<rust_do_trace_ $name>]($($arg),*) }
                }
            }
            #[cfg(not(pcpool_trace))]
            let _ = ($($arg,)*);
        }
    )*};
}
pub(crate) use declare_trace;
