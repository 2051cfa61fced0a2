#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pcpool's memory notifier against real memory hotplug, through sysfs: a
block without pool chunks goes offline and online untouched; a block full
of free pool pages goes offline (pcpool gives them up) and online again; a
block where a client holds pages is refused at once; offlines that another
notifier fails, after pcpool and before it, leave the pool exactly as it
was; a block where a client with a migrate callback holds pages goes
offline, its pages moved elsewhere with their data intact. After each of
these, the kernel's own figures (MemTotal, each zone's present and managed)
must be exactly what the blocks' states say: kernel_accounting_*."""

import re
import signal
import subprocess
import tempfile
import time

from pcpool_guest import (DEBUGFS, INJECT, KDIR, MODULE, TOP, Background, Ktap, block_pages, block_range,
                          block_state, blocks_in, cat, consistent, free_block, insmod, kernel_accounting_ok,
                          kernel_view, kmsg_in_order, kmsg_mark, kmsg_since, kmsg_wait, loaded,
                          offline_in_background, one_line, pcpool_lines, pool_block, pool_blocks, rmmod,
                          set_block_state, write, zone_value)

# Every block that can go offline holds chunks of a pool of 430 MiB: more
# than the free memory of any three of the four movable blocks.
BIG_POOL = ("initial_pages=110000", "max_pages=262144")
VERIFY = re.compile(r"^([0-9]+) pages: ([0-9]+) free, ([0-9]+) isolated free, ([0-9]+) on pcp lists "
                    r"\([0-9]+ of offline CPUs\), ([0-9]+) allocated; ([0-9]+) errors$")


def pool_state():
    """The pool's state as it must come back after a failed offline: every
    page and who has it (pages on pcp lists count as free: the offline's
    drain puts them back in the zone), every pageblock and its migratetype,
    and no error (verify checks each page's refcount and PageOffline too)."""
    line = cat(f"{DEBUGFS}/verify").split("\n", 1)[0]
    m = VERIFY.match(line)
    if m:
        p, free, iso, pcp, alloc, err = m.groups()
        line = f"pages {p} free+pcp {int(free) + int(pcp)} isolated {iso} allocated {alloc} errors {err}"
    blocks = sorted(" ".join(l.split()[:2]) for l in cat(f"{DEBUGFS}/pageblocks").splitlines()[1:])
    return "\n".join([line] + blocks)


def first_line(text):
    return text.split("\n", 1)[0]


def hotplug_value(key):
    return next((l.split()[1] for l in cat(f"{DEBUGFS}/hotplug").splitlines() if l.split()[:1] == [key]), "")


def fill_block(b):
    """Grows the pool until memory block b holds pool chunks (64 grows at
    most): the kernel hands out the free block that just came back online."""
    for _ in range(64):
        if b is None or blocks_in(b) > 0:
            return
        if write(f"{DEBUGFS}/grow", "512\n"):
            return


def or0(b):
    return 0 if b is None else b


def main():
    ktap = Ktap(25)

    # The kernel's figures before pcpool loads, and the KTAP test
    # kernel_accounting_WHAT that compares them with the figures now.
    kernel_base = kernel_view()

    def kernel_accounting(what):
        ok, line = kernel_accounting_ok(kernel_base, f" after {what}")
        ktap.msg(line)
        ktap.result(f"kernel_accounting_{what}", ok)

    kmsg_mark("load")
    ktap.result("load", insmod(MODULE) and kmsg_in_order("load", "pcpool: loaded"))

    # A block the pool has no chunk in: pcpool lets it go.
    block = free_block()
    if block is None:
        for t in ["offline", "online", "cancel_offline", "offline_pool_block", "online_again",
                  "refused_while_held", "enomem_injected_below", "enomem_injected_above",
                  "evacuated_with_callback", "unload", "grow_vs_offline", "unload_refused_during_offline"] + [
                      f"kernel_accounting_{k}" for k in (
                          "offline", "online", "cancel", "grow_vs_offline", "core_cancel", "offline_pool_block",
                          "online_again", "refused", "enomem_below", "enomem_above", "evacuated", "unload")]:
            ktap.fail(f"{t} # no offlinable block without pool chunks")
        rmmod("pcpool")
        ktap.finished()
    rng = block_range(block)
    ktap.msg(f"memory{block}: {rng}; pool chunks in blocks: " + "".join(f"{b} " for b in pool_blocks()))

    def transition(name, state, events):
        """Writes state to the block: passes if it then reads name and the log
        holds pcpool's lines for events, in order."""
        kmsg_mark(name)
        if (set_block_state(block, state) and block_state(block) == name
                and kmsg_in_order(name, *(f"pcpool: {e} {rng}" for e in events))):
            ktap.ok(name)
        else:
            ktap.msg(f"state {block_state(block)}; log: {pcpool_lines(name)}")
            ktap.fail(name)
        kernel_accounting(name)

    transition("offline", "offline", ("MEM_GOING_OFFLINE", "MEM_OFFLINE"))
    transition("online", "online_movable", ("MEM_GOING_ONLINE", "MEM_ONLINE"))

    # A notifier after pcpool (priority -1) refuses: the core must send
    # pcpool MEM_CANCEL_OFFLINE, and the block stays online.
    kmsg_mark("cancel")
    if (insmod(f"{KDIR}/lib/notifier-error-inject.ko")
            and insmod(f"{KDIR}/lib/memory-notifier-error-inject.ko", "priority=-1")
            and write(INJECT, "-16\n") == 0 and not set_block_state(block, "offline")
            and block_state(block) == "online"
            and kmsg_in_order("cancel", f"pcpool: MEM_GOING_OFFLINE {rng}", f"pcpool: MEM_CANCEL_OFFLINE {rng}")):
        ktap.ok("cancel_offline")
    else:
        ktap.msg(f"state {block_state(block)}; log: {pcpool_lines('cancel')}")
        ktap.fail("cancel_offline")
    kernel_accounting("cancel")
    rmmod("memory_notifier_error_inject", "notifier_error_inject", quiet=True)

    # Blocks full of pool pages.
    rmmod("pcpool")
    insmod(MODULE, *BIG_POOL)

    # A block whose pool pages are all free: pcpool gives them up, the block
    # goes offline, the pool shrinks by exactly its pageblocks, and it comes
    # back.
    pblock = pool_block()
    kmsg_mark("pool-offline")
    if pblock is not None:
        n = blocks_in(pblock)
        managed = zone_value("managed")
        chunks = zone_value("chunks")
        prange = block_range(pblock)
        ktap.msg(f"memory{pblock}: {prange} holds {n} pool pageblocks")
    if (pblock is not None and set_block_state(pblock, "offline") and block_state(pblock) == "offline"
            and zone_value("managed") == managed - n * managed // chunks
            and zone_value("chunks") == chunks - n
            and hotplug_value("pageblocks_offlined") == str(n) and consistent()
            and kmsg_in_order("pool-offline", f"pcpool: MEM_GOING_OFFLINE {prange}",
                              f"pcpool: gave up {prange}: {n * managed // chunks} pages in {n} pageblocks",
                              f"pcpool: MEM_OFFLINE {prange}",
                              f"pcpool: {prange} is offline: {n} pool pageblocks dropped")):
        ktap.ok("offline_pool_block")
    else:
        ktap.msg(f"block {'none' if pblock is None else pblock} {block_state(or0(pblock))}; "
                 f"zone: {one_line(cat(f'{DEBUGFS}/zone'), ' ')}; log: {pcpool_lines('pool-offline')}")
        ktap.fail("offline_pool_block")
    kernel_accounting("offline_pool_block")

    ktap.result("online_again", pblock is not None and set_block_state(pblock, "online_movable")
                and block_state(pblock) == "online" and consistent())
    kernel_accounting("online_again")

    # A grow in flight against an offline: an injected delay holds the grow
    # after it took its chunk from the kernel, before the chunk is in the
    # pool's books, while the chunk's memory block goes offline. The
    # notifier must wait for the grow to finish (the test lets it go once
    # MEM_GOING_OFFLINE is in the log), then find the chunk and hand it over
    # with the others: without the wait the core meets the chunk's pages
    # (PageOffline, refcount 1) and fails the offline as "unmovable page".
    # First the pool grows until the block that just came back online, all
    # free, is where the kernel's chunks come from.
    gblock = pblock
    fill_block(gblock)
    grange = block_range(or0(gblock))
    write(f"{DEBUGFS}/inject_delay", "grow 60000\n")
    kmsg_mark("grow")
    grow = Background(f"{DEBUGFS}/grow", "512\n")
    kmsg_wait("grow", "pcpool: grow: took the chunk at pfn")
    m = re.search(r"pcpool: grow: took the chunk at pfn (0x[0-9a-f]*)", kmsg_since("grow"))
    gpfn = m.group(1) if m else None
    ktap.msg(f"memory{'?' if gblock is None else gblock}: {grange}; the grow took the chunk at pfn {gpfn or 'none'}")
    offline_ok = False
    if gblock is not None and gpfn and int(gpfn, 16) // block_pages() == gblock:
        offliner = offline_in_background(gblock)
        kmsg_wait("grow", f"pcpool: MEM_GOING_OFFLINE {grange}")
        write(f"{DEBUGFS}/inject_delay", "grow 0\n")
        offline_ok = offliner.wait() == 0
    write(f"{DEBUGFS}/inject_delay", "grow 0\n")
    grow.wait()
    if (offline_ok and block_state(gblock) == "offline"
            and kmsg_in_order("grow", f"pcpool: grow: took the chunk at pfn {gpfn}",
                              f"pcpool: MEM_GOING_OFFLINE {grange}", "pcpool: inject_delay: grow goes on",
                              f"pcpool: gave up {grange}", f"pcpool: MEM_OFFLINE {grange}")
            and consistent()):
        ktap.ok("grow_vs_offline")
    else:
        ktap.msg(f"block {block_state(or0(gblock))}; log: {pcpool_lines('grow', 'pcpool')}")
        ktap.fail("grow_vs_offline")
    kernel_accounting("grow_vs_offline")
    if gblock is not None:
        set_block_state(gblock, "online_movable")

    # An offline stuck after pcpool accepted it (an anonymous page of the
    # block pinned by vmsplice(): the core retries its migration until a
    # signal), with pcpool's pages handed over: rmmod fails at once (the
    # module is in use), never a wait in D state behind the offline. A
    # signal then ends the offline, and pcpool takes its pages back.
    fill_block(gblock)
    kmsg_mark("stuck")
    pin_out = tempfile.NamedTemporaryFile("w+", prefix="pin.")
    pinner = subprocess.Popen(["python3", f"{TOP}/scripts/guest/pin_page.py", str(or0(gblock))], stdout=pin_out)
    end = time.time() + 120
    while not re.search("pinned|none|failed", cat(pin_out.name)):
        if time.time() >= end:
            break
        time.sleep(0.2)
    ktap.msg(f"memory{'?' if gblock is None else gblock}: {cat(pin_out.name)}")
    unloaded = None
    if "pinned" in cat(pin_out.name) and gblock is not None and blocks_in(gblock) > 0:
        offliner = offline_in_background(gblock)
        if kmsg_wait("stuck", f"pcpool: gave up {grange}"):
            time.sleep(1)
        unloaded = rmmod("pcpool", quiet=True)
        offliner.kill(signal.SIGTERM)
        offliner.wait()
    pinner.terminate()
    pinner.wait()
    if (unloaded is False and loaded("pcpool") and block_state(gblock) == "online"
            and kmsg_in_order("stuck", f"pcpool: gave up {grange}", f"pcpool: MEM_CANCEL_OFFLINE {grange}",
                              f"pcpool: offline of {grange} cancelled")
            and consistent()):
        ktap.ok("unload_refused_during_offline")
    else:
        tried = "not tried" if unloaded is None else int(unloaded)
        ktap.msg(f"rmmod during the offline: {tried} (1: it unloaded); block {block_state(or0(gblock))}; "
                 f"log: {pcpool_lines('stuck')}")
        ktap.fail("unload_refused_during_offline")
        if not loaded("pcpool"):
            insmod(MODULE, *BIG_POOL)
    # The fourth way an offline is cancelled: by the core, after every
    # notifier accepted it (here a signal).
    kernel_accounting("core_cancel")

    # A client holds every pool page: pcpool refuses at once (its decision,
    # from MEM_GOING_OFFLINE to the refusal in its own log, within 2 s: the
    # whole write also holds the kernel's own isolation work, which a busy
    # host can stretch), with the reason, and the pool is exactly as before.
    insmod(f"{TOP}/samples/pcpool_client.ko", "hold_extra=200000")
    hblock = pool_block()
    before = pool_state() + "\n" + cat(f"{DEBUGFS}/pageblocks")
    kmsg_mark("held")
    t0 = time.time()
    if hblock is not None and not set_block_state(hblock, "offline"):
        ms = int((time.time() - t0) * 1000)
        decided, t = None, None
        for line in kmsg_since("held").splitlines():
            stamp = re.match(r"^\[\s*([0-9.]+)\]", line)
            if not stamp:
                continue
            if "pcpool: MEM_GOING_OFFLINE" in line and t is None:
                t = float(stamp.group(1))
            if "pcpool: refusing to offline" in line and t is not None:
                decided = int((float(stamp.group(1)) - t) * 1000)
                break
        ktap.msg(f"memory{hblock}: offline refused in {ms} ms, pcpool decided in "
                 f"{'?' if decided is None else decided} ms")
        hrange = block_range(hblock)
        if (block_state(hblock) == "online" and (99999 if decided is None else decided) < 2000
                and pool_state() + "\n" + cat(f"{DEBUGFS}/pageblocks") == before
                and kmsg_in_order("held", f"pcpool: refusing to offline {hrange}: clients hold",
                                  "pcpool: client pcpool_client holds", f"pcpool: MEM_CANCEL_OFFLINE {hrange}")):
            ktap.ok("refused_while_held")
        else:
            ktap.msg(f"state: {first_line(pool_state())}; log: {pcpool_lines('held')}")
            ktap.fail("refused_while_held")
    else:
        ktap.msg(f"block {'none' if hblock is None else hblock}: offline did not fail")
        ktap.fail("refused_while_held")
    kernel_accounting("refused")
    rmmod("pcpool_client")

    # Another notifier fails MEM_GOING_OFFLINE with -ENOMEM, after pcpool
    # (priority -1) and before it (priority 1). After: pcpool gave its pages
    # up and takes them back on MEM_CANCEL_OFFLINE. Before: pcpool never sees
    # the offline, and its MEM_CANCEL_OFFLINE is a no-op. Either way the pool
    # is exactly as before.
    insmod(f"{KDIR}/lib/notifier-error-inject.ko")
    for where, prio in (("below", -1), ("above", 1)):
        iblock = pool_block()
        irange = block_range(or0(iblock))
        before = pool_state()
        mark = f"inject-{where}"
        kmsg_mark(mark)
        ok = False
        if (iblock is not None and insmod(f"{KDIR}/lib/memory-notifier-error-inject.ko", f"priority={prio}")
                and write(INJECT, "-12\n") == 0 and not set_block_state(iblock, "offline")
                and block_state(iblock) == "online" and pool_state() == before and consistent()):
            if where == "below":
                ok = kmsg_in_order(mark, f"pcpool: MEM_GOING_OFFLINE {irange}", f"pcpool: gave up {irange}",
                                   f"pcpool: MEM_CANCEL_OFFLINE {irange}", f"pcpool: offline of {irange} cancelled")
            else:
                log = kmsg_since(mark)
                ok = ("pcpool: MEM_GOING_OFFLINE" not in log
                      and kmsg_in_order(mark, f"pcpool: MEM_CANCEL_OFFLINE {irange}")
                      and not re.search(r"pcpool: offline of .* cancelled", log))
        rmmod("memory_notifier_error_inject", quiet=True)
        if ok:
            ktap.ok(f"enomem_injected_{where}")
        else:
            ktap.msg(f"block {'none' if iblock is None else iblock}; state: {first_line(pool_state())}; "
                     f"log: {pcpool_lines(mark)}")
            ktap.fail(f"enomem_injected_{where}")
        kernel_accounting(f"enomem_{where}")
    rmmod("notifier_error_inject")

    # A client with a migrate callback holds every pool page: pcpool moves
    # the pages of the block going offline to new pages elsewhere (growing
    # the pool), the offline succeeds, and every page the client holds still
    # carries its stamp when the client checks them.
    insmod(f"{TOP}/samples/pcpool_client.ko", "hold_extra=300000", "movable=1")
    eblock = pool_block()
    erange = block_range(or0(eblock))
    kmsg_mark("evacuate")
    if (eblock is not None and set_block_state(eblock, "offline") and block_state(eblock) == "offline"
            and consistent() and rmmod("pcpool_client")
            and kmsg_in_order("evacuate", f"pcpool: MEM_GOING_OFFLINE {erange}", f"pcpool: gave up {erange}",
                              f"pcpool: {erange} is offline", "pcpool_client: checked")
            and re.search(r"pcpool_client: checked [0-9]* pages: 0 corrupt, [1-9][0-9]* moved by pcpool",
                          kmsg_since("evacuate"))):
        said = (re.search(r"gave up.*|checked.*", l) for l in kmsg_since("evacuate").splitlines())
        ktap.msg("".join(m.group(0) + " " for m in said if m))
        ktap.ok("evacuated_with_callback")
    else:
        ktap.msg(f"block {'none' if eblock is None else eblock} {block_state(or0(eblock))}; "
                 f"log: {pcpool_lines('evacuate', 'pcpool')}")
        ktap.fail("evacuated_with_callback")
    if loaded("pcpool_client"):
        rmmod("pcpool_client")
    kernel_accounting("evacuated")
    if eblock is not None:
        set_block_state(eblock, "online_movable")

    kmsg_mark("unload")
    ktap.result("unload", rmmod("pcpool") and not loaded("pcpool") and kmsg_in_order("unload", "pcpool: unloaded"))
    kernel_accounting("unload")

    ktap.finished()


if __name__ == "__main__":
    main()
