#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""CPU of `anninh camsim --source CLIP` serving N cameras, one client each,
side by side with the stock way of serving a file from gst-rtsp-server.

    python3 tests/bench/camsim_load.py [N ...]      (default: 50 200)

Environment as for the integration tests (meson devenv, or ANNINH_TOOL and
ANNINH_BUILD_ROOT). Makes (once) a 40 s 1080p25 4 Mbit/s H.264 clip, then
for each N runs camsim twice:

* ours: the clip's access units in memory once, paced into each camera's
  appsrc ! rtph264pay;
* stock: `--demux-per-camera`, every camera's pipeline is
  filesrc ! parsebin ! h264parse ! rtph264pay, the way a gst-rtsp-server
  launch line serves a file (played once, hence the 40 s clip).

Every camera is pulled by a minimal RTP-over-RTSP/TCP client (all sockets in
one selector, bytes counted, nothing decoded); over a window it measures
camsim's CPU time (from /proc, in cores), its resident memory, and the
bytes every camera delivered. Writes tests/bench/results/camsim-load.md.
"""

import os
import selectors
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "integration"))

from anninh_harness import CamSim, RtspPull, make_clip  # noqa: E402

WARMUP = 4.0
WINDOW = 12.0
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


def run(n, clip, stock):
    extra = ["--demux-per-camera"] if stock else []
    with CamSim(cameras=n, source=clip, ready_timeout=120,
                extra_args=extra) as cs:
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
        own0 = time.process_time()
        b0, all0 = machine_busy()
        w0 = time.monotonic()
        pump(WINDOW)
        wall = time.monotonic() - w0
        cpu = (cpu_seconds(pid) - c0) / wall
        client = (time.process_time() - own0) / wall
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
            "mode": "stock" if stock else "ours",
            "n": n, "cpu": cpu, "rss": rss, "setup": setup_s,
            "min": rates[0], "median": rates[len(rates) // 2],
            "total": sum(rates) / 1000, "closed": closed,
            "clients": sum(c["clients"] for c in status),
            "machine": machine, "client": client,
        }


def main():
    counts = [int(a) for a in sys.argv[1:]] or [50, 200]
    clip = make_clip(codec="h264", width=1920, height=1080, fps=25,
                     bitrate=4000, seconds=40)
    rows = []
    for n in counts:
        for stock in (False, True):
            r = run(n, clip, stock)
            rows.append(r)
            print("%(mode)5s %(n)4d cameras: camsim %(cpu).2f cores, "
                  "%(rss).0f MB RSS, per camera median %(median).0f kbit/s "
                  "(min %(min).0f), total %(total).1f Mbit/s, "
                  "%(clients)d sessions, %(closed)d closed, machine "
                  "%(machine).0f%% busy, client %(client).2f cores, "
                  "setup %(setup).1f s"
                  % dict(r, machine=r["machine"] * 100), flush=True)
    out = os.path.join(here, "results")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "camsim-load.md"), "w") as f:
        f.write("# camsim: serving a 1080p25 4 Mbit/s H.264 clip\n\n")
        f.write("One client per camera (RTP over RTSP/TCP, nothing decoded), "
                "%d s window after %d s warm-up, %d CPUs (%s), machine "
                "shared with other jobs.\n\n"
                % (WINDOW, WARMUP, os.cpu_count(), time.strftime(
                    "%Y-%m-%d %H:%M UTC", time.gmtime())))
        f.write("ours: clip in memory once, appsrc ! rtph264pay per camera; "
                "stock: filesrc ! parsebin ! h264parse ! rtph264pay per "
                "camera (`--demux-per-camera`).\n\n")
        f.write("| mode | cameras | camsim CPU (cores) | RSS (MB) | per camera "
                "median / min (kbit/s) | total (Mbit/s) | sessions | "
                "CPU per Gbit/s delivered | client CPU (cores) | "
                "machine busy |\n"
                "|---|---|---|---|---|---|---|---|---|---|\n")
        for r in rows:
            f.write("| %s | %d | %.2f | %.0f | %.0f / %.0f | %.1f | %d | "
                    "%.2f | %.2f | %.0f%% |\n"
                    % (r["mode"], r["n"], r["cpu"], r["rss"], r["median"],
                       r["min"], r["total"], r["clients"],
                       r["cpu"] / max(1e-9, r["total"] / 1000),
                       r["client"], r["machine"] * 100))
        f.write("\nThe client (one Python thread) reads the sockets round "
                "robin: when the machine is saturated it equalises what "
                "the cameras deliver, and a server that cannot keep up "
                "delivers less than the clip's rate. Compare CPU per "
                "Gbit/s delivered, and check that every camera got the "
                "clip's rate.\n")
        by = {(r["mode"], r["n"]): r for r in rows}
        def per_gbit(r):
            return r["cpu"] / max(1e-9, r["total"] / 1000)
        f.write("\nCPU ratio ours / stock: %s\n" % "; ".join(
            "%d cameras %.2f (per Gbit/s delivered %.2f)" % (
                n, by[("ours", n)]["cpu"] / max(1e-9, by[("stock", n)]["cpu"]),
                per_gbit(by[("ours", n)]) / max(1e-9,
                                                per_gbit(by[("stock", n)])))
            for n in counts))
    print("report: %s" % os.path.join(out, "camsim-load.md"))


if __name__ == "__main__":
    main()
