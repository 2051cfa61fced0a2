#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pcpool's tracepoints, read through tracefs as trace-cmd would: each test
enables events, does one thing (a client's pages, a grow and a shrink, a
drain, an isolation, an offline refused and one accepted) and checks the
events' order and fields against what the kernel and debugfs show
independently: the pfns a client got are the pool's, a drain's pages are
what the pagesets held, a refused offline names the pages the pageblocks'
free counts leave held, an accepted one the pages MemTotal lost."""

import os
import re
import subprocess

from pcpool_guest import (DEBUGFS, MODULE, TOP, Ktap, block_pages, block_state, blocks_in, cat, consistent, insmod,
                          kernel_view, nproc, pcp_rows, pool_block, pool_pfns, read, rmmod, set_block_state, write,
                          zone_value)

TRACING = "/sys/kernel/tracing"
EVENTS = f"{TRACING}/events/pcpool"
CLIENT = f"{TOP}/samples/pcpool_client.ko"
ALL = ("pcpool_alloc", "pcpool_free", "pcpool_refill", "pcpool_flush", "pcpool_drain", "pcpool_isolate",
       "pcpool_unisolate", "pcpool_evacuate", "pcpool_offline_decision", "pcpool_grow", "pcpool_shrink")
LINE = re.compile(r"^\s*(.+?)-(\d+)\s+\[(\d+)\].*?\s([0-9.]+): (pcpool_\w+): (.*)$")
RANGE = re.compile(r"range=\[(0x[0-9a-f]+), (0x[0-9a-f]+)\)")


def tracing(*events):
    """Empties the buffer and enables only `events`."""
    if not os.path.isdir(f"{TRACING}/events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACING], check=False)
    write(f"{TRACING}/tracing_on", "0\n")
    for e in ALL:
        write(f"{EVENTS}/{e}/enable", "0\n")
    write(f"{TRACING}/buffer_size_kb", "8192\n")
    open(f"{TRACING}/trace", "w").close()  # O_TRUNC empties the buffer
    for e in events:
        write(f"{EVENTS}/{e}/enable", "1\n")
    write(f"{TRACING}/tracing_on", "1\n")


def events():
    """The buffer's events in order, as (name, fields); tracing stops."""
    write(f"{TRACING}/tracing_on", "0\n")
    out = []
    for line in cat(f"{TRACING}/trace").splitlines():
        m = LINE.match(line)
        if not m:
            continue
        name, rest = m.group(5), m.group(6)
        f = {"cpu": int(m.group(3))}
        r = RANGE.search(rest)
        if r:
            f["start"], f["end"] = int(r.group(1), 16), int(r.group(2), 16)
            rest = RANGE.sub("", rest)
        for word in rest.split():
            if "=" in word:
                k, v = word.split("=", 1)
                f[k] = int(v, 0) if re.fullmatch(r"-?(0x[0-9a-f]+|\d+)", v) else v
            else:
                f[word] = True
        out.append((name, f))
    for e in ALL:
        write(f"{EVENTS}/{e}/enable", "0\n")
    return out


def named(evs, name):
    return [f for n, f in evs if n == name]


def summary(evs, n=6):
    return "; ".join(f"{name} {f}" for name, f in evs[:n])


def pageblocks():
    """{pfn: free pages} of the pool's pageblocks (debugfs)."""
    return {int(l.split()[0], 16): int(l.split()[2]) for l in read("pageblocks").splitlines()[1:]}


def main():
    ktap = Ktap(8)

    # Every event, with the fields a developer reads.
    missing = [e for e in ALL if not os.path.exists(f"{EVENTS}/{e}/format")] if insmod(MODULE) else list(ALL)
    fmt = cat(f"{EVENTS}/pcpool_offline_decision/format") if not missing else ""
    fields = [f for f in ("start_pfn", "end_pfn", "accepted", "pages", "held", "first_held_pfn", "evacuated",
                          "reason") if f" {f};" not in fmt]
    ktap.msg(f"events missing: {missing or 'none'}; offline_decision fields missing: {fields or 'none'}")
    ktap.result("trace_events_present", not missing and not fields)
    rmmod("pcpool")

    # A client's pages: an alloc event for each page it got, all the pool's,
    # on its node (64 in bulk, 1000 one by one asking for node 0); on unload
    # a free event for each, with ret 0. The client
    # runs on CPU 0 (taskset), so that its refills and flushes are in order
    # on one CPU: each event's nr_free is the last one's minus the pages a
    # refill took, plus those a flush gave, and the last is the zone's.
    insmod(MODULE, "initial_pages=4096", "high=64", "batch=16")
    free0 = zone_value("nr_free")
    tracing("pcpool_alloc", "pcpool_free", "pcpool_refill", "pcpool_flush")
    subprocess.run(["taskset", "-c", "0", "insmod", CLIENT, "hold=64", "hold_extra=1000", "extra_node=0"], check=False)
    held = int(cat("/sys/module/pcpool_client/parameters/hold")) if os.path.isdir("/sys/module/pcpool_client") else 0
    free1 = zone_value("nr_free")
    mid = events()
    tracing("pcpool_free", "pcpool_flush")
    subprocess.run(["taskset", "-c", "0", "rmmod", "pcpool_client"], check=False)
    end = events()
    pool = {pfn + i for pfn in pool_pfns() for i in range(512)}
    allocs = named(mid, "pcpool_alloc")
    frees = named(mid, "pcpool_free") + named(end, "pcpool_free")
    got = [f["pfn"] for f in allocs]
    gave = [f["pfn"] for f in frees]
    ktap.msg(f"client: {len(allocs)} alloc events (clients {sorted({f['client'] for f in allocs})}), "
             f"{len(frees)} free events (ret {sorted({f['ret'] for f in frees})}); held {held} + 1000 at load")
    ok = len(allocs) >= held + 1000 and held == 64 and sorted(got) == sorted(gave) and len(set(got)) == len(got)
    ok = ok and all(p in pool for p in got) and {f["ret"] for f in frees} == {0}
    ok = ok and len({f["client"] for f in allocs + frees}) == 1 and all(f["client"] > 0 for f in allocs)
    # The extra pages one by one, from node 0 (pcpool_alloc_page_node()).
    ok = ok and sum(1 for f in allocs if f["nid"] == 0 and f["page_nid"] == 0) == 1000
    ktap.result("trace_alloc_free_client", ok and consistent())

    chain, bad = free0, []
    for name, f in mid:
        if name in ("pcpool_refill", "pcpool_flush"):
            chain += -f["pages"] if name == "pcpool_refill" else f["pages"]
            if f["nr_free"] != chain or f["pages"] > f["want"]:
                bad.append((name, f))
    refills = named(mid, "pcpool_refill")
    ktap.msg(f"nr_free {free0} -> {free1}: {len(refills)} refills ({sum(f['pages'] for f in refills)} pages), "
             f"{len(named(mid, 'pcpool_flush'))} flushes, chained to {chain}; off the chain: {bad[:3]}")
    ktap.result("trace_refill_flush_chain", refills and not bad and chain == free1
                and all(f["cpu"] == 0 for f in refills))

    # A grow's pfn is the pageblock that appears; a shrink's is the one that
    # goes (the highest free one).
    before = set(pageblocks())
    tracing("pcpool_grow", "pcpool_shrink")
    write(f"{DEBUGFS}/grow", "512\n")
    grown = set(pageblocks()) - before
    write(f"{DEBUGFS}/shrink", "512\n")
    gone = set(before | grown) - set(pageblocks())
    evs = events()
    g, s = named(evs, "pcpool_grow"), named(evs, "pcpool_shrink")
    ktap.msg(f"grow events {g}, new pageblocks {[hex(p) for p in grown]}; shrink events {s}, "
             f"gone {[hex(p) for p in gone]}")
    ktap.result("trace_grow_shrink_pfns", len(g) == 1 and {g[0]["pfn"]} == grown and g[0]["ret"] == 0
                and g[0]["pages"] == 512 and len(s) == 1 and {s[0]["pfn"]} == gone and consistent())

    # A drain's pages are what the pagesets held; it reached every CPU. (A
    # shrink drains first, so that parked pages do not keep their pageblocks.)
    insmod(CLIENT, "hold=0")
    rmmod("pcpool_client")
    on_pcp = sum(int(r[1]) for r in pcp_rows())
    tracing("pcpool_drain")
    write(f"{DEBUGFS}/shrink", "512\n")
    d = named(events(), "pcpool_drain")
    ktap.msg(f"pagesets held {on_pcp}; drain events {d}")
    ktap.result("trace_drain_pages_equal_pcp", len(d) == 1 and d[0]["pages"] == on_pcp and on_pcp > 0
                and d[0]["kind"] == "drain" and d[0]["strategy"] == "ipi" and d[0]["cpus"] == nproc())

    # An isolation: the disabling round, then the isolation of the range,
    # then, when it ends, the range movable again.
    tracing("pcpool_drain", "pcpool_isolate", "pcpool_unisolate")
    write(f"{DEBUGFS}/isolate", "all\n")
    write(f"{DEBUGFS}/isolate", "off\n")
    evs = events()
    order = [n for n, _ in evs]
    iso, uni = named(evs, "pcpool_isolate"), named(evs, "pcpool_unisolate")
    nblocks = len(pageblocks())
    ktap.msg(f"isolate all, off: {order[:8]}; {summary(evs)}")
    ktap.result("trace_isolate_order", order == ["pcpool_drain", "pcpool_isolate", "pcpool_unisolate"]
                and named(evs, "pcpool_drain")[0]["kind"] == "disable" and iso[0]["ret"] == 0
                and iso[0]["blocks"] == nblocks == uni[0]["blocks"]
                and (iso[0]["start"], iso[0]["end"]) == (uni[0]["start"], uni[0]["end"]))
    rmmod("pcpool")

    # A refused offline: a client holds every pool page; the decision names
    # the pages held there, which are the block's pool pages less the free
    # ones its pageblocks show once the offline is over.
    per = block_pages()
    insmod(MODULE, "initial_pages=8192")
    insmod(CLIENT, "hold_extra=200000")
    block = pool_block()
    tracing("pcpool_drain", "pcpool_isolate", "pcpool_unisolate", "pcpool_offline_decision")
    refused = block is not None and not set_block_state(block, "offline")
    evs = events()
    dec = named(evs, "pcpool_offline_decision")
    lo, hi = (block or 0) * per, ((block or 0) + 1) * per
    free_there = sum(f for pfn, f in pageblocks().items() if lo <= pfn < hi)
    pool_there = blocks_in(block or 0) * 512
    ktap.msg(f"memory{block}: refused {refused}; {pool_there} pool pages there, {free_there} free; "
             f"events {[n for n, _ in evs]}; decision {dec}")
    ok = refused and len(dec) == 1 and not dec[0].get("accepted") and dec[0]["reason"] == "held"
    ok = ok and dec[0]["held"] == pool_there - free_there > 0 and lo <= dec[0]["first_held_pfn"] < hi
    ok = ok and (dec[0]["start"], dec[0]["end"]) == (lo, hi)
    ok = ok and [n for n, _ in evs] == ["pcpool_drain", "pcpool_isolate", "pcpool_unisolate",
                                        "pcpool_offline_decision"]
    ktap.result("trace_offline_refused_held", ok and consistent())
    rmmod("pcpool_client")

    # An accepted offline: its pages are the block's pool pages, and
    # MemTotal goes down by the whole block; the range is movable again
    # (unisolate) once the offline is over.
    base = kernel_view()
    tracing("pcpool_drain", "pcpool_isolate", "pcpool_unisolate", "pcpool_offline_decision")
    went = block is not None and set_block_state(block, "offline")
    evs = events()
    dec = named(evs, "pcpool_offline_decision")
    lost_kb = base["MemTotal"] - kernel_view()["MemTotal"]
    ktap.msg(f"memory{block}: offline {went}; events {[n for n, _ in evs]}; decision {dec}; "
             f"MemTotal -{lost_kb} kB")
    ok = went and len(dec) == 1 and dec[0].get("accepted") and dec[0]["pages"] == pool_there
    ok = ok and dec[0]["held"] == 0 and lost_kb == per * 4
    ok = ok and [n for n, _ in evs] == ["pcpool_drain", "pcpool_isolate", "pcpool_offline_decision",
                                        "pcpool_unisolate"]
    ktap.result("trace_offline_accepted", ok and consistent())
    if block is not None and block_state(block) != "online":
        set_block_state(block, "online_movable")
    rmmod("pcpool")

    ktap.finished()


if __name__ == "__main__":
    main()
