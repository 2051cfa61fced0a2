# SPDX-License-Identifier: GPL-2.0
"""What every script that runs inside a test VM shares: the KTAP writer,
pcpool's debugfs files, writes that report their errno, module loads,
the kernel log, memory blocks, the kernel's own memory figures, kmemleak,
and the runner of the tests in scripts/tests/."""

import ctypes
import errno
import os
import re
import select
import signal
import subprocess
import sys
import time

DEBUGFS = "/sys/kernel/debug/pcpool"
MEM = "/sys/devices/system/memory"
CPU = "/sys/devices/system/cpu"
KMEMLEAK = "/sys/kernel/debug/kmemleak"
INJECT = "/sys/kernel/debug/notifier-error-inject/memory/actions/MEM_GOING_OFFLINE/error"

# What the entry scripts export to the tests.
TOP = os.environ.get("PCPOOL_TOP", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
KDIR = os.environ.get("KDIR", "")
MODULE = os.environ.get("PCPOOL_MODULE", f"{TOP}/pcpool.ko")
BLOCKS = [int(b) for b in os.environ.get("PCPOOL_BLOCKS", "").split()]

_libc = ctypes.CDLL(None, use_errno=True)
_SYS_delete_module = 176  # x86_64
_SYS_finit_module = 313


class Ktap:
    """A KTAP document on stdout, line for line what kselftest's
    ktap_helpers.sh prints: the "TAP version 13" header, the plan, numbered
    results, "# " diagnostics (whitespace collapsed, as its echo does), and
    the totals with the exit status at the end."""

    def __init__(self, plan, out=None):
        self.out = out or sys.stdout
        self.plan = plan
        self.n = self.passed = self.failed = self.skipped = 0
        self._line("TAP version 13")
        self._line(f"1..{plan}")

    def _line(self, text):
        print(text, file=self.out, flush=True)

    def msg(self, *text):
        self._line(" ".join(["#"] + " ".join(str(t) for t in text).split()))

    def _result(self, result, name, directive=""):
        self.n += 1
        self._line(" ".join(f"{result} {self.n} {name} {'# ' + directive if directive else ''}".split()))

    def ok(self, name):
        self.passed += 1
        self._result("ok", name)

    def fail(self, name):
        self.failed += 1
        self._result("not ok", name)

    def skip(self, name):
        self.skipped += 1
        self._result("ok", name, "SKIP")

    def result(self, name, passed):
        (self.ok if passed else self.fail)(name)
        return passed

    def totals(self):
        self._line(f"# Totals: pass:{self.passed} fail:{self.failed} xfail:0 xpass:0 skip:{self.skipped} error:0")

    def bail(self, why):
        """Bail out: the rest of the plan cannot run."""
        self._line("Bail out!  " + " ".join(why.split()))
        self.totals()
        sys.exit(1)

    def finished(self):
        self.totals()
        sys.exit(0 if self.passed + self.skipped == self.plan else 1)


def errname(e):
    """'ok' for 0, else the errno's name (EINVAL)."""
    return "ok" if e == 0 else errno.errorcode.get(e, str(e))


def write(path, data, timeout=None):
    """open() and one write() of data (str or bytes): the errno, 0 on
    success. With a timeout, as Background does."""
    if timeout:
        return Background(path, data, timeout).wait()
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


class Background:
    """write() in a child process, as a shell's `echo data > path &`: wait()
    gives its errno. After timeout seconds the child gets SIGTERM, as
    timeout(1) sends it: an offline that retries forever gives up on a
    pending signal, and the write counts as EINTR."""

    def __init__(self, path, data, timeout=None):
        self.pid = os.fork()
        if self.pid == 0:
            try:
                os._exit(write(path, data))
            except BaseException:
                os._exit(255)
        self.pidfd = os.pidfd_open(self.pid)
        self.deadline = time.time() + timeout if timeout else None
        self.result = None

    def kill(self, sig=signal.SIGTERM):
        if self.result is None:
            os.kill(self.pid, sig)

    def wait(self):
        while self.result is None:
            left = None if self.deadline is None else max(0, self.deadline - time.time())
            if select.select([self.pidfd], [], [], left)[0]:
                _, status = os.waitpid(self.pid, 0)
                self.result = os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else errno.EINTR
                os.close(self.pidfd)
            else:
                os.kill(self.pid, signal.SIGTERM)
                self.deadline = None
        return self.result


def read(name):
    """A file of pcpool's debugfs directory."""
    with open(f"{DEBUGFS}/{name}") as f:
        return f.read()


def cat(path):
    """A file's contents, '' when it cannot be read."""
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def verify_line():
    """The first line of verify: the pool's page counts."""
    return cat(f"{DEBUGFS}/verify").split("\n", 1)[0]


def consistent():
    return "consistent" in cat(f"{DEBUGFS}/verify").splitlines()


def allocated(line=None):
    """The allocated count of a verify line (the current one by default)."""
    m = re.search(r" (\d+) allocated;", verify_line() if line is None else line)
    return int(m.group(1)) if m else None


def zone():
    """The pool's zone file: {name: value}."""
    return {k: int(v) for k, v in (l.split() for l in read("zone").splitlines())}


def zone_value(key):
    """One value of the zone file; None without pcpool loaded."""
    try:
        return zone().get(key)
    except OSError:
        return None


def pcp_rows():
    """pcp's rows, split into words, without the header."""
    return [l.split() for l in cat(f"{DEBUGFS}/pcp").splitlines()[1:]]


def nproc():
    """The CPUs this process may run on, as nproc(1) counts them: the
    online ones."""
    return len(os.sched_getaffinity(0))


def cpus_with_marks(high, batch=None):
    """How many CPUs' pagesets run with these marks (batch: any)."""
    return sum(1 for r in pcp_rows() if r[2] == str(high) and (batch is None or r[3] == str(batch)))


def one_line(text, sep="|"):
    """Lines joined into one (each followed by sep), for a diagnostic."""
    return "".join(l + sep for l in text.splitlines())


# Modules: insmod and rmmod as a shell test runs them (the kmod tools, with
# their messages on stderr and their timing), and load() and unload(), the
# system calls themselves, for tests that want the errno.

def insmod(path, *args, quiet=False):
    return subprocess.run(["insmod", path, *args], stderr=subprocess.DEVNULL if quiet else None).returncode == 0


def rmmod(*names, quiet=False):
    return subprocess.run(["rmmod", *names], stderr=subprocess.DEVNULL if quiet else None).returncode == 0


def load(path, args=""):
    """finit_module() of the module at path: the errno, 0 on success."""
    fd = os.open(path, os.O_RDONLY)
    try:
        ret = _libc.syscall(_SYS_finit_module, fd, args.encode(), 0)
        return 0 if ret == 0 else ctypes.get_errno()
    finally:
        os.close(fd)


def unload(name):
    """delete_module() of a module, without waiting, as rmmod does."""
    return _libc.syscall(_SYS_delete_module, name.encode(), os.O_NONBLOCK) == 0


def loaded(name):
    return os.path.isdir(f"/sys/module/{name}")


def kunit_skip_suites():
    """pcpool.ko carries its KUnit suites, and KUnit runs them at every load.
    After the KUnit run, later loads skip them: a glob no suite matches."""
    write("/sys/module/kunit/parameters/filter_glob", "pcpool-kunit-done\n")


# The kernel log.

def kmsg_mark(text):
    """A marker in the kernel log, so a test can read only what follows it."""
    with open("/dev/kmsg", "w") as f:
        f.write(f"pcpool-test: {text}\n")


def kmsg_since(text):
    """The kernel log from the marker text on ('' without one), one line a
    message as dmesg prints it ("[   12.345678] message"), read from
    /dev/kmsg: a record per read(), no dmesg process to start."""
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
            head, _, msg = rec.decode(errors="replace").partition(";")
            usec = int(head.split(",")[2])
            msgs.append((f"[{usec // 1000000:5d}.{usec % 1000000:06d}] ", msg.split("\n", 1)[0]))
    finally:
        os.close(fd)
    marker = f"pcpool-test: {text}"
    idx = next((i for i, (_, m) in enumerate(msgs) if m == marker), -1)
    return "".join(f"{t}{m}\n" for t, m in msgs[idx:]) if idx >= 0 else ""


def kmsg_grep(mark, pattern):
    """The lines after marker mark that match the regular expression."""
    return [l for l in kmsg_since(mark).splitlines() if re.search(pattern, l)]


def kmsg_wait(mark, text, timeout=60):
    """Waits (60 s at most) until the log after marker mark holds text."""
    end = time.time() + timeout
    while text not in kmsg_since(mark):
        if time.time() >= end:
            return False
        time.sleep(0.2)
    return True


def kmsg_in_order(mark, *texts):
    """Whether the log after marker mark holds lines with each of texts, in
    that order, each on a later line than the one before."""
    lines = kmsg_since(mark).splitlines()
    at = -1
    for text in texts:
        at = next((i for i in range(at + 1, len(lines)) if text in lines[i]), None)
        if at is None:
            return False
    return True


def pcpool_lines(mark, pattern="pcpool:"):
    """The log's lines after mark that hold pattern, for a diagnostic."""
    return "".join(l + "|" for l in kmsg_since(mark).splitlines() if pattern in l)


# Memory blocks.

def block_pages():
    """The pages in one memory block."""
    return int(cat(f"{MEM}/block_size_bytes"), 16) // os.sysconf("SC_PAGESIZE")


def _hex(v):
    return f"{v:#x}" if v else "0"  # as printf's %#x


def block_range(n):
    """The pfn range of memory block n, as pcpool logs it: "pfn [0x..., 0x...)"."""
    per = block_pages()
    return f"pfn [{_hex(n * per)}, {_hex((n + 1) * per)})"


def block_state(n):
    return cat(f"{MEM}/memory{n}/state").strip()


def set_block_state(n, state, timeout=60):
    """Sets memory block n's state: True when the write succeeded. The
    timeout stops an offline that retries forever (offline_pages() honours
    the signal)."""
    return write(f"{MEM}/memory{n}/state", f"{state}\n", timeout=timeout) == 0


def offline_in_background(n):
    """set_block_state(n, "offline") in a child process: a Background."""
    return Background(f"{MEM}/memory{n}/state", "offline\n", 60)


def offlinable_blocks():
    """The movable memory blocks that really go offline (and come back),
    tried one by one: some cannot (the top one holds ACPI tables here; a
    reserved page can sit in another), and an offline can fail for a moment
    (a page under I/O), so each gets two tries. Call it before pcpool takes
    memory."""
    found = []
    nums = sorted(int(d[6:]) for d in os.listdir(MEM) if d.startswith("memory") and d[6:].isdigit())
    for n in nums:
        if cat(f"{MEM}/memory{n}/valid_zones").strip() != "Movable" or block_state(n) != "online":
            continue
        went = set_block_state(n, "offline")
        if not went:
            time.sleep(1)
            went = set_block_state(n, "offline")
        if went:
            if set_block_state(n, "online_movable"):
                found.append(n)
            else:
                print(f"guest: memory{n} stayed offline", file=sys.stderr)
    return found


def online_dimms():
    """Onlines movable the memory blocks that came up offline (the NUMA VM's
    DIMMs, scripts/vm.sh numa_vm_layout); returns them."""
    blocks = sorted(int(d[6:]) for d in os.listdir(MEM) if d.startswith("memory") and d[6:].isdigit())
    return [n for n in blocks if block_state(n) == "offline" and set_block_state(n, "online_movable")]


def pool_pfns():
    """The pfns of the pool's pageblocks ([] without pcpool loaded)."""
    try:
        return [int(l.split()[0], 16) for l in read("pageblocks").splitlines()[1:]]
    except OSError:
        return []


def pool_blocks(among=None):
    """The memory blocks that hold pool chunks, in order; only those of
    among when it is given."""
    per = block_pages()
    used = sorted({pfn // per for pfn in pool_pfns()})
    return used if among is None else [b for b in used if b in among]


def blocks_in(n):
    """Pool pageblocks in memory block n."""
    per = block_pages()
    return sum(1 for pfn in pool_pfns() if n * per <= pfn < (n + 1) * per)


def held_per_block(among):
    """{memory block among `among`: the pool pages allocated there}, from
    the pageblocks' free counts once the pagesets are drained (a shrink of
    one page drains them first, and gives back at most one free pageblock)."""
    per = block_pages()
    write(f"{DEBUGFS}/shrink", "1\n")
    out = {}
    for line in read("pageblocks").splitlines()[1:]:
        pfn, _, free, _ = line.split()
        b = int(pfn, 16) // per
        if b in among:
            out[b] = out.get(b, 0) + 512 - int(free)
    return out


def pool_block(among=None):
    """The first of among (BLOCKS) that holds pool chunks, or None."""
    return next(iter(pool_blocks(BLOCKS if among is None else among)), None)


def free_block():
    """The first of BLOCKS that holds no pool chunk, or None."""
    used = set(pool_blocks())
    return next((b for b in BLOCKS if b not in used), None)


# The kernel's own memory figures.

def kernel_view():
    """The kernel's own figures: MemTotal and MemFree (kB), each zone's
    present, managed and free pages per node (zones with pages present only;
    keyed "Normal" on a machine of one node, "node1 Normal" on more), each
    memory block's state and zone (None when offline), keyed the same way."""
    view = {"zones": {}, "blocks": {}}
    for line in open("/proc/meminfo"):
        key, value = line.split(":", 1)
        if key in ("MemTotal", "MemFree"):
            view[key] = int(value.split()[0])
    zones, zone = {}, None
    for line in open("/proc/zoneinfo"):
        f = line.split()
        if f[:1] == ["Node"]:
            zone = zones.setdefault((int(f[1].rstrip(",")), f[3]), {"present": 0, "managed": 0, "free": 0})
        elif zone is not None and f[:2] == ["pages", "free"]:
            zone["free"] = int(f[2])
        elif zone is not None and len(f) == 2 and f[0] in ("present", "managed"):
            zone[f[0]] = int(f[1])
    single = {nid for nid, _ in zones} == {0}

    def key(nid, name):
        return name if single else f"node{nid} {name}"

    view["zones"] = {key(nid, z): v for (nid, z), v in zones.items() if v["present"]}
    for d in os.listdir(MEM):
        if d.startswith("memory") and d[6:].isdigit():
            state = cat(f"{MEM}/{d}/state").strip()
            nid = next((int(n[4:]) for n in os.listdir(f"{MEM}/{d}") if n[:4] == "node" and n[4:].isdigit()), 0)
            zone = key(nid, cat(f"{MEM}/{d}/valid_zones").split()[0]) if state == "online" else None
            view["blocks"][int(d[6:])] = (state, zone)
    return view


def _accounting(base):
    """The figures now against kernel_view() base, taken before pcpool was
    loaded: MemTotal and each zone's present and managed must differ by
    exactly the pages of the blocks whose state changed since (an offline
    block's pages less in its zone, an online block's more)."""
    now = kernel_view()
    per = block_pages()
    delta, total, off, on = {}, 0, 0, 0
    for b, (state, zone) in now["blocks"].items():
        was, was_zone = base["blocks"].get(b, (state, zone))
        if was == "online" and state == "offline":
            delta[was_zone] = delta.get(was_zone, 0) - per
            total -= per
            off += 1
        elif was == "offline" and state == "online":
            delta[zone] = delta.get(zone, 0) + per
            total += per
            on += 1
    r = {"now": now, "expected_total": base["MemTotal"] + total * 4, "off": off, "on": on, "zones": [], "bad": []}
    if now["MemTotal"] != r["expected_total"]:
        r["bad"].append(f"MemTotal {now['MemTotal']} kB, expected {r['expected_total']}")
    for z in sorted(base["zones"]):
        n = now["zones"].get(z, {"present": 0, "managed": 0, "free": 0})
        want = {k: base["zones"][z][k] + delta.get(z, 0) for k in ("present", "managed")}
        r["zones"].append((z, n, want))
        for k in ("present", "managed"):
            if n[k] != want[k]:
                r["bad"].append(f"{z} {k} {n[k]}, expected {want[k]}")
    return r


def kernel_accounting_ok(base, what=""):
    """(whether the kernel's figures are exact for the blocks' states, a line
    that gives them, for a KTAP comment): see _accounting()."""
    r = _accounting(base)
    now = r["now"]
    msg = (f"kernel{what}: MemTotal {now['MemTotal']} kB (expected {r['expected_total']}), "
           f"MemFree {now['MemFree']} kB; {r['off']} blocks offline, {r['on']} online since load")
    for z, n, want in r["zones"]:
        msg += (f"; {z} present {n['present']} ({want['present']}) managed {n['managed']} "
                f"({want['managed']}) free {n['free']}")
    return not r["bad"], msg + (" MISMATCH" if r["bad"] else "")


def kernel_accounting(base):
    """(MemTotal drift in kB, what differs, or None when exact): see
    _accounting()."""
    r = _accounting(base)
    return r["now"]["MemTotal"] - r["expected_total"], ("; ".join(r["bad"]) if r["bad"] else None)


def memfree():
    """MemFree in kB, after dropping clean caches and shrinking every slab
    cache (which also empties KASAN's quarantine of freed objects: on the
    debug kernel it holds tens of MiB that would look like pages lost)."""
    os.sync()
    write("/proc/sys/vm/drop_caches", "3\n")
    for d in sorted(os.listdir("/sys/kernel/slab")):
        write(f"/sys/kernel/slab/{d}/shrink", "1\n")
    for line in open("/proc/meminfo"):
        if line.startswith("MemFree:"):
            return int(line.split()[1])
    return 0


# Memory pressure.

# The hog: writes every page of a buffer of argv[1] bytes, then says so. It
# volunteers for the OOM killer, so that nothing else is chosen.
_HOG = """
import sys
open("/proc/self/oom_score_adj", "w").write("1000")
b = bytearray(int(sys.argv[1]))
b[::4096] = b"\\x01" * len(range(0, len(b), 4096))
print("done", flush=True)
"""


def meminfo(key):
    """A /proc/meminfo value in kB."""
    for line in open("/proc/meminfo"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def hog_bytes(pool_pages):
    """What the hog writes against a pool of pool_pages: more than the
    memory beside the pool by half the pool, (MemTotal - pool - 300 MiB) +
    pool / 2."""
    return (meminfo("MemTotal") - pool_pages * 4 - 300 * 1024 + pool_pages * 2) * 1024


def hog(nbytes, timeout=900):
    """Runs the hog: (0 when it wrote everything, else its exit status, -9
    when the OOM killer took it; guest seconds)."""
    start = time.time()
    run = subprocess.run([sys.executable, "-c", _HOG, str(nbytes)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, timeout=timeout)
    ok = run.returncode == 0 and run.stdout.strip() == "done"
    return (0 if ok else run.returncode or 1), time.time() - start


def pcp_slack():
    """What the kernel's own pcp lists may hold, in kB: the sum of every
    CPU's high mark in /proc/zoneinfo."""
    return sum(int(l.split()[1]) for l in open("/proc/zoneinfo") if l.split()[:1] == ["high:"]) * 4


def unload_memfree_restored(ktap, before):
    """Unloads pcpool and reports the KTAP test memfree_restored: MemFree is
    back at before (kB, from memfree() before the load), within the pcp
    slack of the kernel itself."""
    rmmod("pcpool")
    after = memfree()
    slack = pcp_slack()
    ktap.msg(f"MemFree before load {before} kB, after unload {after} kB; kernel pcp slack {slack} kB")
    ktap.result("memfree_restored", not loaded("pcpool") and abs(before - after) <= slack)


# kmemleak.

def kmemleak_start():
    """Debug kernel: stop kmemleak's periodic scan (it would log leaks of
    code that is not ours as reports), and forget what boot left behind, so
    a later scan reports only objects allocated from now on. A no-op
    without kmemleak."""
    if not os.access(KMEMLEAK, os.W_OK):
        return
    for cmd in ("scan=off", "scan", "clear"):
        write(KMEMLEAK, cmd + "\n")


def kmemleak_check(out, name):
    """After every module is unloaded: scan and write the KTAP test
    kmemleak_clean into out/shell-NAME.ktap (.rc, .times). A leak is ours
    when its allocation backtrace names pcpool or holds a frame kallsyms no
    longer resolves, which is what an unloaded module's code leaves. Other
    leaks are only counted. Without kmemleak (the lean kernel) it writes
    nothing."""
    if not os.access(KMEMLEAK, os.W_OK):
        return
    times = open(f"{out}/shell-{name}.times", "w")
    times.write(f"{time.time():.6f} start\n")
    # An object must look unreferenced in a scan and be older than 5 s.
    time.sleep(6)
    write(KMEMLEAK, "scan\n")
    write(KMEMLEAK, "scan\n")
    report = cat(KMEMLEAK)
    with open(f"{out}/kmemleak-{name}.txt", "w") as f:
        f.write(report)
    lines = report.splitlines()
    ours_re = re.compile(r"pcpool|\[<[0-9a-f]+>\] 0x[0-9a-f]+$")
    total = ours = 0
    hit = False
    for l in lines:
        if l.startswith("unreferenced object"):
            total += 1
            ours += hit
            hit = False
        if ours_re.search(l):
            hit = True
    ours += hit
    with open(f"{out}/shell-{name}.ktap", "w") as f:
        ktap = Ktap(1, f)
        ktap._line(f"# kmemleak after unloading: {total} suspected leaks, {ours} from pcpool or its samples")
        if ours:
            # The first three of ours, as grep -B2 -A18 -m 3 shows them.
            hits = [i for i, l in enumerate(lines) if re.search(r"pcpool|\] 0x", l)][:3]
            shown = sorted({j for i in hits for j in range(max(0, i - 2), min(len(lines), i + 19))})
            prev = None
            for j in shown:
                if prev is not None and j != prev + 1:
                    ktap._line("# --")
                ktap._line(f"# {lines[j]}")
                prev = j
        ktap.result("kmemleak_clean", ours == 0)
    times.write(f"{time.time():.6f} {'ok' if ours == 0 else 'not ok'} 1 kmemleak_clean\n")
    times.close()
    with open(f"{out}/shell-{name}.rc", "w") as f:
        f.write(f"{0 if ours == 0 else 1}\n")


# The scripts a VM runs (scripts/guest/*.py, started by scripts/vm.sh with
# OUT, the directory shared with the host, as the first argument).

def guest_start(out, kdir=None):
    """What each VM's script does first: tell the host it started, mount
    debugfs, and export what the tests read (KDIR, PCPOOL_TOP,
    PCPOOL_MODULE; the working directory is the repository)."""
    open(f"{out}/guest-started", "w").close()
    if not os.path.ismount("/sys/kernel/debug"):
        subprocess.run(["mount", "-t", "debugfs", "none", "/sys/kernel/debug"])
    if kdir is not None:
        os.environ["KDIR"] = kdir
    os.environ["PCPOOL_TOP"] = os.getcwd()
    os.environ["PCPOOL_MODULE"] = f"{os.getcwd()}/pcpool.ko"


def guest_finish(out):
    """The kernel log into out/dmesg.txt, and the sign that the script ran to
    its end."""
    with open(f"{out}/dmesg.txt", "w") as f:
        f.write(dmesg())
    open(f"{out}/guest-finished", "w").close()


def dmesg():
    """The kernel log as dmesg prints it."""
    return subprocess.run(["dmesg"], stdout=subprocess.PIPE, text=True, errors="replace").stdout


def export_blocks():
    """Probes the movable blocks that go offline (offlinable_blocks()) and
    exports them to the tests as PCPOOL_BLOCKS: a list of them."""
    blocks = offlinable_blocks()
    os.environ["PCPOOL_BLOCKS"] = " ".join(map(str, blocks))
    return blocks


def mem_total_mib():
    """MemTotal in MiB, as awk prints it."""
    kb = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
    return f"{kb / 1024:.6g}"


def uptime():
    return int(float(cat("/proc/uptime").split()[0]))


def save_kunit_results(out, suite):
    """A KUnit suite's results from debugfs into out/kunit-SUITE.ktap."""
    results = cat(f"/sys/kernel/debug/kunit/{suite}/results")
    if os.path.exists(f"/sys/kernel/debug/kunit/{suite}/results"):
        with open(f"{out}/kunit-{suite}.ktap", "w") as f:
            f.write(results)


def say(text):
    """A line for the host: it shows the console's "guest:" lines."""
    print(f"guest: {text}", flush=True)


def run_tests(out, directory, env=None):
    """Runs every test in directory (NAME.py), each a KTAP document of its
    own, into out: shell-NAME.ktap, .stderr, .rc, and shell-NAME.times: each
    KTAP line after the time it came, so that the host can tell how long
    each test case took (scripts/timings.py)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
    env["PYTHONPATH"] = os.path.dirname(os.path.abspath(__file__))
    for test in sorted(f for f in os.listdir(directory) if f.endswith(".py")):
        name = test[:-3]
        say(f"shell test {name}")
        base = f"{out}/shell-{name}"
        with open(f"{base}.ktap", "w") as ktap, open(f"{base}.times", "w") as times, \
                open(f"{base}.stderr", "w") as stderr:
            start = time.time()
            times.write(f"{start:.6f} start\n")
            proc = subprocess.Popen([sys.executable, f"{directory}/{test}"], stdout=subprocess.PIPE,
                                    stderr=stderr, env=env, text=True, errors="replace")
            for line in proc.stdout:
                ktap.write(line)
                ktap.flush()
                times.write(f"{time.time():.6f} {line.rstrip(chr(10))}\n")
            rc = proc.wait()
            end = time.time()
            times.write(f"{end:.6f} end\n")
        with open(f"{base}.rc", "w") as f:
            f.write(f"{rc}\n")
        say(f"shell test {name} took {int(end - start)} s")
