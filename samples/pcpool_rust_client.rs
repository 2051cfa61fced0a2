// SPDX-License-Identifier: GPL-2.0

//! A Rust client of pcpool: allocates zeroed pages through the exported C API, checks them and
//! frees them, in safe Rust on top of `ffi` (the sample's own small binding layer).

#[path = "rust_client/ffi.rs"]
mod ffi;

use kernel::{c_str, prelude::*};

module! {
    type: RustClient,
    name: "pcpool_rust_client",
    author: "pcpool developers",
    description: "pcpool sample: a Rust client",
    license: "GPL",
}

struct RustClient {
    _client: ffi::Client,
}

impl kernel::Module for RustClient {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let client = ffi::Client::register(c_str!("pcpool_rust_client"))?;
        let mut pages = KVec::new();
        let mut bad = 0;
        for _ in 0..32 {
            let mut page = client.alloc(ffi::ZERO | ffi::MAY_GROW).ok_or(ENOMEM)?;
            bad += usize::from(!page.all_bytes_are(0));
            page.fill(0x3c);
            pages.push(page, GFP_KERNEL)?;
        }
        bad += pages.iter().filter(|p| !p.all_bytes_are(0x3c)).count();
        let n = pages.len();
        for page in pages {
            client.free(page)?;
        }
        pr_info!(
            "{} pages allocated, {} not as expected, client holds {}\n",
            n,
            bad,
            client.held()
        );
        if bad != 0 {
            return Err(EIO);
        }
        Ok(RustClient { _client: client })
    }
}
