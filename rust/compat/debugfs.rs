// SPDX-License-Identifier: GPL-2.0

//! Superseded by `kernel::debugfs` (6.17).
//!
//! debugfs directories whose files are served by Rust: a `show` for reads (through
//! `seq_file`) and a `write` for small commands. 6.12's `kernel` crate has no debugfs.

use super::sys;
use core::{fmt, marker::PhantomData, mem::offset_of, ptr::NonNull};
use kernel::{
    bindings,
    ffi::{c_char, c_int, c_uint, c_void},
    init,
    prelude::*,
    str::CStr,
};

/// Where a `show` writes: the `seq_file` of the read.
pub(crate) struct SeqFile<'a> {
    m: NonNull<bindings::seq_file>,
    _borrow: PhantomData<&'a mut bindings::seq_file>,
}

impl SeqFile<'_> {
    /// Appends formatted text (`seq_printf(m, "%pA", ...)`).
    pub(crate) fn print(&mut self, args: fmt::Arguments<'_>) {
        // SAFETY: `m` is the live `seq_file` of this read (it outlives `'a`); `%pA` takes the
        // `fmt::Arguments`, alive for the call.
        unsafe {
            sys::pcpool_seq_print(self.m.as_ptr(), (&args as *const fmt::Arguments<'_>).cast())
        };
    }
}

/// `seq_print!(out, "fmt", args...)`: formatted output to a [`SeqFile`].
macro_rules! seq_print {
    ($out:expr, $($arg:tt)+) => {
        $out.print(format_args!($($arg)+))
    };
}
pub(crate) use seq_print;

/// A file of a [`Debugfs`] directory.
pub(crate) struct FileSpec {
    /// File name.
    pub(crate) name: &'static CStr,
    /// Mode: 0400/0444 for read-only files, 0600/0200 for knobs.
    pub(crate) mode: u16,
    /// The id [`DebugfsFiles`] sees.
    pub(crate) id: u32,
}

/// What a [`Debugfs`] directory's files do. Both may sleep.
pub(crate) trait DebugfsFiles: Sync {
    /// Prints file `id`.
    fn show(&self, id: u32, out: &mut SeqFile<'_>) -> Result;
    /// Handles a write of `input` (at most 63 bytes) to file `id`.
    fn write(&self, id: u32, input: &str) -> Result;
}

/// `struct pcpool_dfile`, asserted in rust/helpers/debugfs.c.
#[repr(C)]
struct RawFile {
    name: *const c_char,
    owner: *const c_void,
    show: Option<unsafe extern "C" fn(*mut bindings::seq_file, *const c_void, c_uint) -> c_int>,
    write: Option<unsafe extern "C" fn(*const c_void, c_uint, *const c_char, usize) -> c_int>,
    id: c_uint,
    mode: u16,
}

const _: () = {
    assert!(offset_of!(RawFile, name) == 0);
    assert!(offset_of!(RawFile, owner) == 8);
    assert!(offset_of!(RawFile, show) == 16);
    assert!(offset_of!(RawFile, write) == 24);
    assert!(offset_of!(RawFile, id) == 32);
    assert!(offset_of!(RawFile, mode) == 36);
    assert!(core::mem::size_of::<RawFile>() == 40);
};

/// A debugfs directory `/sys/kernel/debug/<name>` with files served by `data`. Dropping it
/// removes the directory and waits for running callbacks.
///
/// # Invariants
///
/// `dir` is the directory `pcpool_debugfs_create()` made over `files`, whose `owner` is
/// `&self.data`; `files` is neither moved nor changed while `dir` exists.
#[pin_data(PinnedDrop)]
pub(crate) struct Debugfs<T: DebugfsFiles> {
    data: T,
    files: KVec<RawFile>,
    dir: *mut bindings::dentry,
}

// SAFETY: the raw pointers are only used by the debugfs callbacks, which share `&T`
// (`T: Sync`), and by `drop`.
unsafe impl<T: DebugfsFiles + Send> Send for Debugfs<T> {}
// SAFETY: `&Debugfs` gives only `&T`, and `T: Sync`.
unsafe impl<T: DebugfsFiles> Sync for Debugfs<T> {}

impl<T: DebugfsFiles> Debugfs<T> {
    /// Creates `/sys/kernel/debug/<name>` with the files `specs`, served by `data`.
    pub(crate) fn new(
        name: &'static CStr,
        data: T,
        specs: &'static [FileSpec],
    ) -> impl PinInit<Self, Error> {
        let init = move |slot: *mut Self| {
            let mut files = KVec::with_capacity(specs.len(), GFP_KERNEL)?;
            // SAFETY: `slot` is valid for writes and pinned; `data` lives there from now on.
            unsafe { core::ptr::addr_of_mut!((*slot).data).write(data) };
            // SAFETY: just written.
            let owner = unsafe { core::ptr::addr_of!((*slot).data) }.cast::<c_void>();
            for spec in specs {
                let file = RawFile {
                    name: spec.name.as_char_ptr(),
                    owner,
                    show: Some(Self::show_raw),
                    write: Some(Self::write_raw),
                    id: spec.id,
                    mode: spec.mode,
                };
                if let Err(e) = files.push(file, GFP_KERNEL) {
                    // SAFETY: `data` was written above and nothing uses it yet.
                    unsafe { core::ptr::drop_in_place(core::ptr::addr_of_mut!((*slot).data)) };
                    return Err(e.into());
                }
            }
            // SAFETY: `name` is NUL-terminated; `files` stays in place (its heap buffer does
            // not move with the vector) until `drop` removes the directory.
            let dir = unsafe {
                sys::pcpool_debugfs_create(
                    name.as_char_ptr(),
                    files.as_mut_ptr().cast(),
                    files.len() as c_uint,
                )
            };
            // INVARIANT: `dir` serves `files`, whose owner is `data` in the same pinned slot.
            // SAFETY: `slot` is valid for writes.
            unsafe {
                core::ptr::addr_of_mut!((*slot).files).write(files);
                core::ptr::addr_of_mut!((*slot).dir).write(dir.cast());
            }
            Ok(())
        };
        // SAFETY: on success every field is written; on failure none is left initialised.
        unsafe { init::pin_init_from_closure(init) }
    }

    /// # Safety
    ///
    /// `owner` is the `&T` of a live `Debugfs<T>` and `m` the `seq_file` of a read.
    unsafe extern "C" fn show_raw(
        m: *mut bindings::seq_file,
        owner: *const c_void,
        id: c_uint,
    ) -> c_int {
        // SAFETY: see the function's safety section; debugfs keeps the file (and so the
        // directory's owner) alive during the callback.
        let data = unsafe { &*owner.cast::<T>() };
        let mut out = SeqFile {
            // SAFETY: `m` is non-null for a read.
            m: unsafe { NonNull::new_unchecked(m) },
            _borrow: PhantomData,
        };
        match data.show(id, &mut out) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `owner` is the `&T` of a live `Debugfs<T>`, `buf` holds `len` bytes and a NUL.
    unsafe extern "C" fn write_raw(
        owner: *const c_void,
        id: c_uint,
        buf: *const c_char,
        len: usize,
    ) -> c_int {
        // SAFETY: as in `show_raw`.
        let data = unsafe { &*owner.cast::<T>() };
        // SAFETY: `buf` holds `len` bytes.
        let bytes = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) };
        let result = match core::str::from_utf8(bytes) {
            Ok(input) => data.write(id, input),
            Err(_) => {
                pr_err!("write refused: the input is not UTF-8 text\n");
                Err(EINVAL)
            }
        };
        match result {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }
}

#[pinned_drop]
impl<T: DebugfsFiles> PinnedDrop for Debugfs<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `dir` came from `pcpool_debugfs_create()` (type invariant); removal waits for
        // running callbacks, so none uses `data` or `files` afterwards.
        unsafe { sys::pcpool_debugfs_remove(self.dir.cast()) };
    }
}
