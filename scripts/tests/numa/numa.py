#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A pool zone per NUMA node, in a VM of two nodes (CPU 0 on node 0, CPU 1
on node 1), each with movable memory:
  - each node with memory gets a zone of its own, whose pageblocks all lie
    on that node (the kernel's own node of each block says so);
  - pages come from the caller's node while its zone has pages, then from
    the other node; pcpool_alloc_page_node() asks for a node;
  - offlining all of node 1's movable blocks with the pool's pages free
    succeeds, tears node 1's zone down, and allocation on CPU 1 falls back
    to node 0; onlining them builds it again, and regrow=1 refills it;
  - NUMA_CYCLES (6) such node-wide offline/online cycles while the stress
    sample allocates and frees on both CPUs: each cycle tears the zone down
    and builds it again, nothing is lost, and the kernel's figures are exact;
  - CPU 1 going offline and online in a loop during node teardowns.
After each, verify is consistent and the kernel's accounting exact (MemTotal
and each zone's present and managed against the blocks' states). make
soak's node step repeats such cycles at random for as long as it runs."""

import os
import subprocess
import threading
import time

from pcpool_guest import (DEBUGFS, MEM, MODULE, TOP, Ktap, allocated, block_state, cat, consistent, errname, insmod,
                          kernel_accounting_ok, kernel_view, kmsg_grep, kmsg_mark, kmsg_since, one_line, read,
                          rmmod, set_block_state, verify_line, write, zone)

CLIENT = f"{TOP}/samples/pcpool_client.ko"
STRESS = f"{TOP}/samples/pcpool_stress.ko"
CYCLES = int(os.environ.get("NUMA_CYCLES") or 6)
NODE = "/sys/devices/system/node"
PER_NODE = 2048


def node_blocks(nid, zone=None):
    """Memory blocks of node nid (online ones of that zone when given)."""
    blocks = sorted(int(d[6:]) for d in os.listdir(f"{NODE}/node{nid}") if d.startswith("memory") and d[6:].isdigit())
    if zone is None:
        return blocks
    return [b for b in blocks if block_state(b) == "online" and cat(f"{MEM}/memory{b}/valid_zones").strip() == zone]


def nodes():
    """The nodes file: {node: {column: value}}."""
    lines = read("nodes").splitlines()
    head = lines[0].split()
    return {int(f[0]): dict(zip(head[1:], map(int, f[1:]))) for f in (l.split() for l in lines[1:])}


def block_node():
    """{memory block: node}, as the kernel places them."""
    return {b: nid for nid in (0, 1) for b in node_blocks(nid)}


def pageblocks_on_their_node():
    """(whether every pool pageblock lies on the node its zone is for, how
    many there are per node)."""
    per = int(cat(f"{MEM}/block_size_bytes"), 16) // 4096
    where = block_node()
    ok, count = True, {}
    for line in read("pageblocks").splitlines()[1:]:
        pfn, _, _, nid = line.split()
        nid = int(nid)
        count[nid] = count.get(nid, 0) + 1
        ok = ok and where.get(int(pfn, 16) // per) == nid
    return ok, count


def taskset(cpu, *cmd):
    return subprocess.run(["taskset", "-c", str(cpu), *cmd], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True).returncode == 0


def client_on(cpu, *args):
    """pcpool_client.ko loaded and unloaded on CPU cpu (so its frees go to
    that CPU's pagesets too); returns where its extra pages came from:
    {node: pages}, or None if it did not load or unload."""
    mark = f"numa client {time.time()} on {cpu}"
    kmsg_mark(mark)
    ok = taskset(cpu, "insmod", CLIENT, *args)
    got = client_nodes(mark)
    ok = taskset(cpu, "rmmod", "pcpool_client") and ok
    return got if ok else None


def client_nodes(mark):
    """The client's "extra pages from node N: PAGES" lines since mark."""
    got = {}
    for line in kmsg_since(mark).splitlines():
        if "extra pages from node" in line:
            nid, pages = line.split("node ", 1)[1].split(": ")
            got[int(nid)] = int(pages)
    return got


FAILED_OFFLINES = []


def set_blocks(blocks, state, tries=5):
    """Every block to state; an offline refused for a moment (a page the
    stress sample held) is tried again. The last errno of a block that
    would not go goes to FAILED_OFFLINES."""
    want = "offline" if state == "offline" else "online"
    for b in blocks:
        e = 0
        for i in range(tries):
            if block_state(b) == want:
                break
            e = write(f"{MEM}/memory{b}/state", f"{state}\n", timeout=60)
            if e == 0:
                break
            time.sleep(0.2 * (i + 1))
        if block_state(b) != want:
            FAILED_OFFLINES.append((b, state, errname(e)))
    return all(block_state(b) == want for b in blocks)


def checked(ktap, base, what):
    ok_k, msg = kernel_accounting_ok(base, f" {what}")
    ktap.msg(msg)
    ok_v = consistent()
    if not ok_v:
        ktap.msg(f"verify {what}: {one_line(cat(f'{DEBUGFS}/verify'))}")
    return ok_k and ok_v


def main():
    ktap = Ktap(5)
    base = kernel_view()
    movable1 = node_blocks(1, "Movable")
    ktap.msg(f"node 0 blocks {node_blocks(0)}, node 1 blocks {node_blocks(1)}; node 1 movable {movable1}")

    # A zone per node, each on its own node.
    ok = insmod(MODULE, f"initial_pages={PER_NODE}", "regrow=1")
    n = nodes()
    on_node, count = pageblocks_on_their_node()
    ktap.msg(f"nodes {n}; pageblocks per node {count}; zone managed {zone()['managed']} nodes {zone()['nodes']}")
    ok = ok and sorted(n) == [0, 1] and all(n[i]["managed"] == PER_NODE for i in n) and on_node
    ok = ok and zone()["managed"] == 2 * PER_NODE and zone()["nodes"] == 2
    ktap.result("numa_zone_per_node", ok and checked(ktap, base, "after load"))

    # Node-local allocation, then fallback; a node asked for.
    ok = True
    for cpu in (0, 1):
        got = client_on(cpu, "hold_extra=1000")
        ktap.msg(f"on CPU {cpu} (node {cpu}): {got}")
        ok = ok and got is not None and got.get(cpu) == 1000
    got = client_on(1, f"hold_extra={PER_NODE + 500}")
    ktap.msg(f"{PER_NODE + 500} pages on CPU 1: {got}")
    ok = ok and got is not None and got.get(1) == PER_NODE and got.get(0) == 500
    got = client_on(0, "hold_extra=300", "extra_node=1")
    ktap.msg(f"node 1 asked on CPU 0: {got}")
    ok = ok and got is not None and got.get(1) == 300
    ktap.result("numa_node_local_alloc", ok and allocated() == 0 and checked(ktap, base, "after the clients"))

    # Node 1's movable blocks offline, the pool's pages free: its zone goes.
    mark = "numa node offline"
    kmsg_mark(mark)
    ok = set_blocks(movable1, "offline")
    torn = bool(kmsg_grep(mark, r"pcpool: node 1: pool zone torn down"))
    n = nodes()
    ktap.msg(f"node 1 movable blocks offline: {ok}; torn down: {torn}; nodes {n}")
    if not ok:
        ktap.msg(f"failed: {FAILED_OFFLINES}; log: " + one_line("".join(
            l + "\n" for l in kmsg_since(mark).splitlines() if "pcpool" in l or "offlin" in l or "page" in l)[-3000:]))
    ok = ok and torn and sorted(n) == [0]
    got = client_on(1, "hold_extra=100")
    ktap.msg(f"on CPU 1 without node 1's zone: {got}")
    ok = ok and got is not None and got.get(0) == 100
    ok = checked(ktap, base, "node 1 offline") and ok
    mark = "numa node online"
    kmsg_mark(mark)
    ok = set_blocks(movable1, "online_movable") and ok
    built = bool(kmsg_grep(mark, r"pcpool: node 1: pool zone built"))
    for _ in range(100):
        if nodes().get(1, {}).get("managed") == PER_NODE:
            break
        time.sleep(0.1)
    n = nodes()
    ktap.msg(f"online again: built {built}; nodes {n}")
    ok = ok and built and n.get(1, {}).get("managed") == PER_NODE
    ktap.result("numa_node_offline_tears_down_zone", ok and checked(ktap, base, "node 1 online"))

    # Node-wide cycles under the stress sample.
    ok = insmod(STRESS, "movable=1")
    start, done, refused = time.time(), 0, 0
    h0 = dict(l.split() for l in read("hotplug").splitlines() if len(l.split()) == 2)
    for i in range(CYCLES):
        if not set_blocks(movable1, "offline", tries=20):
            refused += 1
            if refused > 3:
                ktap.msg(f"offline failures: {FAILED_OFFLINES[-4:]}")
                ok = False
                break
            set_blocks(movable1, "online_movable")
            continue
        gone = 1 not in nodes()
        back = set_blocks(movable1, "online_movable")
        if not (gone and back):
            ktap.msg(f"cycle {i}: zone gone {gone}, blocks back {back}")
            ok = False
            break
        done += 1
    h1 = dict(l.split() for l in read("hotplug").splitlines() if len(l.split()) == 2)
    ok = rmmod("pcpool_stress") and ok
    stress = [l for l in kmsg_since("numa node online").splitlines() if "pcpool_stress:" in l and "failed frees" in l]
    ktap.msg(f"{done} of {CYCLES} cycles in {int(time.time() - start)} s ({refused} not offline); "
             f"zones torn down {int(h1['zones_torn_down']) - int(h0['zones_torn_down'])}, "
             f"built {int(h1['zones_built']) - int(h0['zones_built'])}; {one_line(' '.join(stress))}")
    ok = ok and done == CYCLES and int(h1["zones_torn_down"]) - int(h0["zones_torn_down"]) == CYCLES
    ok = ok and bool(stress) and " 0 failed frees" in stress[-1] and "client holds 0" in stress[-1]
    ktap.msg(f"verify: {verify_line()}")
    ktap.result("numa_teardown_under_stress", ok and allocated() == 0 and checked(ktap, base, "after the cycles"))

    # CPU 1 going down and up while node 1's zone is torn down and rebuilt.
    stop = threading.Event()
    flips = [0]

    def flip():
        while not stop.is_set():
            for state in ("0", "1"):
                if write("/sys/devices/system/cpu/cpu1/online", state + "\n") == 0:
                    flips[0] += 1
    t = threading.Thread(target=flip)
    h0 = dict(l.split() for l in read("hotplug").splitlines() if len(l.split()) == 2)
    t.start()
    ok = True
    for i in range(3):
        ok = set_blocks(movable1, "offline") and ok
        ok = set_blocks(movable1, "online_movable") and ok
    stop.set()
    t.join()
    write("/sys/devices/system/cpu/cpu1/online", "1\n")
    h1 = dict(l.split() for l in read("hotplug").splitlines() if len(l.split()) == 2)
    torn = int(h1["zones_torn_down"]) - int(h0["zones_torn_down"])
    ktap.msg(f"3 node cycles with CPU 1 flipped {flips[0]} times; zones torn down {torn}; nodes {nodes()}")
    ok = ok and flips[0] > 0 and torn == 3 and sorted(nodes()) == [0, 1]
    ktap.result("numa_cpu_hotplug_during_teardown", ok and checked(ktap, base, "after CPU hotplug"))
    rmmod("pcpool")
    ktap.finished()


if __name__ == "__main__":
    main()
