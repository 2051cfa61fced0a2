// SPDX-License-Identifier: GPL-2.0

//! CPU hotplug: the pool's pagesets follow CPUs going down and coming up.

use super::{DelayPoint, Drain, Pool, PoolNodes};
use crate::compat::{
    cpuhp::{CpuHotplugHandler, NotRunning},
    irq::with_irqs_off,
};
use kernel::sync::Arc;

/// Every zone's pagesets across CPU hotplug. A zone is built and torn down with CPU hotplug
/// held off (memory hotplug holds it, and so does the module's init), so each callback sees
/// the zones the last one saw, or new ones, whose pagesets start empty with the current marks.
impl<D: Drain> CpuHotplugHandler for Arc<PoolNodes<D>> {
    fn prepare(&self, cpu: &NotRunning) {
        for (_, pool) in self.zones() {
            pool.cpu_prepare(cpu);
        }
    }

    fn dead(&self, cpu: &NotRunning) {
        for (_, pool) in self.zones() {
            pool.cpu_dead(cpu);
        }
    }
}

/// A zone's pagesets across CPU hotplug (`page_alloc_cpu_dead()`): a dead CPU's pageset goes
/// back to the zone, since `on_each_cpu` cannot reach it; a CPU about to boot gets the current
/// marks, which an update made while it was down did not reach.
impl<D: Drain> Pool<D> {
    fn cpu_prepare(&self, cpu: &NotRunning) {
        // CPU hotplug is held from here until the CPU is online, and every update of the marks
        // holds it off (`cpus_read_lock()`, or memory hotplug's) from its change to its
        // `on_each_cpu` round: so an update either ran before (we read its marks, under the pcp
        // mutex) or runs after (its round reaches this CPU). While the pagesets are disabled,
        // the CPU starts disabled too, so `pcp_disable`'s promise covers it.
        let config = self.pcp_lock.lock();
        let (high, batch) = if config.disabled {
            (0, 1)
        } else {
            (config.high, config.batch)
        };
        with_irqs_off(|irqs| self.pcp.not_running(cpu, irqs).set_high_batch(high, batch));
        drop(config);
        self.injected_delay(DelayPoint::CpuPrepare, || true);
    }

    fn cpu_dead(&self, cpu: &NotRunning) {
        with_irqs_off(|irqs| {
            let mut pcp = self.pcp.not_running(cpu, irqs);
            let n = pcp.count();
            self.flush(irqs, &mut pcp, n);
        });
    }
}
