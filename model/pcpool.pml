/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpool's pcp-disable / drain / isolate protocol (drain=ipi, the default),
 * checked with spin. Documentation/model.rst maps each step to the Rust code
 * it models (rust/pool.rs, rust/pool/isolation.rs, rust/zone.rs).
 *
 * Three CPUs allocate and free pool pages through their pagesets with IRQs
 * off, as Pool::pcp_alloc and Pool::free_one do; one isolator runs
 * isolate_range (pcp_disable: one on_each_cpu round that sets high = 0 and
 * drains; then set ISOLATE and move the free pages), waits for the range to
 * leave the pagesets, and undoes it (set MOVABLE, pcp_enable), ROUNDS times.
 * The zone has 2 pageblocks of 2 pages.
 *
 * Weakened variants, each of which must give a counterexample:
 *   -DRACE_2014     the 2014 free path: the migratetype read before IRQs go
 *                   off, and the zone files the page under that read (no
 *                   re-read under the zone lock)
 *   -DSKIP_EMPTY    the disable round skips CPUs whose count, read from the
 *                   isolating CPU, is 0 (the 2020 drain_all_pages shortcut)
 *   -DNO_HIGH_ZERO  the round drains but leaves high alone (drain only)
 * and two halves of RACE_2014, to tell which half matters:
 *   -DEARLY_MT_READ only the read moved before IRQs go off (expected: holds)
 *   -DSTALE_MT      only the zone trusting the free path's read (expected: fails)
 * -DDRAIN_PAGEBLOCK models drain=pageblock instead of drain=ipi.
 * -DNO_MONITOR drops the safety properties (for a liveness-only run).
 * -DNO_EMPTY_CHECK drops the design invariant (pagesets empty while
 * disabled), so that a variant's trail ends at the issue's properties.
 */

#ifndef ROUNDS
#define ROUNDS 2
#endif
#ifndef HIGH
#define HIGH 3
#endif
#ifndef BATCH
#define BATCH 2
#endif

#ifdef RACE_2014
#define EARLY_MT_READ
#define STALE_MT
#endif

#define NCPU 3
#define NBLOCKS 2
#define PPB 2            /* pages per pageblock */
#define NPAGES 4
#define NONE 255

#define MOVABLE 0
#define ISOLATE 1

/* Isolator phases. */
#define IDLE 0
#define ISOLATED 1       /* isolate_range returned, unisolation not begun */

#define DISABLE_ROUND 0  /* Pool::disable_round */
#define ENABLE_ROUND 1   /* Pool::pcp_enable */

/* A list of page ids, head first; unused slots hold NONE (so a state has one
 * representation). Capacity NPAGES. */
typedef PList {
	byte s[NPAGES];
	byte n
};

/* A list of pageblocks (ZoneInner::free_blocks[mt]), head first. */
typedef BList {
	byte s[NBLOCKS];
	byte n
};

/* ---- the zone (rust/zone.rs), under the zone lock ---- */
bit zlock;                   /* PoolZone::inner, the zone spinlock */
byte block_mt[NBLOCKS];      /* PoolZone::block_mt: written under the lock, read locklessly */
PList blk[NBLOCKS];          /* ZoneInner::block_free: each pageblock's free pages */
BList fb[2];                 /* ZoneInner::free_blocks: pageblocks with free pages, per mt */
byte nr_free;                /* ZoneCounters::nr_free */
byte nr_iso_free;            /* ZoneCounters::nr_isolated_free */
#ifdef STALE_MT
byte cached_mt[NPAGES];      /* 2014: set_freepage_migratetype() */
#endif

/* ---- the pagesets (rust/pcp.rs) ---- */
PList pcp[NCPU];             /* PcpList::list; count is pcp[c].n */
byte high[NCPU];
byte batch[NCPU];
bit irqsoff[NCPU];           /* CPU c is inside an IRQs-off section */
bit ipi[NCPU];               /* an on_each_cpu call is pending on CPU c */
bit ipi_kind;                /* which callback the pending round runs */

/* ---- clients ---- */
bit held[NPAGES];            /* allocated: a client holds it (any CPU may free it) */
byte inflight[NCPU];         /* the page CPU c's free path has taken from its client */

/* ---- the isolator ---- */
byte phase;
bit drained;                 /* disable round done, enable round not begun */
bit iso_done;
byte rmask;                  /* pageblocks of the range: bit b = pageblock b */

/* ---------------------------------------------------------------------- */
/* List helpers, unrolled for NPAGES = 4 and NBLOCKS = 2. */

inline plist_push_head(L, x) {
	assert(L.n < NPAGES);
	L.s[3] = L.s[2]; L.s[2] = L.s[1]; L.s[1] = L.s[0]; L.s[0] = x;
	L.n++
}

inline plist_pop_head(L, x) {
	x = L.s[0];
	L.s[0] = L.s[1]; L.s[1] = L.s[2]; L.s[2] = L.s[3]; L.s[3] = NONE;
	L.n--
}

inline plist_pop_tail(L, x) {
	x = L.s[L.n - 1];
	L.s[L.n - 1] = NONE;
	L.n--
}

inline blist_push_head(L, b) {
	assert(L.n < NBLOCKS);
	L.s[1] = L.s[0]; L.s[0] = b;
	L.n++
}

inline blist_remove(L, b) {
	if
	:: L.s[0] == b -> L.s[0] = L.s[1]; L.s[1] = NONE
	:: L.s[1] == b -> L.s[1] = NONE
	:: else -> L.n++    /* not listed: P_FREELISTS reports it */
	fi;
	L.n--
}

/* ---------------------------------------------------------------------- */
/* The zone's locked operations. Each runs inside d_step with the lock free,
 * which is what taking and dropping the spinlock around it gives. */

/* PoolZone::free_one_locked: the migratetype is re-read under the lock.
 * With STALE_MT the caller's migratetype is trusted (2014's free_one_page(mt)
 * and get_freepage_migratetype() in free_pcppages_bulk). */
inline free_one_locked(fp, fcmt, fmt) {
#ifdef STALE_MT
	fmt = fcmt;
#else
	fmt = block_mt[fp / PPB];
#endif
	if
	:: blk[fp / PPB].n == 0 -> blist_push_head(fb[fmt], fp / PPB)
	:: else -> skip
	fi;
	plist_push_head(blk[fp / PPB], fp);
	if
	:: fmt == MOVABLE -> nr_free++
	:: else -> nr_iso_free++
	fi;
	fmt = 0
}

/* PoolZone::free_pcppages_bulk: count pages from the list's tail. */
inline free_pcppages_bulk(L, count, x, k, mt) {
	k = count;
	do
	:: k > 0 && L.n > 0 ->
		plist_pop_tail(L, x);
#ifdef STALE_MT
		free_one_locked(x, cached_mt[x], mt);
		cached_mt[x] = 0;
#else
		free_one_locked(x, 0, mt);
#endif
		k--
	:: else -> break
	od;
	k = 0; x = 0
}

/* PoolZone::rmqueue_bulk: up to count free movable pages onto L. */
inline rmqueue_bulk(L, count, x, k, b) {
	k = 0;
	do
	:: k < count && fb[MOVABLE].n > 0 ->
		b = fb[MOVABLE].s[0];
		do
		:: k < count && blk[b].n > 0 ->
			plist_pop_head(blk[b], x);
#ifdef STALE_MT
			cached_mt[x] = MOVABLE;
#endif
			plist_push_head(L, x);
			k++
		:: else -> break
		od;
		if
		:: blk[b].n == 0 -> blist_remove(fb[MOVABLE], b)
		:: else -> skip
		fi
	:: else -> break
	od;
	nr_free = nr_free - k;
	k = 0; x = 0; b = 0
}

/* PoolZone::move_block: pageblock b to migratetype mt with its free pages. */
inline move_block(b, mt) {
	if
	:: block_mt[b] != mt ->
		if
		:: blk[b].n > 0 ->
			blist_remove(fb[block_mt[b]], b);
			blist_push_head(fb[mt], b);
			if
			:: mt == ISOLATE -> nr_free = nr_free - blk[b].n; nr_iso_free = nr_iso_free + blk[b].n
			:: else -> nr_iso_free = nr_iso_free - blk[b].n; nr_free = nr_free + blk[b].n
			fi
		:: else -> skip
		fi;
		block_mt[b] = mt
	:: else -> skip
	fi
}

/* PoolZone::set_migratetype_range: one lock hold, one step per pageblock;
 * a lockless reader can see the first pageblock moved and not the second. */
inline set_migratetype_range(mt) {
	if
	:: rmask == 3 ->
		atomic { zlock == 0 -> zlock = 1; move_block(0, mt) };
		atomic { move_block(1, mt); zlock = 0; phase = (mt == ISOLATE -> ISOLATED : IDLE) }
	:: rmask == 1 ->
		atomic { zlock == 0 -> move_block(0, mt); phase = (mt == ISOLATE -> ISOLATED : IDLE) }
	:: rmask == 2 ->
		atomic { zlock == 0 -> move_block(1, mt); phase = (mt == ISOLATE -> ISOLATED : IDLE) }
	fi
}

/* ---------------------------------------------------------------------- */
/* The CPUs. */

/* The on_each_cpu callback, on CPU c in IPI context (IRQs off): taken only
 * when c is not in an IRQs-off section. */
inline ipi_handler(c, x, k, mt) {
	d_step { zlock == 0 ->
		if
		:: ipi_kind == DISABLE_ROUND ->
			/* Pool::disable_round's callback */
#ifndef NO_HIGH_ZERO
			high[c] = 0; batch[c] = 1;
#endif
			free_pcppages_bulk(pcp[c], pcp[c].n, x, k, mt)
		:: else ->
			/* Pool::pcp_enable's callback */
			high[c] = HIGH; batch[c] = BATCH
		fi;
		ipi[c] = 0
	}
}

/* A pending IPI is taken as soon as IRQs are on. */
inline irq_point(c, x, k, mt) {
	if
	:: ipi[c] -> ipi_handler(c, x, k, mt)
	:: else -> skip
	fi
}

/* Pool::free_one: the page from its client to this CPU's pageset, or to the
 * zone if its pageblock is ISOLATE; flush when count reaches high.
 *
 * Steps: (1) IRQs off, the page taken from its client, the migratetype read,
 * and the page pushed on the list; (2) the zone locked for the direct free or
 * the flush, IRQs on. Taking the page is a right mover and the push touches
 * only this CPU's list, which nothing else reads while IRQs are off, so
 * folding them into the step with the read loses no behaviour. Under
 * SKIP_EMPTY the isolating CPU reads count from afar, so the push is a step of
 * its own there. With EARLY_MT_READ the read is a step of its own before IRQs
 * go off, and an IPI can land after it. */
#if defined(SKIP_EMPTY) || defined(EARLY_MT_READ)
#define SPLIT_PUSH
#endif

inline pcp_push(c, p, mt) {
	if
	:: mt != ISOLATE ->
		inflight[c] = NONE;
#ifdef STALE_MT
		cached_mt[p] = mt;
#endif
		plist_push_head(pcp[c], p);
		p = 0; mt = MOVABLE
	:: else -> skip
	fi
}

/* The first step, in the same atomic as the client's choice of page P. */
inline free_first(c, p, mt) {
	held[p] = 0; inflight[c] = p;
#ifdef EARLY_MT_READ
	/* 2014: get_pfnblock_migratetype() before local_irq_save() */
	mt = block_mt[p / PPB]
#else
	/* with_irqs_off; links.transition(Allocated -> Pcp); PoolZone::migratetype */
	irqsoff[c] = 1; mt = block_mt[p / PPB];
#ifndef SPLIT_PUSH
	pcp_push(c, p, mt)
#endif
#endif
}

inline pool_free(c, p, x, k, mt, n) {
#ifdef EARLY_MT_READ
	irq_point(c, x, k, n);
	atomic { irqsoff[c] = 1; pcp_push(c, p, mt) };
#elif defined(SPLIT_PUSH)
	atomic { pcp_push(c, p, mt) };
#endif
	if
	:: mt == ISOLATE ->
		/* PoolZone::free_one */
		d_step { zlock == 0 ->
			inflight[c] = NONE;
			free_one_locked(p, mt, n);
			p = 0; mt = 0;
			irqsoff[c] = 0 }
	:: else ->
		if
		:: pcp[c].n >= high[c] ->
			d_step { zlock == 0 ->
				n = (high[c] == 0 -> pcp[c].n : (batch[c] < pcp[c].n -> batch[c] : pcp[c].n));
				free_pcppages_bulk(pcp[c], n, x, k, mt);
				n = 0;
				irqsoff[c] = 0 }
		:: else -> irqsoff[c] = 0
		fi
	fi
}

/* Pool::alloc_with -> Pool::pcp_alloc: refill an empty list with batch.max(1)
 * pages, then take the head; ENOMEM if the zone has no movable page. One
 * step: its only access to shared state is the zone's locked section (the
 * list is this CPU's, and handing the page to its client only enables). */
inline pool_alloc(c, x, k, b, want) {
	d_step { zlock == 0 ->
		if
		:: pcp[c].n == 0 ->
			want = (batch[c] > 0 -> batch[c] : 1);
			rmqueue_bulk(pcp[c], want, x, k, b);
			want = 0
		:: else -> skip
		fi;
		if
		:: pcp[c].n > 0 -> plist_pop_head(pcp[c], x); held[x] = 1; x = 0
		:: else -> skip    /* ENOMEM */
		fi
	}
}

/* A client frees page P on this CPU: it gives up its hold
 * (links.transition(Allocated -> Pcp)). */
#define FREE(P) :: atomic { held[P] -> p = P; free_first(c, p, mt) }; pool_free(c, p, x, k, mt, n)

proctype cpu(byte c) {
	byte p, x, k, mt, n;
end:
	do
	:: ipi[c] -> ipi_handler(c, x, k, mt)
	:: else ->
		if
		:: pool_alloc(c, x, k, n, mt)
		FREE(0)
		FREE(1)
		FREE(2)
		FREE(3)
		:: skip              /* this CPU does nothing with the pool for a while */
		fi
	od
}

/* ---------------------------------------------------------------------- */
/* The isolator. */

/* on_each_cpu(f, wait = 1): queue f on every CPU, wait until all have run it.
 * (The isolating CPU's own pageset sees no traffic in the model.) */
inline on_each_cpu(kind) {
	atomic { ipi_kind = kind; ipi[0] = 1; ipi[1] = 1; ipi[2] = 1 };
	(ipi[0] == 0 && ipi[1] == 0 && ipi[2] == 0)
}

#ifdef SKIP_EMPTY
/* 2020: drain_all_pages() IPIs only the CPUs whose pcp->count it reads, from
 * the isolating CPU, as non-zero. */
inline disable_round() {
	ipi_kind = DISABLE_ROUND;
	if :: pcp[0].n != 0 -> ipi[0] = 1 :: else -> skip fi;
	if :: pcp[1].n != 0 -> ipi[1] = 1 :: else -> skip fi;
	if :: pcp[2].n != 0 -> ipi[2] = 1 :: else -> skip fi;
	(ipi[0] == 0 && ipi[1] == 0 && ipi[2] == 0)
}
#else
inline disable_round() {
	on_each_cpu(DISABLE_ROUND)
}
#endif

/* No page of an ISOLATE pageblock on any pageset: what the offline waits for
 * (the 2020 livelock: it retried while a page stayed on a pcp list). */
#define PCP_HAS_ISO(c) \
	((pcp[c].s[0] != NONE && block_mt[pcp[c].s[0] / PPB] == ISOLATE) || \
	 (pcp[c].s[1] != NONE && block_mt[pcp[c].s[1] / PPB] == ISOLATE) || \
	 (pcp[c].s[2] != NONE && block_mt[pcp[c].s[2] / PPB] == ISOLATE) || \
	 (pcp[c].s[3] != NONE && block_mt[pcp[c].s[3] / PPB] == ISOLATE))
#define RANGE_CLEAN (!PCP_HAS_ISO(0) && !PCP_HAS_ISO(1) && !PCP_HAS_ISO(2))

proctype isolator() {
	byte round;
	do
	:: round < ROUNDS ->
		if
		:: rmask = 1
		:: rmask = 2
		:: rmask = 3
		fi;
		/* Pool::isolate_range -> Pool::pcp_disable (config.disabled = true
		 * under the pcp mutex; the model has no other user of it) */
#ifdef DRAIN_PAGEBLOCK
		/* drain=pageblock (2014): no round in pcp_disable; isolate_range
		 * sets each pageblock ISOLATE (PoolZone::set_block_migratetype,
		 * its own lock hold), then runs a round for it. */
		if
		:: rmask & 1 -> atomic { zlock == 0 -> move_block(0, ISOLATE) }; disable_round()
		:: else
		fi;
		if
		:: rmask & 2 -> atomic { zlock == 0 -> move_block(1, ISOLATE) }; disable_round()
		:: else
		fi;
		atomic { phase = ISOLATED; drained = 1 };
#else
		disable_round();
		drained = 1;
		/* Pool::isolate_range -> PoolZone::set_migratetype_range(ISOLATE) */
		set_migratetype_range(ISOLATE);
#endif
		/* The caller (offline) waits for the range to be free of pagesets. */
		RANGE_CLEAN;
		/* Isolation::drop: the pageblocks back, then Pool::pcp_enable */
		set_migratetype_range(MOVABLE);
		drained = 0;
		on_each_cpu(ENABLE_ROUND);
		atomic { rmask = 0; round++ }
	:: else -> break
	od;
	iso_done = 1
}

/* ---------------------------------------------------------------------- */
/* The properties, checked in every reachable state. */

/* Pages: each exactly once on a free list, a pageset, with a client, or in a
 * free path between the two. */
#define IN_PL(L, P) ((L.s[0] == P) + (L.s[1] == P) + (L.s[2] == P) + (L.s[3] == P))
#define OCC(P) (IN_PL(blk[0], P) + IN_PL(blk[1], P) + IN_PL(pcp[0], P) + IN_PL(pcp[1], P) + \
	IN_PL(pcp[2], P) + held[P] + (inflight[0] == P) + (inflight[1] == P) + (inflight[2] == P))
#define P_CONSERVE (OCC(0) == 1 && OCC(1) == 1 && OCC(2) == 1 && OCC(3) == 1 && \
	IN_PL(blk[1], 0) + IN_PL(blk[1], 1) + IN_PL(blk[0], 2) + IN_PL(blk[0], 3) == 0)

/* Counters: nr_free and nr_isolated_free are the free pages of MOVABLE and
 * of ISOLATE pageblocks, whenever the zone lock is free. */
#define TRUE_FREE(MT) ((block_mt[0] == MT -> blk[0].n : 0) + (block_mt[1] == MT -> blk[1].n : 0))
#define P_COUNTS (zlock || (nr_free == TRUE_FREE(MOVABLE) && nr_iso_free == TRUE_FREE(ISOLATE)))

/* Free lists: each pageblock with free pages on exactly one list, its own
 * migratetype's, so no page of an ISOLATE pageblock is on the movable list. */
#define LISTED(B) ((fb[0].s[0] == B) + (fb[0].s[1] == B) + (fb[1].s[0] == B) + (fb[1].s[1] == B))
#define ON_OWN(B) ((fb[block_mt[B]].s[0] == B) || (fb[block_mt[B]].s[1] == B))
#define BLOCK_OK(B) ((blk[B].n == 0 && LISTED(B) == 0) || (blk[B].n > 0 && LISTED(B) == 1 && ON_OWN(B)))
#define P_FREELISTS (zlock || (BLOCK_OK(0) && BLOCK_OK(1)))

/* After isolation, until unisolation: no page of an isolated pageblock on
 * the pageset of a CPU that has IRQs on (inside its own IRQs-off section a
 * CPU can hold one between the push and the flush; nothing else can look). */
#define P_PCP (phase != ISOLATED || \
	((irqsoff[0] || !PCP_HAS_ISO(0)) && (irqsoff[1] || !PCP_HAS_ISO(1)) && \
	 (irqsoff[2] || !PCP_HAS_ISO(2))))

/* The design's invariant (Documentation/isolation.rst): from the disable
 * round to pcp_enable, every pageset is empty whenever its CPU has IRQs on. */
#ifdef NO_EMPTY_CHECK
#define P_EMPTY 1
#else
#define P_EMPTY (!drained || ((irqsoff[0] || pcp[0].n == 0) && (irqsoff[1] || pcp[1].n == 0) && \
	(irqsoff[2] || pcp[2].n == 0)))
#endif

proctype monitor() {
end:
	atomic {
		!(P_CONSERVE && P_COUNTS && P_FREELISTS && P_PCP && P_EMPTY) ->
		if :: !P_CONSERVE -> printf("violated: P_CONSERVE: a page lost or duplicated\n") :: else fi;
		if :: !P_COUNTS -> printf("violated: P_COUNTS: nr_free/nr_isolated_free differ from the free lists\n") :: else fi;
		if :: !P_FREELISTS -> printf("violated: P_FREELISTS: a pageblock on another migratetype's free list\n") :: else fi;
		if :: !P_PCP -> printf("violated: P_PCP: a page of an isolated pageblock on a pageset after isolation\n") :: else fi;
		if :: !P_EMPTY -> printf("violated: P_EMPTY: a pageset not empty while the pagesets are disabled\n") :: else fi;
		assert(P_CONSERVE && P_COUNTS && P_FREELISTS && P_PCP && P_EMPTY)
	}
}

/* Termination: the isolator finishes its rounds (checked with -a -f). */
ltl terminates { <> iso_done }

init {
	byte i;
	atomic {
		i = 0;
		do
		:: i < NPAGES -> pcp[0].s[i] = NONE; pcp[1].s[i] = NONE; pcp[2].s[i] = NONE;
			blk[0].s[i] = NONE; blk[1].s[i] = NONE; i++
		:: else -> break
		od;
		i = 0;
		inflight[0] = NONE; inflight[1] = NONE; inflight[2] = NONE;
		fb[0].s[0] = NONE; fb[0].s[1] = NONE; fb[1].s[0] = NONE; fb[1].s[1] = NONE;
		/* PoolZone::grow, pageblock 0 then 1: pages highest first, so the
		 * lowest is at the head; the pageblock at the head of the list */
		plist_push_head(blk[0], 1); plist_push_head(blk[0], 0);
		blist_push_head(fb[MOVABLE], 0);
		plist_push_head(blk[1], 3); plist_push_head(blk[1], 2);
		blist_push_head(fb[MOVABLE], 1);
		nr_free = NPAGES;
		high[0] = HIGH; high[1] = HIGH; high[2] = HIGH;
		batch[0] = BATCH; batch[1] = BATCH; batch[2] = BATCH;
#ifndef NO_MONITOR
		run monitor();
#endif
		run isolator(); run cpu(0); run cpu(1); run cpu(2)
	}
}
