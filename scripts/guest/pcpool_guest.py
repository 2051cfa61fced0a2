# SPDX-License-Identifier: GPL-2.0
"""What the Python guest scripts (bad_input.py, soak.py) share: pcpool's
debugfs files, writes that report their errno, module loads through
finit_module(), the kernel log, and memory blocks. Python's twin of
scripts/guest/lib.sh."""

import ctypes
import errno
import os

DEBUGFS = "/sys/kernel/debug/pcpool"
MEM = "/sys/devices/system/memory"

_libc = ctypes.CDLL(None, use_errno=True)
_SYS_delete_module = 176  # x86_64
_SYS_finit_module = 313


def errname(e):
    """'ok' for 0, else the errno's name (EINVAL)."""
    return "ok" if e == 0 else errno.errorcode.get(e, str(e))


def write(path, data):
    """open() and one write() of data (str or bytes): the errno, 0 on success."""
    if isinstance(data, str):
        data = data.encode()
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as e:
        return e.errno
    try:
        os.write(fd, data)
        return 0
    except OSError as e:
        return e.errno
    finally:
        os.close(fd)


def read(name):
    """A file of pcpool's debugfs directory."""
    with open(f"{DEBUGFS}/{name}") as f:
        return f.read()


def load(path, args=""):
    """finit_module() of the module at path: the errno, 0 on success."""
    fd = os.open(path, os.O_RDONLY)
    try:
        ret = _libc.syscall(_SYS_finit_module, fd, args.encode(), 0)
        return 0 if ret == 0 else ctypes.get_errno()
    finally:
        os.close(fd)


def unload(name):
    """delete_module() of a module (as rmmod does, without a process)."""
    return _libc.syscall(_SYS_delete_module, name.encode(), os.O_NONBLOCK) == 0


def loaded(name):
    return os.path.isdir(f"/sys/module/{name}")


def kmsg_mark(text):
    """A marker in the kernel log, for kmsg_since()."""
    with open("/dev/kmsg", "w") as f:
        f.write(f"pcpool-test: {text}\n")


def kmsg_since(text):
    """The kernel log's messages from the last marker text on ('' without one),
    read from /dev/kmsg: a record per read(), no dmesg process to start."""
    fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    msgs = []
    try:
        while True:
            try:
                rec = os.read(fd, 8192)
            except BlockingIOError:
                break
            except BrokenPipeError:  # overwritten while read: go on
                continue
            # "prio,seq,usec,flags;message\n", then " KEY=value" lines.
            msgs.append(rec.decode(errors="replace").split(";", 1)[-1].split("\n", 1)[0])
    finally:
        os.close(fd)
    marker = f"pcpool-test: {text}"
    idx = max((i for i, m in enumerate(msgs) if m == marker), default=-1)
    return "\n".join(msgs[idx:]) + "\n" if idx >= 0 else ""


def pool_blocks(blocks):
    """Those of the memory blocks that hold pool chunks, in the given order."""
    per_block = int(open(f"{MEM}/block_size_bytes").read(), 16) // os.sysconf("SC_PAGESIZE")
    used = {int(l.split()[0], 16) // per_block for l in read("pageblocks").splitlines()[1:]}
    return [b for b in blocks if int(b) in used]


def kernel_view():
    """The kernel's own figures, as scripts/guest/lib.sh's kernel_view reads
    them: MemTotal and MemFree (kB), each zone's present, managed and free
    pages (summed over nodes), each memory block's state and zone."""
    view = {"zones": {}, "blocks": {}}
    for line in open("/proc/meminfo"):
        key, value = line.split(":", 1)
        if key in ("MemTotal", "MemFree"):
            view[key] = int(value.split()[0])
    zone = None
    for line in open("/proc/zoneinfo"):
        f = line.split()
        if f[:1] == ["Node"]:
            zone = view["zones"].setdefault(f[3], {"present": 0, "managed": 0, "free": 0})
        elif zone is not None and f[:2] == ["pages", "free"]:
            zone["free"] += int(f[2])
        elif zone is not None and len(f) == 2 and f[0] in ("present", "managed"):
            zone[f[0]] += int(f[1])
    view["zones"] = {z: v for z, v in view["zones"].items() if v["present"]}
    for d in os.listdir(MEM):
        if d.startswith("memory") and d[6:].isdigit():
            state = open(f"{MEM}/{d}/state").read().strip()
            zone = open(f"{MEM}/{d}/valid_zones").read().split()[0] if state == "online" else None
            view["blocks"][int(d[6:])] = (state, zone)
    return view


def kernel_accounting(base):
    """Compares the kernel's figures now with kernel_view() taken before
    pcpool was loaded: MemTotal and each zone's present and managed must
    differ by exactly the pages of the blocks whose state changed. Returns
    (MemTotal drift in kB, a message, or None when exact)."""
    now = kernel_view()
    per_block = int(open(f"{MEM}/block_size_bytes").read(), 16) // os.sysconf("SC_PAGESIZE")
    delta, total = {}, 0
    for b, (state, zone) in now["blocks"].items():
        was, was_zone = base["blocks"].get(b, (state, zone))
        if was == "online" and state == "offline":
            delta[was_zone] = delta.get(was_zone, 0) - per_block
            total -= per_block
        elif was == "offline" and state == "online":
            delta[zone] = delta.get(zone, 0) + per_block
            total += per_block
    drift = now["MemTotal"] - (base["MemTotal"] + total * 4)
    bad = [f"MemTotal {now['MemTotal']} kB, expected {base['MemTotal'] + total * 4}"] if drift else []
    for z, v in base["zones"].items():
        n = now["zones"].get(z, {"present": 0, "managed": 0})
        for k in ("present", "managed"):
            if n[k] != v[k] + delta.get(z, 0):
                bad.append(f"{z} {k} {n[k]}, expected {v[k] + delta.get(z, 0)}")
    return drift, ("; ".join(bad) if bad else None)
