/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpool's tracepoints (Documentation/pool.rst, "Tracepoints"). Only
 * rust/helpers/trace.c includes this, to define them; Rust reaches them through
 * its functions, the C API's trampolines (rust/helpers/module.c) directly.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pcpool

#if !defined(_TRACE_PCPOOL_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_PCPOOL_H

#include <linux/tracepoint.h>
#include <linux/mm_types.h>

struct pcpool_client;
unsigned short pcpool_client_trace_id(const struct pcpool_client *c);

/* A page handed to a client by the C API (mm_page_alloc's place). */
TRACE_EVENT(pcpool_alloc,

	TP_PROTO(const struct pcpool_client *c, struct page *page,
		 unsigned int flags, int nid),

	TP_ARGS(c, page, flags, nid),

	TP_STRUCT__entry(
		__field(unsigned short,	client)
		__field(unsigned long,	pfn)
		__field(unsigned int,	flags)
		__field(int,		nid)
		__field(int,		page_nid)
	),

	TP_fast_assign(
		__entry->client		= pcpool_client_trace_id(c);
		__entry->pfn		= page ? page_to_pfn(page) : -1UL;
		__entry->flags		= flags;
		__entry->nid		= nid;
		__entry->page_nid	= page ? page_to_nid(page) : NUMA_NO_NODE;
	),

	TP_printk("client=%u pfn=0x%lx flags=0x%x nid=%d page_nid=%d",
		__entry->client, __entry->pfn, __entry->flags, __entry->nid,
		__entry->page_nid)
);

/* A page a client gave back through the C API, and the call's result. */
TRACE_EVENT(pcpool_free,

	TP_PROTO(const struct pcpool_client *c, struct page *page, int ret),

	TP_ARGS(c, page, ret),

	TP_STRUCT__entry(
		__field(unsigned short,	client)
		__field(unsigned long,	pfn)
		__field(int,		ret)
	),

	TP_fast_assign(
		__entry->client	= pcpool_client_trace_id(c);
		__entry->pfn	= page ? page_to_pfn(page) : -1UL;
		__entry->ret	= ret;
	),

	TP_printk("client=%u pfn=0x%lx ret=%d",
		__entry->client, __entry->pfn, __entry->ret)
);

/* A pageset refilled from its zone (rmqueue_bulk) or flushed to it (free_pcppages_bulk). */
DECLARE_EVENT_CLASS(pcpool_pcp_batch,

	TP_PROTO(int nid, unsigned int want, unsigned int pages,
		 unsigned long nr_free),

	TP_ARGS(nid, want, pages, nr_free),

	TP_STRUCT__entry(
		__field(int,		nid)
		__field(unsigned int,	cpu)
		__field(unsigned int,	want)
		__field(unsigned int,	pages)
		__field(unsigned long,	nr_free)
	),

	TP_fast_assign(
		__entry->nid		= nid;
		__entry->cpu		= smp_processor_id();
		__entry->want		= want;
		__entry->pages		= pages;
		__entry->nr_free	= nr_free;
	),

	TP_printk("nid=%d cpu=%u want=%u pages=%u nr_free=%lu",
		__entry->nid, __entry->cpu, __entry->want, __entry->pages,
		__entry->nr_free)
);

DEFINE_EVENT(pcpool_pcp_batch, pcpool_refill,
	TP_PROTO(int nid, unsigned int want, unsigned int pages,
		 unsigned long nr_free),
	TP_ARGS(nid, want, pages, nr_free));

DEFINE_EVENT(pcpool_pcp_batch, pcpool_flush,
	TP_PROTO(int nid, unsigned int want, unsigned int pages,
		 unsigned long nr_free),
	TP_ARGS(nid, want, pages, nr_free));

/*
 * One round over every CPU's pageset: "disable" (high = 0 before an isolation,
 * zone_pcp_disable()) or "drain" (drain_all_pages()).
 */
TRACE_EVENT(pcpool_drain,

	TP_PROTO(int nid, const char *strategy, const char *kind,
		 unsigned int cpus, unsigned long pages, u64 ns),

	TP_ARGS(nid, strategy, kind, cpus, pages, ns),

	TP_STRUCT__entry(
		__field(int,		nid)
		__string(strategy,	strategy)
		__string(kind,		kind)
		__field(unsigned int,	cpus)
		__field(unsigned long,	pages)
		__field(u64,		ns)
	),

	TP_fast_assign(
		__entry->nid	= nid;
		__assign_str(strategy);
		__assign_str(kind);
		__entry->cpus	= cpus;
		__entry->pages	= pages;
		__entry->ns	= ns;
	),

	TP_printk("nid=%d strategy=%s kind=%s cpus=%u pages=%lu ns=%llu",
		__entry->nid, __get_str(strategy), __get_str(kind),
		__entry->cpus, __entry->pages, __entry->ns)
);

/* The pool's pageblocks of [start_pfn, end_pfn) made ISOLATE, or movable again. */
TRACE_EVENT(pcpool_isolate,

	TP_PROTO(int nid, unsigned long start_pfn, unsigned long end_pfn,
		 unsigned int blocks, int ret, u64 ns),

	TP_ARGS(nid, start_pfn, end_pfn, blocks, ret, ns),

	TP_STRUCT__entry(
		__field(int,		nid)
		__field(unsigned long,	start_pfn)
		__field(unsigned long,	end_pfn)
		__field(unsigned int,	blocks)
		__field(int,		ret)
		__field(u64,		ns)
	),

	TP_fast_assign(
		__entry->nid		= nid;
		__entry->start_pfn	= start_pfn;
		__entry->end_pfn	= end_pfn;
		__entry->blocks		= blocks;
		__entry->ret		= ret;
		__entry->ns		= ns;
	),

	TP_printk("nid=%d range=[0x%lx, 0x%lx) blocks=%u ret=%d ns=%llu",
		__entry->nid, __entry->start_pfn, __entry->end_pfn,
		__entry->blocks, __entry->ret, __entry->ns)
);

TRACE_EVENT(pcpool_unisolate,

	TP_PROTO(int nid, unsigned long start_pfn, unsigned long end_pfn,
		 unsigned int blocks),

	TP_ARGS(nid, start_pfn, end_pfn, blocks),

	TP_STRUCT__entry(
		__field(int,		nid)
		__field(unsigned long,	start_pfn)
		__field(unsigned long,	end_pfn)
		__field(unsigned int,	blocks)
	),

	TP_fast_assign(
		__entry->nid		= nid;
		__entry->start_pfn	= start_pfn;
		__entry->end_pfn	= end_pfn;
		__entry->blocks		= blocks;
	),

	TP_printk("nid=%d range=[0x%lx, 0x%lx) blocks=%u",
		__entry->nid, __entry->start_pfn, __entry->end_pfn,
		__entry->blocks)
);

/*
 * Clients' pages moved out of [start_pfn, end_pfn) during MEM_GOING_OFFLINE:
 * how many moved, how many clients still hold there, and why it stopped.
 */
TRACE_EVENT(pcpool_evacuate,

	TP_PROTO(int nid, unsigned long start_pfn, unsigned long end_pfn,
		 unsigned long moved, unsigned long held, const char *outcome,
		 u64 ns),

	TP_ARGS(nid, start_pfn, end_pfn, moved, held, outcome, ns),

	TP_STRUCT__entry(
		__field(int,		nid)
		__field(unsigned long,	start_pfn)
		__field(unsigned long,	end_pfn)
		__field(unsigned long,	moved)
		__field(unsigned long,	held)
		__string(outcome,	outcome)
		__field(u64,		ns)
	),

	TP_fast_assign(
		__entry->nid		= nid;
		__entry->start_pfn	= start_pfn;
		__entry->end_pfn	= end_pfn;
		__entry->moved		= moved;
		__entry->held		= held;
		__assign_str(outcome);
		__entry->ns		= ns;
	),

	TP_printk("nid=%d range=[0x%lx, 0x%lx) moved=%lu held=%lu outcome=%s ns=%llu",
		__entry->nid, __entry->start_pfn, __entry->end_pfn,
		__entry->moved, __entry->held, __get_str(outcome), __entry->ns)
);

/*
 * pcpool's answer to MEM_GOING_OFFLINE for a range with pool pageblocks:
 * accepted (pages handed over) or refused, and why.
 */
TRACE_EVENT(pcpool_offline_decision,

	TP_PROTO(int nid, unsigned long start_pfn, unsigned long end_pfn,
		 bool accepted, unsigned long pages, unsigned long held,
		 unsigned long first_held_pfn, unsigned long evacuated,
		 const char *reason),

	TP_ARGS(nid, start_pfn, end_pfn, accepted, pages, held, first_held_pfn,
		evacuated, reason),

	TP_STRUCT__entry(
		__field(int,		nid)
		__field(unsigned long,	start_pfn)
		__field(unsigned long,	end_pfn)
		__field(bool,		accepted)
		__field(unsigned long,	pages)
		__field(unsigned long,	held)
		__field(unsigned long,	first_held_pfn)
		__field(unsigned long,	evacuated)
		__string(reason,	reason)
	),

	TP_fast_assign(
		__entry->nid		= nid;
		__entry->start_pfn	= start_pfn;
		__entry->end_pfn	= end_pfn;
		__entry->accepted	= accepted;
		__entry->pages		= pages;
		__entry->held		= held;
		__entry->first_held_pfn	= first_held_pfn;
		__entry->evacuated	= evacuated;
		__assign_str(reason);
	),

	TP_printk("nid=%d range=[0x%lx, 0x%lx) %s pages=%lu held=%lu first_held_pfn=0x%lx evacuated=%lu reason=%s",
		__entry->nid, __entry->start_pfn, __entry->end_pfn,
		__entry->accepted ? "accepted" : "refused", __entry->pages,
		__entry->held, __entry->first_held_pfn, __entry->evacuated,
		__get_str(reason))
);

/* A pageblock-sized chunk taken from the kernel, or given back to it. */
DECLARE_EVENT_CLASS(pcpool_chunk,

	TP_PROTO(int nid, unsigned long pfn, unsigned long pages, int ret),

	TP_ARGS(nid, pfn, pages, ret),

	TP_STRUCT__entry(
		__field(int,		nid)
		__field(unsigned long,	pfn)
		__field(unsigned long,	pages)
		__field(int,		ret)
	),

	TP_fast_assign(
		__entry->nid	= nid;
		__entry->pfn	= pfn;
		__entry->pages	= pages;
		__entry->ret	= ret;
	),

	TP_printk("nid=%d pfn=0x%lx pages=%lu ret=%d",
		__entry->nid, __entry->pfn, __entry->pages, __entry->ret)
);

DEFINE_EVENT(pcpool_chunk, pcpool_grow,
	TP_PROTO(int nid, unsigned long pfn, unsigned long pages, int ret),
	TP_ARGS(nid, pfn, pages, ret));

DEFINE_EVENT(pcpool_chunk, pcpool_shrink,
	TP_PROTO(int nid, unsigned long pfn, unsigned long pages, int ret),
	TP_ARGS(nid, pfn, pages, ret));

#endif /* _TRACE_PCPOOL_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
