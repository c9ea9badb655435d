#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""CPU of `anninh camsim --source CLIP` serving N cameras, one client each.

    python3 tests/bench/camsim_load.py [N ...]      (default: 50 200)

Environment as for the integration tests (meson devenv, or ANNINH_TOOL and
ANNINH_BUILD_ROOT). Makes (once) a 1080p25 4 Mbit/s H.264 clip, starts
camsim with N cameras from it, pulls every camera with a minimal RTP-over-
RTSP/TCP client (all sockets in one selector, bytes counted, nothing
decoded), then measures over a window: camsim's CPU time (from /proc, in
cores), its resident memory, and the bytes every camera delivered. Writes a
markdown report to tests/bench/results/camsim-load.md.
"""

import os
import selectors
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "integration"))

from anninh_harness import CamSim, RtspPull, make_clip  # noqa: E402

WARMUP = 5.0
WINDOW = 15.0
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def machine_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def run(n, clip):
    with CamSim(cameras=n, source=clip, ready_timeout=120) as cs:
        pid = cs.proc.pid
        pulls = []
        t0 = time.monotonic()
        for i in range(n):
            pulls.append(RtspPull(cs.url(i), timeout=60, reader=False).start())
        setup_s = time.monotonic() - t0
        sel = selectors.DefaultSelector()
        got = [0] * n
        closed = 0
        for i, p in enumerate(pulls):
            sel.register(p.sock, selectors.EVENT_READ, i)
        buf = bytearray(1 << 18)

        def pump(seconds):
            nonlocal closed
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                for key, _ in sel.select(timeout=0.2):
                    try:
                        k = key.fileobj.recv_into(buf)
                    except BlockingIOError:
                        continue
                    if k == 0:
                        sel.unregister(key.fileobj)
                        closed += 1
                    got[key.data] += k

        pump(WARMUP)
        got = [0] * n
        c0 = cpu_seconds(pid)
        b0, all0 = machine_busy()
        w0 = time.monotonic()
        pump(WINDOW)
        wall = time.monotonic() - w0
        cpu = (cpu_seconds(pid) - c0) / wall
        b1, all1 = machine_busy()
        machine = (b1 - b0) / max(1, all1 - all0)
        rss = rss_mb(pid)
        status = cs.status()
        for p in pulls:
            p.stop()
        slow = [(i, round(g * 8 / wall / 1000)) for i, g in enumerate(got)
                if g * 8 / wall / 1000 < 3000]
        if slow:
            print("  cameras below 3000 kbit/s (cam, kbit/s): %s" % slow,
                  flush=True)
        rates = sorted(g * 8 / wall / 1000 for g in got)
        return {
            "n": n, "cpu": cpu, "rss": rss, "setup": setup_s,
            "min": rates[0], "median": rates[len(rates) // 2],
            "total": sum(rates) / 1000, "closed": closed,
            "clients": sum(c["clients"] for c in status),
            "machine": machine,
        }


def main():
    counts = [int(a) for a in sys.argv[1:]] or [50, 200]
    clip = make_clip(codec="h264", width=1920, height=1080, fps=25,
                     bitrate=4000, seconds=10)
    rows = []
    for n in counts:
        r = run(n, clip)
        rows.append(r)
        print("%(n)4d cameras: camsim %(cpu).2f cores, %(rss).0f MB RSS, "
              "per camera median %(median).0f kbit/s (min %(min).0f), "
              "total %(total).1f Mbit/s, %(clients)d sessions, "
              "%(closed)d closed, machine %(machine).0f%% busy, "
              "setup %(setup).1f s" % dict(r, machine=r["machine"] * 100),
              flush=True)
    out = os.path.join(here, "results")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "camsim-load.md"), "w") as f:
        f.write("# camsim: serving a 1080p25 4 Mbit/s H.264 clip\n\n")
        f.write("One client per camera (RTP over RTSP/TCP, nothing decoded), "
                "%d s window after %d s warm-up, %d CPUs (%s), machine "
                "shared with other jobs.\n\n"
                % (WINDOW, WARMUP, os.cpu_count(), time.strftime(
                    "%Y-%m-%d %H:%M UTC", time.gmtime())))
        f.write("| cameras | camsim CPU (cores) | RSS (MB) | per camera "
                "median / min (kbit/s) | total (Mbit/s) | sessions | "
                "machine busy |\n|---|---|---|---|---|---|---|\n")
        for r in rows:
            f.write("| %d | %.2f | %.0f | %.0f / %.0f | %.1f | %d | %.0f%% |\n"
                    % (r["n"], r["cpu"], r["rss"], r["median"], r["min"],
                       r["total"], r["clients"], r["machine"] * 100))
    print("report: %s" % os.path.join(out, "camsim-load.md"))


if __name__ == "__main__":
    main()
