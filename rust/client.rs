// SPDX-License-Identifier: GPL-2.0

//! The exported C API (`include/pcpool.h`) and its clients.
//!
//! A client's handle is a pointer to its [`Client`], valid until pcpool unloads: unregister
//! retires the client but keeps it, so a late call through the handle is refused, never a
//! use-after-free. A module that still holds a handle links against pcpool's symbols, so
//! pcpool cannot unload before it.
//!
//! Who holds a page is recorded once, with the page (the owner id in its [`PageWord`]). A client's
//! per-CPU `held` count follows that record: it changes in the IRQs-off section that sets or
//! clears the owner, as the page is taken or freed.
//!
//! Unregister against allocation: an allocation asks whether its client is live in the
//! IRQs-off section that takes the page and counts it ([`Holder::admit`]). Unregister marks the
//! client unregistering, then waits for the IRQs-off sections in progress to end
//! (`synchronize_rcu()`, which waits for them as for RCU readers). After that no allocation
//! can count a page for the client, so the count it reads holds still; a free only lowers it.
//!
//! [`PageWord`]: crate::page_list::PageWord

use crate::chunk::{RawPage, NUMA_NO_NODE};
use crate::compat::{
    irq::IrqDisabled, module::ModuleRef, node::nr_node_ids, percpu::PerCpu,
    ratelimit::pr_err_ratelimited, rcu::synchronize_rcu,
};
use crate::pool::{
    AllocFlags, Drain, FreeRefused, Holder, Ipi, Pageblock, PoolNodes, Remote, Workqueue,
};
use core::{
    ptr::{self, NonNull},
    sync::atomic::{AtomicIsize, AtomicPtr, AtomicU8, Ordering},
};
use kernel::{
    bindings,
    error::to_result,
    ffi::{c_char, c_int, c_long, c_uint, c_void},
    new_mutex,
    prelude::*,
    str::CStr,
    sync::{Arc, Mutex},
};

/// `PCPOOL_ZERO`.
const ZERO: c_uint = 0x1;
/// `PCPOOL_MAY_GROW`.
const MAY_GROW: c_uint = 0x2;

/// `MAX_ERRNO`: an `ERR_PTR()` is one of the last 4095 addresses.
const MAX_ERRNO: isize = 4095;

/// Client ids are 1..=`MAX_CLIENTS` (0 is the pool's in-kernel users).
pub(crate) const MAX_CLIENTS: usize = 1024;

/// `pcpool_migrate_t`.
type MigrateFn = unsafe extern "C" fn(
    *mut Client,
    *mut bindings::page,
    *mut bindings::page,
    *mut c_void,
) -> c_int;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum State {
    Live = 0,
    Unregistering = 1,
    Dead = 2,
}

/// A registered client (`struct pcpool_client` to C).
pub(crate) struct Client {
    id: u16,
    /// NUL-terminated.
    name: [u8; 32],
    state: AtomicU8,
    /// Pages taken minus pages freed, per CPU; only a CPU's own IRQs-off sections write its
    /// slot, so a plain load and store is enough there.
    held: PerCpu<AtomicIsize>,
}

impl Client {
    fn name(&self) -> &CStr {
        CStr::from_bytes_with_nul(
            &self.name[..=self.name.iter().position(|&b| b == 0).unwrap_or(31)],
        )
        .unwrap_or(kernel::c_str!("?"))
    }

    fn state(&self) -> State {
        match self.state.load(Ordering::Acquire) {
            0 => State::Live,
            1 => State::Unregistering,
            _ => State::Dead,
        }
    }

    fn held(&self) -> isize {
        crate::compat::cpu::possible_cpus()
            .map(|cpu| self.held.remote(cpu).load(Ordering::Relaxed))
            .sum()
    }
}

impl Holder for Client {
    #[inline(always)]
    fn id(&self) -> u16 {
        self.id
    }

    #[inline(always)]
    fn admit(&self, _irqs: IrqDisabled<'_>) -> bool {
        self.state.load(Ordering::Relaxed) == State::Live as u8
    }

    #[inline(always)]
    fn count(&self, irqs: IrqDisabled<'_>, pages: isize) {
        let held = self.held.local(irqs);
        // A CPU's share may go below zero (pages freed on another CPU than they were taken
        // on), but the sum of all shares is a page count, far from the limits.
        held.store(
            held.load(Ordering::Relaxed).wrapping_add(pages),
            Ordering::Relaxed,
        );
    }
}

/// A client's migrate callback and its argument.
struct Migrate {
    call: MigrateFn,
    arg: *mut c_void,
}

/// A registered client, as the registry keeps it.
struct Registered {
    client: Pin<KBox<Client>>,
    migrate: Option<Migrate>,
    /// Holds pcpool loaded while the client is registered.
    _module: ModuleRef,
}

/// The registry, under its mutex.
struct Clients {
    /// By id (index 0 unused).
    live: KVec<Option<Registered>>,
    /// Unregistered clients, kept until unload so that their handles stay readable.
    retired: KVec<Pin<KBox<Client>>>,
}

impl Clients {
    fn live(&self) -> impl Iterator<Item = &Registered> {
        self.live.iter().flatten()
    }

    fn get(&mut self, id: u16) -> Option<&mut Registered> {
        self.live.get_mut(usize::from(id))?.as_mut()
    }
}

// SAFETY: `Migrate::arg` is the client's own pointer, which pcpool only passes back to the
// client's callback; the rest is `Send`.
unsafe impl Send for Clients {}

/// The pool the C API serves, of the drain strategy chosen at load: one `match` per call, and
/// each arm the pool's own code for that strategy.
pub(crate) enum ApiPool {
    Ipi(Arc<PoolNodes<Ipi>>),
    Pageblock(Arc<PoolNodes<Pageblock>>),
    Remote(Arc<PoolNodes<Remote>>),
    Workqueue(Arc<PoolNodes<Workqueue>>),
}

macro_rules! api_pool_from {
    ($($d:ident),*) => {$(
        impl From<Arc<PoolNodes<$d>>> for ApiPool {
            fn from(pool: Arc<PoolNodes<$d>>) -> Self {
                Self::$d(pool)
            }
        }
    )*};
}

api_pool_from!(Ipi, Pageblock, Remote, Workqueue);

/// `$body` with `$pool` bound to the pool of `$api`, whatever its strategy.
macro_rules! with_pool {
    ($api:expr, $pool:ident => $body:expr) => {
        match &$api.pool {
            ApiPool::Ipi($pool) => $body,
            ApiPool::Pageblock($pool) => $body,
            ApiPool::Remote($pool) => $body,
            ApiPool::Workqueue($pool) => $body,
        }
    };
}

/// The C API's state while pcpool is loaded.
#[pin_data]
pub(crate) struct Api {
    pool: ApiPool,
    #[pin]
    clients: Mutex<Clients>,
    /// Live clients by id, readable in any context (a retired one is still valid memory).
    ids: KVec<AtomicPtr<Client>>,
}

/// The published [`Api`]: set before any client can call (clients resolve pcpool's symbols
/// only once its init has returned), cleared at unload, after the last client module is gone.
static API: AtomicPtr<Api> = AtomicPtr::new(ptr::null_mut());

fn api<'a>() -> Option<&'a Api> {
    // SAFETY: a published `Api` stays valid until `ApiRegistration::drop`, which runs when no
    // module linked against pcpool is loaded, so when no call can be in progress.
    unsafe { API.load(Ordering::Acquire).as_ref() }
}

/// Publishes the C API for `pool`; unpublishes it, and frees every client, on drop.
///
/// # Invariants
///
/// `api` is the leaked `Pin<KBox<Api>>` published in [`API`].
pub(crate) struct ApiRegistration {
    api: NonNull<Api>,
}

// SAFETY: the pointer is only used in `drop`.
unsafe impl Send for ApiRegistration {}
// SAFETY: `&ApiRegistration` allows nothing.
unsafe impl Sync for ApiRegistration {}

impl ApiRegistration {
    /// Publishes the C API for `pool`; `EBUSY` if it is published already.
    pub(crate) fn new<D: Drain>(pool: Arc<PoolNodes<D>>) -> Result<Self>
    where
        Arc<PoolNodes<D>>: Into<ApiPool>,
    {
        let pool = pool.into();
        let mut ids = KVec::with_capacity(MAX_CLIENTS + 1, GFP_KERNEL)?;
        let mut live = KVec::with_capacity(MAX_CLIENTS + 1, GFP_KERNEL)?;
        for _ in 0..=MAX_CLIENTS {
            ids.push(AtomicPtr::new(ptr::null_mut()), GFP_KERNEL)?;
            live.push(None, GFP_KERNEL)?;
        }
        let api = KBox::pin_init(
            try_pin_init!(Api {
                pool,
                clients <- new_mutex!(Clients {
                    live,
                    retired: KVec::new(),
                }),
                ids,
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: the box is leaked here and taken back, without moving it, in `drop`.
        let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(api) });
        if API
            .compare_exchange(ptr::null_mut(), raw, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            // SAFETY: not published, so ours alone.
            drop(unsafe { KBox::from_raw(raw) });
            return Err(EBUSY);
        }
        // INVARIANT: published just above.
        Ok(Self {
            // SAFETY: `KBox::into_raw` never returns null.
            api: unsafe { NonNull::new_unchecked(raw) },
        })
    }
}

impl Drop for ApiRegistration {
    fn drop(&mut self) {
        API.store(ptr::null_mut(), Ordering::Release);
        // SAFETY: leaked by `new` (type invariant) and unpublished; no call can be in progress
        // (see `api()`). Dropping it frees the retired clients; no client is live, since each
        // holds pcpool loaded.
        drop(unsafe { KBox::from_raw(self.api.as_ptr()) });
    }
}

/// Logs each registered client that holds pages, and how many. Sleeps.
pub(crate) fn log_holders() {
    let Some(api) = api() else { return };
    for r in api.clients.lock().live() {
        let held = r.client.held();
        if held != 0 {
            pr_info!("client {} holds {} pages\n", r.client.name(), held);
        }
    }
}

/// Whether client `id` has a migrate callback. Sleeps.
pub(crate) fn can_migrate(id: u16) -> bool {
    api().is_some_and(|api| {
        api.clients
            .lock()
            .get(id)
            .is_some_and(|r| r.migrate.is_some())
    })
}

/// Asks client `id` to move from `old` to `new` (its migrate callback): `Ok` when it did,
/// `ENOENT` when it holds `old` no more or has no callback, or its error. Under the registry
/// mutex, so the client cannot unregister meanwhile. Sleeps.
pub(crate) fn migrate(id: u16, old: RawPage, new: RawPage) -> Result {
    let api = api().ok_or(ENOENT)?;
    let mut clients = api.clients.lock();
    let r = clients.get(id).ok_or(ENOENT)?;
    let m = r.migrate.as_ref().ok_or(ENOENT)?;
    let client: *const Client = &*r.client;
    // SAFETY: the callback and its argument are the client's own (`pcpool_client_set_migrate`),
    // called as `pcpool_migrate_t` says, with its handle and two pool pages.
    to_result(unsafe { (m.call)(client.cast_mut(), old.as_ptr(), new.as_ptr(), m.arg) })
}

/// The client behind a C handle, or `None` (logged) for NULL, an `ERR_PTR()` or an
/// unregistered client.
///
/// # Safety
///
/// `c` is NULL, an `ERR_PTR()`, or a handle `pcpool_client_register()` returned.
#[inline(always)]
unsafe fn client<'a>(c: *const Client, call: &str) -> Option<&'a Client> {
    // SAFETY: the caller's contract.
    let client = unsafe { handle(c, call) }?;
    if client.state() == State::Dead {
        refuse_handle(c, call);
        return None;
    }
    Some(client)
}

/// The client behind a C handle, registered or not, or `None` (logged) for NULL or an
/// `ERR_PTR()`: for a call that asks whether the client is live later anyway
/// ([`Holder::admit`]).
///
/// # Safety
///
/// As for [`client`].
#[inline(always)]
unsafe fn handle<'a>(c: *const Client, call: &str) -> Option<&'a Client> {
    if is_handle(c) {
        // SAFETY: a handle from `pcpool_client_register()` (the caller's contract), valid until
        // unload even once unregistered.
        return Some(unsafe { &*c });
    }
    refuse_handle(c, call);
    None
}

/// Whether `c` is neither NULL nor an `ERR_PTR()`: one comparison.
#[inline(always)]
fn is_handle(c: *const Client) -> bool {
    (c as usize).wrapping_sub(1) < (-MAX_ERRNO as usize).wrapping_sub(1)
}

/// Logs why handle `c` is refused.
#[cold]
#[inline(never)]
fn refuse_handle(c: *const Client, call: &str) {
    if c.is_null() {
        pr_err_ratelimited!("{}: NULL client handle refused\n", call);
    } else if c as usize >= -MAX_ERRNO as usize {
        pr_err_ratelimited!(
            "{}: invalid client handle -{:?} refused\n",
            call,
            Error::from_errno(c as isize as i32)
        );
    } else {
        // SAFETY: neither NULL nor an `ERR_PTR()`, so a handle from `pcpool_client_register()`
        // (the caller's contract), valid until unload.
        let client = unsafe { &*c };
        pr_err_ratelimited!(
            "{}: client {} is unregistered: call refused\n",
            call,
            client.name()
        );
    }
}

#[inline(always)]
fn alloc_flags(client: &Client, call: &str, flags: c_uint) -> Option<AllocFlags> {
    if flags & !(ZERO | MAY_GROW) != 0 {
        refuse_flags(client, call, flags);
        return None;
    }
    Some(AllocFlags {
        zero: flags & ZERO != 0,
        may_grow: flags & MAY_GROW != 0,
    })
}

#[cold]
#[inline(never)]
fn refuse_flags(client: &Client, call: &str, flags: c_uint) {
    pr_err_ratelimited!(
        "client {}: {}: unknown flags {:#x}\n",
        client.name(),
        call,
        flags
    );
}

/// After an allocation came back empty: logs why if `client` was refused ([`Holder::admit`]):
/// unregistered (a refused handle), or being unregistered.
#[cold]
#[inline(never)]
fn log_alloc_refused(client: &Client, call: &str) {
    if client.state() == State::Dead {
        refuse_handle(client, call);
    } else {
        log_if_unregistering(client, call);
    }
}

/// Logs a call refused because `client` is being unregistered, if it is.
#[cold]
#[inline(never)]
fn log_if_unregistering(client: &Client, call: &str) {
    if client.state() != State::Live {
        pr_err_ratelimited!(
            "{}: client {} is being unregistered: call refused\n",
            call,
            client.name()
        );
    }
}

/// Logs a free through `client` of `page`, which client `holder` holds.
#[cold]
#[inline(never)]
fn log_foreign_free(api: &Api, client: &Client, page: RawPage, holder: u16) {
    let other = api
        .ids
        .get(usize::from(holder))
        .map(|p| p.load(Ordering::Acquire))
        .filter(|p| !p.is_null());
    // SAFETY: a client in `ids` stays valid memory until unload (retired, not freed).
    let other = other.map(|p| unsafe { &*p });
    match other {
        Some(o) => pr_err_ratelimited!(
            "client {}: free of {:?} refused: client {} holds it\n",
            client.name(),
            page,
            o.name()
        ),
        None => pr_err_ratelimited!(
            "client {}: free of {:?} refused: an in-kernel user holds it\n",
            client.name(),
            page
        ),
    }
}

/// Logs a free through `client` that the pool refused for `why` (`None`: a NULL page). A page
/// that is not the pool's was logged by the pool.
#[cold]
#[inline(never)]
fn log_refused_free(api: &Api, client: &Client, page: Option<RawPage>, why: FreeRefused) {
    match (page, why) {
        (None, _) => pr_err_ratelimited!("free of a NULL page refused\n"),
        (Some(page), FreeRefused::HeldBy(holder)) => log_foreign_free(api, client, page, holder),
        (Some(_), FreeRefused::Invalid) => (),
    }
}

// The C API (include/pcpool.h). With tracing built in (`pcpool_trace`), the page calls are
// `pcpool_rust_*` and rust/helpers/module.c's trampolines export the C names.

/// The id of client `c` for a trace event, or 0 for NULL or an `ERR_PTR()`: never logs.
///
/// # Safety
///
/// `c` is NULL, an `ERR_PTR()` or a handle from [`pcpool_client_register`].
#[cfg(pcpool_trace)]
#[no_mangle]
unsafe extern "C" fn pcpool_client_trace_id(c: *const Client) -> u16 {
    if !is_handle(c) {
        return 0;
    }
    // SAFETY: a handle from `pcpool_client_register()` (the caller's contract), valid until
    // unload even once unregistered.
    unsafe { &*c }.id
}

/// # Safety
///
/// `name` is NULL or a NUL-terminated string.
#[no_mangle]
unsafe extern "C" fn pcpool_client_register(name: *const c_char) -> *mut Client {
    let Some(api) = api() else {
        return ERR_PTR(ENODEV);
    };
    let Some(module) = ModuleRef::try_get() else {
        return ERR_PTR(ENODEV);
    };
    let mut buf = [0u8; 32];
    if !name.is_null() {
        // SAFETY: NUL-terminated (the caller's contract).
        let name = unsafe { CStr::from_char_ptr(name) }.as_bytes();
        let n = name.len().min(31);
        buf[..n].copy_from_slice(&name[..n]);
    } else {
        buf[0] = b'?';
    }
    let mut clients = api.clients.lock();
    let Some(id) = (1..=MAX_CLIENTS).find(|&id| clients.live[id].is_none()) else {
        pr_err_ratelimited!(
            "client registration refused: {} clients are registered\n",
            MAX_CLIENTS
        );
        return ERR_PTR(ENOSPC);
    };
    let client = PerCpu::new(|_| AtomicIsize::new(0)).and_then(|held| {
        Ok(KBox::pin(
            Client {
                id: id as u16,
                name: buf,
                state: AtomicU8::new(State::Live as u8),
                held,
            },
            GFP_KERNEL,
        )?)
    });
    let client = match client {
        Ok(c) => c,
        Err(e) => return ERR_PTR(e),
    };
    let raw: *const Client = &*client;
    pr_info!("client {} registered\n", client.name());
    clients.live[id] = Some(Registered {
        client,
        migrate: None,
        _module: module,
    });
    api.ids[id].store(raw.cast_mut(), Ordering::Release);
    raw.cast_mut()
}

#[allow(non_snake_case)]
fn ERR_PTR<T>(e: Error) -> *mut T {
    e.to_errno() as isize as *mut T
}

/// # Safety
///
/// `c` is NULL, an `ERR_PTR()` or a handle from [`pcpool_client_register`].
#[no_mangle]
unsafe extern "C" fn pcpool_client_unregister(c: *mut Client) -> c_int {
    const CALL: &str = "pcpool_client_unregister";
    // SAFETY: the caller's contract.
    let (Some(api), Some(client)) = (api(), unsafe { client(c, CALL) }) else {
        return EINVAL.to_errno();
    };
    // One unregister at a time per client; a second one, or one after, is refused.
    if client
        .state
        .compare_exchange(
            State::Live as u8,
            State::Unregistering as u8,
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_err()
    {
        pr_err_ratelimited!(
            "{}: client {} is already being unregistered: refused\n",
            CALL,
            client.name()
        );
        return EINVAL.to_errno();
    }
    // Every allocation section that saw the client live has ended: the count holds still.
    synchronize_rcu();
    let held = client.held();
    if held != 0 {
        client.state.store(State::Live as u8, Ordering::Release);
        pr_err!(
            "client {} holds {} pages: unregister refused, pcpool stays loaded\n",
            client.name(),
            held
        );
        return EBUSY.to_errno();
    }
    let mut clients = api.clients.lock();
    if clients.retired.reserve(1, GFP_KERNEL).is_err() {
        client.state.store(State::Live as u8, Ordering::Release);
        return ENOMEM.to_errno();
    }
    let Some(r) = clients.live[usize::from(client.id)].take() else {
        return EINVAL.to_errno();
    };
    api.ids[usize::from(client.id)].store(ptr::null_mut(), Ordering::Release);
    client.state.store(State::Dead as u8, Ordering::Release);
    pr_info!("client {} unregistered\n", client.name());
    // Cannot fail: reserved above. The module reference goes with `r`.
    let _ = clients.retired.push(r.client, GFP_KERNEL);
    0
}

/// # Safety
///
/// `c` is NULL, an `ERR_PTR()` or a handle from [`pcpool_client_register`].
#[no_mangle]
unsafe extern "C" fn pcpool_client_held(c: *const Client) -> c_long {
    // SAFETY: the caller's contract.
    unsafe { client(c, "pcpool_client_held") }.map_or(0, |c| c.held() as c_long)
}

/// # Safety
///
/// `c` is NULL, an `ERR_PTR()` or a handle from [`pcpool_client_register`]; `call` is a
/// `pcpool_migrate_t` or NULL, which `arg` is passed to.
#[no_mangle]
unsafe extern "C" fn pcpool_client_set_migrate(
    c: *mut Client,
    call: Option<MigrateFn>,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: the caller's contract.
    let (Some(api), Some(client)) = (api(), unsafe { client(c, "pcpool_client_set_migrate") })
    else {
        return EINVAL.to_errno();
    };
    match api.clients.lock().get(client.id) {
        Some(r) => {
            r.migrate = call.map(|call| Migrate { call, arg });
            0
        }
        None => EINVAL.to_errno(),
    }
}

/// # Safety
///
/// `c` is NULL, an `ERR_PTR()` or a handle from [`pcpool_client_register`].
#[cfg_attr(pcpool_trace, export_name = "pcpool_rust_alloc_page")]
#[cfg_attr(not(pcpool_trace), no_mangle)]
unsafe extern "C" fn pcpool_alloc_page(c: *mut Client, flags: c_uint) -> *mut bindings::page {
    // SAFETY: the caller's contract.
    unsafe { alloc_page(c, flags, None, "pcpool_alloc_page") }
}

/// # Safety
///
/// `c` is NULL, an `ERR_PTR()` or a handle from [`pcpool_client_register`].
#[cfg_attr(pcpool_trace, export_name = "pcpool_rust_alloc_page_node")]
#[cfg_attr(not(pcpool_trace), no_mangle)]
unsafe extern "C" fn pcpool_alloc_page_node(
    c: *mut Client,
    flags: c_uint,
    nid: c_int,
) -> *mut bindings::page {
    const CALL: &str = "pcpool_alloc_page_node";
    let nid = match nid {
        NUMA_NO_NODE => None,
        nid if nid >= 0 && (nid as usize) < nr_node_ids() => Some(nid as usize),
        _ => {
            pr_err_ratelimited!(
                "{}: node {} refused: allowed NUMA_NO_NODE (-1) or 0..{}\n",
                CALL,
                nid,
                nr_node_ids()
            );
            return ptr::null_mut();
        }
    };
    // SAFETY: the caller's contract.
    unsafe { alloc_page(c, flags, nid, CALL) }
}

/// A page for client `c`, from node `nid` (or the calling CPU's) first.
///
/// # Safety
///
/// `c` is NULL, an `ERR_PTR()` or a handle from [`pcpool_client_register`].
#[inline(always)]
unsafe fn alloc_page(
    c: *mut Client,
    flags: c_uint,
    nid: Option<usize>,
    call: &str,
) -> *mut bindings::page {
    // SAFETY: the caller's contract. An unregistered client is refused by `admit`.
    let (Some(api), Some(client)) = (api(), unsafe { handle(c, call) }) else {
        return ptr::null_mut();
    };
    let Some(flags) = alloc_flags(client, call, flags) else {
        return ptr::null_mut();
    };
    match with_pool!(api, pool => pool.alloc_for(flags, nid, client)) {
        Some(page) => page.as_ptr(),
        None => {
            log_alloc_refused(client, call);
            ptr::null_mut()
        }
    }
}

/// # Safety
///
/// `c` is NULL, an `ERR_PTR()` or a handle from [`pcpool_client_register`]; `page` may be any
/// value.
#[cfg_attr(pcpool_trace, export_name = "pcpool_rust_free_page")]
#[cfg_attr(not(pcpool_trace), no_mangle)]
unsafe extern "C" fn pcpool_free_page(c: *mut Client, page: *mut bindings::page) -> c_int {
    // SAFETY: the caller's contract.
    let (Some(api), Some(client)) = (api(), unsafe { client(c, "pcpool_free_page") }) else {
        return EINVAL.to_errno();
    };
    let page = RawPage::from_ptr(page);
    let freed = page.map_or(
        Err(FreeRefused::Invalid),
        |p| with_pool!(api, pool => pool.free_for(p, client)),
    );
    match freed {
        Ok(()) => 0,
        Err(why) => {
            log_refused_free(api, client, page, why);
            EINVAL.to_errno()
        }
    }
}

/// # Safety
///
/// `c` is NULL, an `ERR_PTR()` or a handle from [`pcpool_client_register`]; `pages` is NULL or
/// holds `nr` writable entries.
#[cfg_attr(pcpool_trace, export_name = "pcpool_rust_alloc_bulk")]
#[cfg_attr(not(pcpool_trace), no_mangle)]
unsafe extern "C" fn pcpool_alloc_bulk(
    c: *mut Client,
    flags: c_uint,
    nr: c_uint,
    pages: *mut *mut bindings::page,
) -> c_uint {
    const CALL: &str = "pcpool_alloc_bulk";
    // SAFETY: the caller's contract.
    let (Some(api), Some(client)) = (api(), unsafe { client(c, CALL) }) else {
        return 0;
    };
    let Some(flags) = alloc_flags(client, CALL, flags) else {
        return 0;
    };
    if pages.is_null() {
        return 0;
    }
    // SAFETY: `pages` holds `nr` entries (the caller's contract); `Option<RawPage>` has the
    // layout of a nullable `struct page *`.
    let out =
        unsafe { core::slice::from_raw_parts_mut(pages.cast::<Option<RawPage>>(), nr as usize) };
    let n = with_pool!(api, pool => pool.alloc_bulk_for(flags, None, client, out));
    if n < out.len() {
        log_if_unregistering(client, CALL);
    }
    n as c_uint
}

/// # Safety
///
/// `c` is NULL, an `ERR_PTR()` or a handle from [`pcpool_client_register`]; `pages` is NULL or
/// holds `nr` entries.
#[cfg_attr(pcpool_trace, export_name = "pcpool_rust_free_bulk")]
#[cfg_attr(not(pcpool_trace), no_mangle)]
unsafe extern "C" fn pcpool_free_bulk(
    c: *mut Client,
    nr: c_uint,
    pages: *mut *mut bindings::page,
) -> c_uint {
    // SAFETY: the caller's contract.
    let (Some(api), Some(client)) = (api(), unsafe { client(c, "pcpool_free_bulk") }) else {
        return 0;
    };
    if pages.is_null() {
        return 0;
    }
    // SAFETY: `pages` holds `nr` entries (the caller's contract); `Option<RawPage>` has the
    // layout of a nullable `struct page *`.
    let pages =
        unsafe { core::slice::from_raw_parts(pages.cast::<Option<RawPage>>(), nr as usize) };
    // Each refused page is logged once.
    with_pool!(api, pool => pool.free_bulk_for(pages, client, |page, why| {
        log_refused_free(api, client, page, why)
    })) as c_uint
}
