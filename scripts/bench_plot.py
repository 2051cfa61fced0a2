#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Plots a make bench run: reads build/bench.csv (metric,value,unit) and
writes an SVG through Debian's gnuplot, one panel per benchmark. A figure
the run did not produce is left out of its panel.

Usage: bench_plot.py CSV SVG"""

import re
import subprocess
import sys


# Powers of ten on a log axis.
LOG_FORMAT = '"%.0e"'


def panel(title, ylabel, rows, log=False):
    """A bar panel: rows are (label, value), values of one unit."""
    rows = [(l, v) for l, v in rows if v is not None]
    # A line per comma, and at most two words a line, under the bar.
    lines = [re.sub(r"(\S+ \S+) ", r"\1\\n", l.replace(", ", ",\\n")) for l, _ in rows]
    data = "\n".join(f'"{l}" {v}' for l, (_, v) in zip(lines, rows))
    return f"""
set title "{title}"
set ylabel "{ylabel}"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set xtics scale 0 font ",9"
{'set logscale y' if log else 'unset logscale y'}
set format y {LOG_FORMAT if log else '"%g"'}
set bmargin 5
set yrange [{'*' if log else '0'}:*]
set key off
$D << EOD
{data}
EOD
plot $D using 2:xtic(1) linecolor rgb "#4477aa", '' using 0:2:(sprintf($2 >= 100 ? "%.0f" : "%.3g", $2)) with labels offset 0,0.7 font ",8"
"""


def main():
    csv_path, svg_path = sys.argv[1], sys.argv[2]
    fig, unit = {}, {}
    for line in open(csv_path).read().splitlines()[1:]:
        metric, value, u = (line.split(",") + ["", ""])[:3]
        try:
            fig[metric] = float(value)
            unit[metric] = u
        except ValueError:
            pass
    g = fig.get
    u = unit.get("p1_pair_pcpool", "insn")
    ticks = unit.get("p2_time_1_ipi", "ticks")

    script = f"""
set terminal svg size 1500,900 dynamic font "sans,11"
set output "{svg_path}"
set multiplot layout 2,3 title "make bench (figures in {u}: {'guest instructions under -icount' if u == 'insn' else 'cycles'})"
"""
    script += panel("P1: an order-0 alloc+free pair", f"{u} per page", [
        ("pcpool", g("p1_pair_pcpool")),
        ("pcpool, no tracepoints", g("p1_pair_pcpool_notrace")),
        ("pcpool, remote-lock", g("p1_pair_pcpool_remote")),
        ("pcpool, other node", g("p1_pair_remote_node")),
        ("kernel", g("p1_pair_kernel")),
        ("pcpool, 16 at a time", g("p1_bulk16_pcpool")),
        ("kernel, 16 at a time", g("p1_bulk16_kernel")),
    ])
    sizes = [n for n in (1, 8, 64, 512) if g(f"p2_time_{n}_ipi") is not None]
    data = "\n".join(f"{n} {g(f'p2_time_{n}_ipi')} {g(f'p2_time_{n}_pageblock') or 'NaN'}" for n in sizes)
    script += f"""
set title "P2: isolating N pageblocks"
set ylabel "{ticks}"
set xlabel "pageblocks"
unset xtics
set xtics nomirror
set logscale xy
set format y {LOG_FORMAT}
set format x "%g"
set xrange [0.7:800]
set yrange [*:*]
set key top left
$P2 << EOD
{data}
EOD
plot $P2 using 1:2 with linespoints title "one drain (ipi)", \\
     $P2 using 1:3 with linespoints title "a drain per pageblock"
unset xlabel
unset logscale x
unset xrange
"""
    script += panel("P3: one drain round", ticks, [
        ("ipi, idle", g("p3_ipi_idle")), ("remote, idle", g("p3_remote_idle")),
        ("workqueue, idle", g("p3_workqueue_idle")), ("ipi, busy", g("p3_ipi_busy")),
        ("remote, busy", g("p3_remote_busy")), ("workqueue, busy", g("p3_workqueue_busy")),
    ], log=True)
    evac = g("p4_evacuate_pages_per_s")
    evac = f" (evacuation: {evac:.0f} pages/s)" if evac else ""
    script += panel(f"P4: offlining one memory block{evac}", "us", [
        ("without pool pages", g("p4_offline_without")), ("with", g("p4_offline_with")),
    ])
    script += panel("P5: the pair, alone and on every vCPU", f"{u} per page", [
        ("pcpool alone", g("p5_pair_pcpool_alone")), ("pcpool, all vCPUs", g("p5_pair_pcpool_4cpus")),
        ("kernel alone", g("p5_pair_kernel_alone")), ("kernel, all vCPUs", g("p5_pair_kernel_4cpus")),
    ])
    script += panel("P6: a memory hog", "s", [
        ("without pcpool", g("p6_hog_without")), ("beside a pool of 40% of RAM", g("p6_hog_with")),
    ])
    script += "unset multiplot\n"
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


if __name__ == "__main__":
    main()
