/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tearing down an emptied pool zone's pagesets while other CPUs run: the
 * race of the 2021 hot-remove thread (zone_pcp_reset() "protected" by a
 * local_irq_save() that stops nothing on another CPU), checked with spin.
 *
 * NCPU CPUs each have a pageset of the zone. Each runs IRQs-off sections
 * that free a page it holds or allocate one: with IRQs off it reads the
 * zone's published pointer; if the zone is there it uses its own pageset
 * (a free pushes the page, an allocation pops one), otherwise the free goes
 * straight to the zone's free list and the allocation falls back elsewhere.
 * A drainer on another CPU (drain_all: the shrinker, a stats read) reads
 * the pointer in a section of its own and empties every pageset. One CPU
 * tears the zone down once:
 *
 *   pcpool's order: unpublish the pointer, wait for every IRQs-off section
 *   that began before (synchronize_rcu(): an IRQs-off section is an RCU
 *   read-side section), then drain every pageset and free them.
 *
 * Weakened orders, each of which must give a counterexample:
 *   -DNAIVE          the 2021 order: with IRQs off on the tearing CPU only,
 *                    drain and free the pagesets, then unpublish
 *   -DNO_GRACE       unpublish, then drain and free at once (no wait)
 *   -DDRAIN_FIRST    drain, then unpublish and wait, then free (no second
 *                    drain: a page freed in between is on a freed pageset)
 *
 * Properties: no section touches a freed pageset (use after free); when a
 * pageset is freed it is empty, and at the end every page is on the zone's
 * free list or held (nothing lost).
 */

#define NCPU 2
#define NPAGES 2
#define DRAINER NCPU     /* the drainer's "CPU" */
#define HELD 254
#define ZONE 255         /* on the zone's free list */

bit pub = 1;             /* the zone's pointer is published */
bit alive[NCPU];         /* pageset memory valid */
byte count[NCPU];
byte where[NPAGES];      /* ZONE, HELD, or the CPU whose pageset has it */
bit in_cs[NCPU + 1];     /* in an IRQs-off section that read the pointer */
bit done = 0;

/* Moves every page of cpu's pageset to the zone. */
inline drain_pcp(c) {
	assert(alive[c]);
	i = 0;
	do
	:: i < NPAGES ->
		if
		:: where[i] == c -> where[i] = ZONE; count[c]--
		:: else -> skip
		fi;
		i++
	:: else -> break
	od
}

proctype cpu(byte me) {
	bit p;
	byte i;
	do
	:: done -> break
	:: else ->
		/* A free of a held page, or an allocation, in one IRQs-off section. */
		in_cs[me] = 1;
		p = pub;
		if
		:: p ->
			/* Through the pageset: the section may still be using it. */
			if
			:: atomic { where[0] == HELD -> assert(alive[me]); where[0] = me; count[me]++ }
			:: atomic { where[1] == HELD -> assert(alive[me]); where[1] = me; count[me]++ }
			:: atomic { where[0] == me -> assert(alive[me]); where[0] = HELD; count[me]-- }
			:: atomic { where[1] == me -> assert(alive[me]); where[1] = HELD; count[me]-- }
			:: atomic { where[0] == ZONE -> where[0] = HELD }   /* a refill's page */
			:: else -> skip
			fi
		:: else ->
			/* The zone is gone from the lookup: a free lands on its free list. */
			if
			:: atomic { where[0] == HELD -> where[0] = ZONE }
			:: atomic { where[1] == HELD -> where[1] = ZONE }
			:: else -> skip
			fi
		fi;
		in_cs[me] = 0
	od
}

proctype drainer() {
	bit p;
	byte c, i;
	do
	:: done -> break
	:: else ->
		in_cs[DRAINER] = 1;
		p = pub;
		if
		:: p ->
			c = 0;
			do
			:: c < NCPU -> atomic { drain_pcp(c) }; c++
			:: else -> break
			od
		:: else -> skip
		fi;
		in_cs[DRAINER] = 0
	od
}

proctype teardown() {
	byte c, i;
#if defined(NAIVE)
	/* local_irq_save() on this CPU: nothing stops the others. */
	c = 0;
	do
	:: c < NCPU -> atomic { drain_pcp(c); assert(count[c] == 0); alive[c] = 0 }; c++
	:: else -> break
	od;
	pub = 0;
#else
#if defined(DRAIN_FIRST)
	c = 0;
	do
	:: c < NCPU -> atomic { drain_pcp(c) }; c++
	:: else -> break
	od;
#endif
	pub = 0;
#if !defined(NO_GRACE)
	/* synchronize_rcu(): every section that began before has ended. */
	c = 0;
	do
	:: c <= NCPU -> in_cs[c] == 0; c++
	:: else -> break
	od;
#endif
	c = 0;
	do
	:: c < NCPU ->
		atomic {
#if !defined(DRAIN_FIRST)
			drain_pcp(c);
#endif
			assert(count[c] == 0);
			alive[c] = 0
		};
		c++
	:: else -> break
	od;
#endif
	done = 1
}

init {
	atomic {
		alive[0] = 1; alive[1] = 1;
		where[0] = HELD; where[1] = 0; count[0] = 1;
		run cpu(0); run cpu(1); run drainer(); run teardown()
	}
	/* Every process has ended: every page is on the zone or held. */
	_nr_pr == 1;
	assert((where[0] == ZONE || where[0] == HELD) && (where[1] == ZONE || where[1] == HELD))
}
