// SPDX-License-Identifier: GPL-2.0

//! The Rust sample's binding to pcpool's C API (include/pcpool.h): the only `unsafe` of the
//! sample.

use core::ptr::NonNull;
use kernel::{bindings, ffi::c_char, prelude::*, str::CStr};

/// `PCPOOL_ZERO`.
pub(crate) const ZERO: u32 = 0x1;
/// `PCPOOL_MAY_GROW`.
pub(crate) const MAY_GROW: u32 = 0x2;

#[repr(C)]
struct RawClient {
    _opaque: [u8; 0],
}

#[allow(improper_ctypes)]
extern "C" {
    fn pcpool_client_register(name: *const c_char) -> *mut RawClient;
    fn pcpool_client_unregister(client: *mut RawClient) -> i32;
    fn pcpool_client_held(client: *const RawClient) -> isize;
    fn pcpool_alloc_page(client: *mut RawClient, flags: u32) -> *mut bindings::page;
    fn pcpool_free_page(client: *mut RawClient, page: *mut bindings::page) -> i32;
    fn pcpool_page_address(page: *mut bindings::page) -> *mut u8;
}

/// A registered pcpool client; unregistered on drop.
///
/// # Invariants
///
/// `raw` is a client from `pcpool_client_register()`, not yet unregistered.
pub(crate) struct Client {
    raw: NonNull<RawClient>,
}

// SAFETY: pcpool's client calls may come from any thread.
unsafe impl Send for Client {}
// SAFETY: as above; the client's state is per-CPU and atomic in pcpool.
unsafe impl Sync for Client {}

/// A page from the pool, owned until given back with [`Client::free`].
///
/// # Invariants
///
/// `page` is a page pcpool allocated to us and that we have not freed.
pub(crate) struct Page {
    page: NonNull<bindings::page>,
}

impl Client {
    /// `pcpool_client_register()`.
    pub(crate) fn register(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated; pcpool copies it.
        let raw = unsafe { pcpool_client_register(name.as_char_ptr()) };
        // `IS_ERR()`: the last page of the address space holds error codes.
        if raw.is_null() || raw as usize >= (-4095isize) as usize {
            return Err(ENOMEM);
        }
        // INVARIANT: registered just now.
        Ok(Self {
            // SAFETY: checked non-null above.
            raw: unsafe { NonNull::new_unchecked(raw) },
        })
    }

    /// `pcpool_alloc_page()`.
    pub(crate) fn alloc(&self, flags: u32) -> Option<Page> {
        // SAFETY: a registered client (type invariant); the flags are pcpool's.
        let page = unsafe { pcpool_alloc_page(self.raw.as_ptr(), flags) };
        // INVARIANT: allocated to us just now.
        NonNull::new(page).map(|page| Page { page })
    }

    /// `pcpool_free_page()`.
    pub(crate) fn free(&self, page: Page) -> Result {
        // SAFETY: a registered client and a page it holds (type invariants).
        match unsafe { pcpool_free_page(self.raw.as_ptr(), page.page.as_ptr()) } {
            0 => Ok(()),
            _ => Err(EINVAL),
        }
    }

    /// `pcpool_client_held()`.
    pub(crate) fn held(&self) -> isize {
        // SAFETY: a registered client (type invariant).
        unsafe { pcpool_client_held(self.raw.as_ptr()) }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: a registered client (type invariant). Should a `Page` have been leaked,
        // pcpool refuses, logs it and stays loaded, which is the safe outcome.
        unsafe { pcpool_client_unregister(self.raw.as_ptr()) };
    }
}

impl Page {
    fn bytes(&self) -> &[u8] {
        // SAFETY: the page is ours (type invariant) and in the direct map; we hold `&self`.
        unsafe { core::slice::from_raw_parts(pcpool_page_address(self.page.as_ptr()), 4096) }
    }

    /// Sets every byte.
    pub(crate) fn fill(&mut self, byte: u8) {
        // SAFETY: the page is ours (type invariant), mapped, and `&mut self` is exclusive.
        unsafe { core::ptr::write_bytes(pcpool_page_address(self.page.as_ptr()), byte, 4096) };
    }

    /// Whether every byte is `byte`.
    pub(crate) fn all_bytes_are(&self, byte: u8) -> bool {
        self.bytes().iter().all(|&b| b == byte)
    }
}
