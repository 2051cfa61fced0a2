// SPDX-License-Identifier: GPL-2.0

//! Tests of the abstraction layer against the real kernel: per-CPU memory, `on_each_cpu`, the
//! IRQ-off section and memory notifiers.

use crate::chunk::{pageblock_order, Chunk, ZoneKind, NUMA_NO_NODE};
use crate::compat::{
    cpu::{nr_cpu_ids, num_online_cpus, possible_cpus, CpuId},
    irq::{check, irqs_disabled, preemptible, with_irqs_off, EFLAGS_IF},
    kunit::{kunit_expect, kunit_expect_eq, kunit_suite, skip, write_file},
    memory_notifier::{
        memory_block_size_bytes, MemAction, MemoryHotplugHandler, MemoryNotifier, MemoryNotify,
    },
    percpu::{c_this_cpu_ptr, PerCpu},
    smp::on_each_cpu,
};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::Relaxed};
use kernel::{c_str, fmt, prelude::*, str::CString};

/// Each possible CPU has its own slot, initialised for that CPU, and `local` on a CPU is that
/// CPU's slot.
fn percpu_slots_are_distinct() {
    let slots = match PerCpu::new(|cpu: CpuId| AtomicUsize::new(cpu.as_u32() as usize)) {
        Ok(s) => s,
        Err(e) => return kunit_expect!(false, "PerCpu::new: {:?}", e),
    };
    let mut addrs = KVec::new();
    for cpu in possible_cpus() {
        let slot = slots.remote(cpu);
        kunit_expect_eq!(slot.load(Relaxed), cpu.as_u32() as usize);
        if addrs.push(slot as *const _ as usize, GFP_KERNEL).is_err() {
            return kunit_expect!(false, "out of memory");
        }
    }
    kunit_expect!(!addrs.is_empty());
    let size = core::mem::size_of::<AtomicUsize>();
    for (i, a) in addrs.iter().enumerate() {
        for b in &addrs[i + 1..] {
            kunit_expect!(
                a.abs_diff(*b) >= size,
                "slots at {:#x} and {:#x} overlap",
                a,
                b
            );
        }
    }

    let mismatches = AtomicU32::new(0);
    on_each_cpu(&|irqs| {
        if !core::ptr::eq(slots.local(irqs), slots.remote(irqs.cpu())) {
            mismatches.fetch_add(1, Relaxed);
        }
    });
    kunit_expect_eq!(mismatches.load(Relaxed), 0);
}

/// Dropping a `PerCpu` drops every possible CPU's value, once.
fn percpu_drops_every_slot() {
    static DROPS: AtomicU32 = AtomicU32::new(0);
    struct Counted;
    impl Drop for Counted {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Relaxed);
        }
    }

    DROPS.store(0, Relaxed);
    match PerCpu::new(|_| Counted) {
        Ok(slots) => drop(slots),
        Err(e) => return kunit_expect!(false, "PerCpu::new: {:?}", e),
    }
    kunit_expect_eq!(DROPS.load(Relaxed) as usize, possible_cpus().count());
    kunit_expect!(possible_cpus().count() as u32 <= nr_cpu_ids());
}

/// `on_each_cpu` runs exactly once on every online CPU and nowhere else, with IRQs off, and
/// returns only after all of them finished.
fn on_each_cpu_runs_once_per_online_cpu() {
    let runs = match PerCpu::new(|_| AtomicU32::new(0)) {
        Ok(r) => r,
        Err(e) => return kunit_expect!(false, "PerCpu::new: {:?}", e),
    };
    let irqs_on = AtomicU32::new(0);
    for round in 1..=3 {
        on_each_cpu(&|irqs| {
            if !irqs_disabled() {
                irqs_on.fetch_add(1, Relaxed);
            }
            runs.local(irqs).fetch_add(1, Relaxed);
        });
        let mut total = 0;
        for cpu in possible_cpus() {
            let n = runs.remote(cpu).load(Relaxed);
            kunit_expect_eq!(n, if cpu.is_online() { round } else { 0 });
            total += n;
        }
        kunit_expect_eq!(total, round * num_online_cpus());
    }
    kunit_expect_eq!(irqs_on.load(Relaxed), 0);
    kunit_expect!(num_online_cpus() >= 2, "the runner boots with 4 vCPUs");
}

/// `with_irqs_off` disables IRQs and preemption for the closure, keeps the task on its CPU,
/// nests, and restores the previous state.
fn irq_section_disables_irqs_and_pins() {
    kunit_expect!(!irqs_disabled());
    let ok = with_irqs_off(|irqs| {
        let cpu = irqs.cpu();
        let mut ok = irqs_disabled() && !preemptible();
        // Long enough for the scheduler tick to fire several times if IRQs were on.
        for _ in 0..2_000_000 {
            core::hint::spin_loop();
            ok &= irqs.cpu() == cpu;
        }
        with_irqs_off(|inner| ok &= inner.cpu() == cpu);
        // The inner section restored "off", not "on".
        ok && irqs_disabled()
    });
    kunit_expect!(ok);
    kunit_expect!(!irqs_disabled());
}

/// The inline assembly agrees with the C macros it replaces: `local_irq_save()` returns the
/// same IF bit and leaves IRQs off with lockdep told, `local_irq_restore()` brings back the state
/// it saved (off stays off), and `this_cpu_ptr()` finds the same slot on every CPU.
fn inline_primitives_match_c_macros() {
    let irqs_on = || !irqs_disabled() && check::lockdep_hardirqs_enabled();
    let irqs_off = || irqs_disabled() && !check::lockdep_hardirqs_enabled();
    kunit_expect!(irqs_on());

    let (c, c_off) = check::c_section(irqs_off);
    kunit_expect!(irqs_on());
    let (rust, (rust_off, (inner, ()), still_off)) =
        check::inline_section(|| (irqs_off(), check::inline_section(|| ()), irqs_off()));
    // Off in both sections; the nested one saved "off" and restored it.
    kunit_expect!(c_off && rust_off && still_off);
    kunit_expect_eq!(rust & EFLAGS_IF, c & EFLAGS_IF);
    kunit_expect_eq!(rust & EFLAGS_IF, EFLAGS_IF);
    kunit_expect_eq!(inner & EFLAGS_IF, 0);
    kunit_expect!(irqs_on());

    let slots = match PerCpu::new(|_| AtomicUsize::new(0)) {
        Ok(s) => s,
        Err(e) => return kunit_expect!(false, "PerCpu::new: {:?}", e),
    };
    let (cpus, mismatches) = (AtomicU32::new(0), AtomicU32::new(0));
    on_each_cpu(&|irqs| {
        cpus.fetch_add(1, Relaxed);
        if !core::ptr::eq(slots.local(irqs), c_this_cpu_ptr(&slots, irqs)) {
            mismatches.fetch_add(1, Relaxed);
        }
    });
    kunit_expect_eq!(cpus.load(Relaxed), num_online_cpus());
    kunit_expect_eq!(mismatches.load(Relaxed), 0);
}

/// A notifier that records the events it sees and a global sequence number for each.
struct Recorder {
    seq: &'static AtomicU32,
    events: [AtomicU32; 8],
    at: [AtomicU32; 8],
    len: AtomicUsize,
    start_pfn: AtomicUsize,
    nr_pages: AtomicUsize,
    bad_range: AtomicBool,
}

impl Recorder {
    fn new(seq: &'static AtomicU32) -> Self {
        Recorder {
            seq,
            events: Default::default(),
            at: Default::default(),
            len: AtomicUsize::new(0),
            start_pfn: AtomicUsize::new(0),
            nr_pages: AtomicUsize::new(0),
            bad_range: AtomicBool::new(false),
        }
    }

    fn event(&self, i: usize) -> Option<(u32, u32)> {
        (i < self.len.load(Relaxed).min(8))
            .then(|| (self.events[i].load(Relaxed), self.at[i].load(Relaxed)))
    }
}

impl MemoryHotplugHandler for Recorder {
    fn notify(&self, action: MemAction, arg: &MemoryNotify) -> Result {
        let expect = (self.start_pfn.load(Relaxed), self.nr_pages.load(Relaxed));
        if (arg.start_pfn, arg.nr_pages) != expect {
            self.bad_range.store(true, Relaxed);
        }
        let i = self.len.fetch_add(1, Relaxed);
        if i < 8 {
            self.events[i].store(action as u32, Relaxed);
            self.at[i].store(self.seq.fetch_add(1, Relaxed), Relaxed);
        }
        Ok(())
    }
}

/// Offlining and onlining a real memory block reaches registered notifiers with the block's
/// pfn range, in order of the events and of the notifiers' priorities.
fn notifier_round_trip() {
    let Some(block) = crate::params::kunit_memblock() else {
        return skip(c_str!("no kunit_memblock= given"));
    };
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let nr_pages = memory_block_size_bytes() / kernel::page::PAGE_SIZE;
    let (high, low) = (Recorder::new(&SEQ), Recorder::new(&SEQ));
    for r in [&high, &low] {
        r.start_pfn.store(block as usize * nr_pages, Relaxed);
        r.nr_pages.store(nr_pages, Relaxed);
    }
    let high = KBox::pin_init(MemoryNotifier::register(high, 20), GFP_KERNEL);
    let low = KBox::pin_init(MemoryNotifier::register(low, -20), GFP_KERNEL);
    let (Ok(high), Ok(low)) = (high, low) else {
        return kunit_expect!(false, "registering the notifiers failed");
    };
    let Ok(path) = CString::try_from_fmt(fmt!("/sys/devices/system/memory/memory{block}/state"))
    else {
        return kunit_expect!(false, "out of memory");
    };
    let offline = write_file(&path, "offline");
    kunit_expect!(offline.is_ok(), "offline memory{}: {:?}", block, offline);
    let online = write_file(&path, "online_movable");
    kunit_expect!(online.is_ok(), "online memory{}: {:?}", block, online);

    // 6.12 sends FINISH_OFFLINE after OFFLINE and PREPARE_ONLINE before GOING_ONLINE for every
    // block, not only for blocks with their memmap on memory (memory_block_offline/online()).
    let want = [
        MemAction::GoingOffline,
        MemAction::Offline,
        MemAction::FinishOffline,
        MemAction::PrepareOnline,
        MemAction::GoingOnline,
        MemAction::Online,
    ];
    for r in [high.handler(), low.handler()] {
        kunit_expect_eq!(r.len.load(Relaxed), want.len());
        kunit_expect!(!r.bad_range.load(Relaxed));
        for (i, action) in want.iter().enumerate() {
            kunit_expect_eq!(r.event(i).map(|e| e.0), Some(*action as u32));
        }
    }
    // Each event reached the priority-20 notifier before the priority -20 one.
    for (i, _) in want.iter().enumerate() {
        let (h, l) = (high.handler().event(i), low.handler().event(i));
        kunit_expect!(matches!((h, l), (Some(h), Some(l)) if h.1 < l.1));
    }
}

/// A pageblock chunk from ZONE_MOVABLE: aligned, contiguous, split into order-0 pages with one
/// reference each, and the per-page operations pcpool relies on work on every page.
fn page_chunk_round_trip() {
    let order = pageblock_order();
    let owner = match Chunk::alloc(NUMA_NO_NODE, order, ZoneKind::Movable) {
        Ok(c) => c,
        Err(e) => return kunit_expect!(false, "Chunk::alloc(order {}): {:?}", order, e),
    };
    let chunk = owner.pages();
    let start = chunk.start_pfn();
    kunit_expect_eq!(chunk.nr_pages(), 1 << order);
    kunit_expect_eq!(start % chunk.nr_pages(), 0);
    kunit_expect!(chunk.page(start + chunk.nr_pages()).is_none());
    kunit_expect!(start == 0 || chunk.page(start - 1).is_none());

    let (mut next_pfn, mut next_addr, mut bad) = (start, None, 0u32);
    for page in chunk.iter() {
        let ok = page.pfn() == next_pfn
            && next_addr.map_or(true, |a| a == page.address())
            && page.zone() == Some(ZoneKind::Movable)
            && page.ref_count() == 1
            && !page.is_offline();
        page.set_offline();
        let offline = page.is_offline();
        let zero = page.ref_dec_and_test() && page.ref_count() == 0;
        page.ref_inc();
        page.clear_offline();
        if !(ok && offline && zero && page.ref_count() == 1 && !page.is_offline()) {
            bad += 1;
        }
        next_pfn += 1;
        next_addr = Some(page.address() + kernel::page::PAGE_SIZE);
    }
    kunit_expect_eq!(next_pfn, start + chunk.nr_pages());
    kunit_expect_eq!(bad, 0);

    if let Some(page) = chunk.page(start + 1) {
        page.fill(0xa5);
        kunit_expect!(page.all_bytes_are(0xa5));
        page.zero();
        kunit_expect!(page.all_bytes_are(0));
    }
}

kunit_suite!(
    pcpool_ffi,
    [
        percpu_slots_are_distinct,
        percpu_drops_every_slot,
        on_each_cpu_runs_once_per_online_cpu,
        irq_section_disables_irqs_and_pins,
        inline_primitives_match_c_macros,
        page_chunk_round_trip,
        notifier_round_trip,
    ]
);
