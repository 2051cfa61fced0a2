// SPDX-License-Identifier: GPL-2.0
/*
 * pcpool's tracepoints (include/trace/events/pcpool.h) are defined here, with
 * a rust_do_trace_<event>() shim for each event that Rust fires
 * (rust/compat/trace.rs): a call, then the event's static-key test.
 */

#define CREATE_TRACE_POINTS
#include <trace/events/pcpool.h>

#define RUST_DO_TRACE(name, proto, args)			\
	void rust_do_trace_##name(proto);			\
	void rust_do_trace_##name(proto)			\
	{							\
		trace_##name(args);				\
	}

RUST_DO_TRACE(pcpool_refill,
	      PARAMS(int nid, unsigned int want, unsigned int pages,
		     unsigned long nr_free),
	      PARAMS(nid, want, pages, nr_free))
RUST_DO_TRACE(pcpool_flush,
	      PARAMS(int nid, unsigned int want, unsigned int pages,
		     unsigned long nr_free),
	      PARAMS(nid, want, pages, nr_free))
RUST_DO_TRACE(pcpool_drain,
	      PARAMS(int nid, const char *strategy, const char *kind,
		     unsigned int cpus, unsigned long pages, u64 ns),
	      PARAMS(nid, strategy, kind, cpus, pages, ns))
RUST_DO_TRACE(pcpool_isolate,
	      PARAMS(int nid, unsigned long start_pfn, unsigned long end_pfn,
		     unsigned int blocks, int ret, u64 ns),
	      PARAMS(nid, start_pfn, end_pfn, blocks, ret, ns))
RUST_DO_TRACE(pcpool_unisolate,
	      PARAMS(int nid, unsigned long start_pfn, unsigned long end_pfn,
		     unsigned int blocks),
	      PARAMS(nid, start_pfn, end_pfn, blocks))
RUST_DO_TRACE(pcpool_evacuate,
	      PARAMS(int nid, unsigned long start_pfn, unsigned long end_pfn,
		     unsigned long moved, unsigned long held,
		     const char *outcome, u64 ns),
	      PARAMS(nid, start_pfn, end_pfn, moved, held, outcome, ns))
RUST_DO_TRACE(pcpool_offline_decision,
	      PARAMS(int nid, unsigned long start_pfn, unsigned long end_pfn,
		     bool accepted, unsigned long pages, unsigned long held,
		     unsigned long first_held_pfn, unsigned long evacuated,
		     const char *reason),
	      PARAMS(nid, start_pfn, end_pfn, accepted, pages, held,
		     first_held_pfn, evacuated, reason))
RUST_DO_TRACE(pcpool_grow,
	      PARAMS(int nid, unsigned long pfn, unsigned long pages, int ret),
	      PARAMS(nid, pfn, pages, ret))
RUST_DO_TRACE(pcpool_shrink,
	      PARAMS(int nid, unsigned long pfn, unsigned long pages, int ret),
	      PARAMS(nid, pfn, pages, ret))
