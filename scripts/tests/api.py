#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The exported C API through the samples: a C client and a Rust client get
zeroed pages and give them back, the stress sample runs on every CPU while
the pool is scanned, and pcpool cannot be unloaded while a client holds
pages. A client that breaks the rules (a foreign page, a double free) is
refused, logged once per bad page, and leaves the pool consistent; so is a
free through another client's handle, and a call through a NULL, ERR_PTR or
unregistered handle."""

import re
import time

from pcpool_guest import (DEBUGFS, MODULE, TOP, Ktap, allocated, cat, consistent, insmod, kmsg_grep,
                          kmsg_in_order, kmsg_mark, kmsg_since, loaded, one_line, pcpool_lines, rmmod,
                          verify_line)

SAMPLES = f"{TOP}/samples"
# DEFAULT_RATELIMIT_INTERVAL, with a margin (rust/compat/ratelimit.rs).
RATELIMIT_INTERVAL_S = 5.5
NOT_OURS = r"pcpool: free of the page at pfn 0x[0-9a-f]* refused: not a page of the pool"


def wait_pcp_change():
    """Waits (30 s at most) until some CPU's pcp list has changed since the
    call: pages were allocated or freed meanwhile."""
    before = cat(f"{DEBUGFS}/pcp")
    end = time.time() + 30
    while cat(f"{DEBUGFS}/pcp") == before:
        if time.time() >= end:
            return False
        time.sleep(0.01)
    return True


def main():
    ktap = Ktap(14)

    kmsg_mark("api")
    if not insmod(MODULE, "initial_pages=512"):
        ktap.bail("insmod pcpool failed")

    if (insmod(f"{SAMPLES}/pcpool_client.ko", "hold=8")
            and kmsg_in_order("api", "pcpool_client: 64 pages allocated, 0 not as expected, 8 held, client holds 8")
            and allocated() == 8 and consistent()):
        ktap.ok("c_client")
    else:
        ktap.msg(f"{verify_line()}; log: {pcpool_lines('api', 'pcpool')}")
        ktap.fail("c_client")

    ktap.result("unload_refused_while_held", not rmmod("pcpool", quiet=True) and loaded("pcpool") and consistent())

    kmsg_mark("rust")
    if (insmod(f"{SAMPLES}/pcpool_rust_client.ko")
            and kmsg_in_order("rust", "pcpool_rust_client: 32 pages allocated, 0 not as expected, client holds 0")
            and rmmod("pcpool_rust_client") and allocated() == 8):
        ktap.ok("rust_client")
    else:
        ktap.msg(f"{verify_line()}; log: {pcpool_lines('rust', 'pcpool')}")
        ktap.fail("rust_client")

    # Scans while the stress sample runs on every CPU: each must be
    # consistent, each after the stress threads have allocated or freed
    # since the one before.
    kmsg_mark("stress")
    ok = True
    if insmod(f"{SAMPLES}/pcpool_stress.ko"):
        for i in range(1, 7):
            if not wait_pcp_change():
                ok = False
                ktap.msg(f"scan {i}: no pcp list changed in 30 s")
            if not consistent():
                ok = False
                ktap.msg(f"scan {i}: {verify_line()}")
        rows = cat(f"{DEBUGFS}/pcp").splitlines()[1:]
        ktap.msg("pcp during stress: " + "".join(r + "|" for r in rows))
        ok = rmmod("pcpool_stress") and ok
        ok = ok and bool(kmsg_grep("stress", r"pcpool_stress: .* 0 failed frees, .* client holds 0"))
    else:
        ok = False
    ok = ok and allocated() == 8 and consistent()
    ktap.result("stress_scans_consistent", ok)

    ktap.result("client_gave_back", rmmod("pcpool_client") and allocated() == 0 and consistent())

    # Misuse: each bad page refused with EINVAL (-22) and one log line (two
    # bad frees, then the same two inside a bulk free with one good page).
    kmsg_mark("misuse")
    if (insmod(f"{SAMPLES}/pcpool_client.ko", "misuse=1")
            and kmsg_in_order("misuse", "pcpool_client: misuse: foreign free -22, double free -22, "
                              "bulk free of 1 good + 2 bad: 1 freed, client holds 0")
            and len(kmsg_grep("misuse", NOT_OURS)) == 2
            and len(kmsg_grep("misuse", r"pcpool: free of page id [0-9]* refused: it is not allocated")) == 2
            and len(kmsg_grep("misuse", "refused")) == 4
            and allocated() == 0 and consistent() and rmmod("pcpool_client")):
        ktap.ok("misuse_refused_logged_once")
    else:
        ktap.msg(f"{verify_line()}; log: {pcpool_lines('misuse', 'pcpool')}")
        ktap.fail("misuse_refused_logged_once")
    misuse_logged = time.monotonic()

    # pcpool_alloc_page_node(): a node id that is no node gets NULL and a log
    # line; node 0 its pages.
    kmsg_mark("bad node")
    ok = insmod(f"{SAMPLES}/pcpool_client.ko", "hold_extra=5", "extra_node=99")
    bad = kmsg_since("bad node")
    ok = rmmod("pcpool_client") and ok
    kmsg_mark("node 0")
    ok = insmod(f"{SAMPLES}/pcpool_client.ko", "hold_extra=5", "extra_node=0") and ok
    good = kmsg_since("node 0")
    ok = rmmod("pcpool_client") and ok
    ktap.msg(one_line("".join(l + "\n" for l in (bad + good).splitlines() if "node" in l)))
    ok = ok and "pcpool: pcpool_alloc_page_node: node 99 refused: allowed NUMA_NO_NODE (-1) or 0.." in bad
    ok = ok and "pcpool_client: extra pages from node 0: 0" in bad
    ok = ok and "pcpool_client: extra pages from node 0: 5" in good
    ktap.result("alloc_page_node", ok and allocated() == 0 and consistent())

    # Handles: each bad call refused (-22, or no page) with a log line naming
    # the clients; the page stays its owner's, every held count right, and
    # pcpool's module count exactly as before the client loaded.
    refcnt = cat("/sys/module/pcpool/refcnt")
    kmsg_mark("handles")
    insmod(f"{SAMPLES}/pcpool_client.ko", "misuse_handles=1")
    rmmod("pcpool_client")
    handles = kmsg_since("handles")
    shown = (re.search(r"misuse_handles: .*|pcpool: .*refused.*", l) for l in handles.splitlines())
    ktap.msg("".join(m.group(0) + "|" for m in shown if m))

    def handle_test(name, *texts):
        ktap.result(name, all(t in handles for t in texts) and allocated() == 0 and consistent()
                    and cat("/sys/module/pcpool/refcnt") == refcnt)

    handle_test("foreign_client_free",
                "pcpool_client: misuse_handles: foreign client free -22; this client holds 1, the other 0; "
                "the other unregistered: 0",
                "pcpool: client pcpool_client_b: free of the page at pfn",
                "pcpool: client pcpool_client_b unregistered",
                "pcpool_client: misuse_handles: the owner's free 0; this client holds 0")
    handle_test("bad_client_handle_null", "pcpool_client: misuse_handles: NULL handle: alloc NULL, free -22",
                "pcpool: pcpool_free_page: NULL client handle refused")
    handle_test("bad_client_handle_err_ptr",
                "pcpool_client: misuse_handles: ERR_PTR handle: alloc NULL, free -22, held 0, unregister -22",
                "pcpool: pcpool_client_unregister: invalid client handle -ENOMEM refused")
    handle_test("bad_client_handle_after_unregister",
                "pcpool_client: misuse_handles: after unregister: alloc NULL, free -22, unregister again -22",
                "pcpool: pcpool_client_unregister: client pcpool_client_b is unregistered: call refused")
    # An unregister racing allocations through the same handle: refused
    # while a page is held, then done; the allocating thread's next call is
    # refused.
    handle_test("bad_client_handle_unregister_race", "pcpool: client pcpool_client_race unregistered",
                "pcpool: pcpool_alloc_page: client pcpool_client_race is")
    if not re.search(r"misuse_handles: unregister during allocations: 0 after [0-9]* refusals; "
                     r"the thread made [1-9]", handles):
        ktap.msg("the unregister race did not run as planned")

    # A client looping on a bad free: 1000 refusals log a burst of 10 lines;
    # 5 s later the next one logs its line after one saying how many of the
    # same were suppressed. The misuse test's lines above came from the same
    # call site, so its 5 s interval is waited out first: on a fast host it
    # would still hold part of the burst.
    time.sleep(max(0.0, misuse_logged + RATELIMIT_INTERVAL_S - time.monotonic()))
    kmsg_mark("ratelimit")
    if insmod(f"{SAMPLES}/pcpool_client.ko", "misuse_loop=1000"):
        rmmod("pcpool_client")
    lines = len(kmsg_grep("ratelimit", NOT_OURS))
    said = (re.search(r"pcpool: [0-9]* messages like the next suppressed|misuse_loop: .*", l)
            for l in kmsg_since("ratelimit").splitlines())
    ktap.msg(f"{lines} refusal lines; " + "".join(m.group(0) + " " for m in said if m))
    ktap.result("ratelimit_bad_frees",
                lines == 11 and kmsg_in_order("ratelimit", "pcpool: 990 messages like the next suppressed",
                                              "pcpool_client: misuse_loop: 1001 of 1001 bad frees refused")
                and allocated() == 0 and consistent())

    ktap.result("unload", rmmod("pcpool") and not loaded("pcpool"))

    ktap.finished()


if __name__ == "__main__":
    main()
