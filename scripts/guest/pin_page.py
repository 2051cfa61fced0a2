#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Pins one anonymous page of memory block N (argv[1]) with vmsplice(), so
that an offline of that block cannot migrate it and retries until a signal:
how the tests get an offline that is stuck after the notifiers accepted it.
Touches anonymous memory until a page lands in the block (its pfn from
/proc/self/pagemap), splices that page into a pipe (the pipe holds a
reference), unmaps the rest, prints "pinned pfn 0x...", and holds the page
until a signal ends it. Prints "none" if no page landed
there within 1 GiB."""

import ctypes
import mmap
import os
import signal
import sys

MEM = "/sys/devices/system/memory"
PAGE = os.sysconf("SC_PAGESIZE")
STEP = 2 << 20
_libc = ctypes.CDLL(None, use_errno=True)
_SYS_vmsplice = 278  # x86_64


class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def main():
    block = int(sys.argv[1])
    per_block = int(open(f"{MEM}/block_size_bytes").read(), 16) // PAGE
    pagemap = os.open("/proc/self/pagemap", os.O_RDONLY)
    _libc.mmap.restype = ctypes.c_void_p
    _libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                           ctypes.c_int, ctypes.c_long]
    _libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    maps, found = [], None
    for _ in range((1 << 30) // STEP):
        addr = _libc.mmap(None, STEP, mmap.PROT_READ | mmap.PROT_WRITE,
                          mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
        maps.append(addr)
        ctypes.memset(addr, 1, STEP)
        entries = os.pread(pagemap, 8 * (STEP // PAGE), 8 * (addr // PAGE))
        for i in range(STEP // PAGE):
            e = int.from_bytes(entries[8 * i:8 * i + 8], "little")
            if e >> 63 and (e & ((1 << 55) - 1)) // per_block == block:
                found = (addr, addr + i * PAGE, e & ((1 << 55) - 1))
                break
        if found:
            break
    if not found:
        print("none", flush=True)
        return 1
    keep, page, pfn = found
    r, w = os.pipe()
    iov = IoVec(page, PAGE)
    if _libc.syscall(_SYS_vmsplice, w, ctypes.byref(iov), 1, 0) != PAGE:
        print(f"vmsplice failed: {os.strerror(ctypes.get_errno())}", flush=True)
        return 1
    for addr in maps:
        if addr != keep:
            _libc.munmap(addr, STEP)
    print(f"pinned pfn {pfn:#x}", flush=True)
    signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
