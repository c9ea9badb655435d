#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""policeshare against a plain gst-rtsp-server doing the same job.

Both servers pull the same camsim cameras (a 4 Mb/s H.264 clip, looped,
no re-encoding) with the same upstream elements (rtspsrc latency=0 !
rtph264depay ! h264parse) and serve them as shared media:

  policeshare: gst-launch-1.0 ... ! policeshare mount=/camK  (one process)
  plain:       plain-rtsp-server.c, one shared GstRTSPMediaFactory per
               mount, launch "( rtspsrc ... ! rtph264pay name=pay0 )"

For each scenario (mounts x viewers per mount) and each server, in the
same run: start the server, connect the viewers (one gst-launch-1.0 process
of rtspsrc protocols=tcp ! fakesink branches), let it settle, then measure
from outside over a window: the server's CPU time (/proc/PID/stat, every
thread), the bytes its TCP sockets sent (ss -tin), and the latency it adds:
a probe (PyGObject) receives cam0 both directly from camsim and through the
server and matches access units by the hash of their last bytes; the added
latency is the arrival time difference (through - direct).

Needs python3-gi (run with /usr/bin/python3), ffmpeg not needed. Writes
tests/bench/results/policeshare.md. Usage:

  meson devenv -C BUILD /usr/bin/python3 \\
      tests/bench/policeshare/bench_policeshare.py \\
      [--viewers 100] [--mounts 50 --per-mount 2] [--window 10]
"""

import argparse
import hashlib
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))

from anninh_harness import CamSim, free_port, gst_launch_env, make_clip  # noqa

import gi  # noqa: E402
gi.require_version("Gst", "1.0")
from gi.repository import Gst, GLib  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
# servers' output, for when one dies: see --server-log
LOG = None


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def bytes_sent(port):
    """Sum of bytes_acked of the TCP connections from local port `port`."""
    out = subprocess.run(["ss", "-tinH", "state", "established",
                          "( sport = :%d )" % port],
                         capture_output=True, text=True).stdout
    return sum(int(x) for x in re.findall(r"bytes_acked:(\d+)", out))


def wait_port(port, proc, timeout=30):
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %d" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server not listening on %d" % port)


def wait_mounts(port, mounts, timeout=240):
    """Until every mount answers DESCRIBE with 200 (a share answers 503
    until its camera's first frame)."""
    import socket
    deadline = time.monotonic() + timeout
    pending = set(range(mounts))
    while pending and time.monotonic() < deadline:
        for i in sorted(pending):
            try:
                with socket.create_connection(("127.0.0.1", port),
                                              timeout=10) as s:
                    s.sendall(("DESCRIBE rtsp://127.0.0.1:%d/cam%d RTSP/1.0"
                               "\r\nCSeq: 1\r\nAccept: application/sdp"
                               "\r\n\r\n" % (port, i)).encode())
                    if s.recv(100).startswith(b"RTSP/1.0 200"):
                        pending.discard(i)
            except OSError:
                pass
        time.sleep(0.5)
    if pending:
        raise RuntimeError("mounts without video: %s" % sorted(pending))


def stop(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class LatencyProbe:
    """cam0 direct from camsim and through a server; access units matched by
    a hash of their last 256 bytes (identical: no re-encoding)."""

    def __init__(self, direct_url, through_url):
        self.times = {"direct": {}, "through": {}}
        self.lock = threading.Lock()
        desc = ""
        for name, url in (("direct", direct_url), ("through", through_url)):
            desc += ("rtspsrc location=%s latency=0 protocols=tcp ! "
                     "rtph264depay ! video/x-h264,stream-format=byte-stream,"
                     "alignment=au ! appsink name=%s emit-signals=true "
                     "sync=false " % (url, name))
        self.pipeline = Gst.parse_launch(desc)
        for name in ("direct", "through"):
            sink = self.pipeline.get_by_name(name)
            sink.connect("new-sample", self.on_sample, name)

    def on_sample(self, sink, name):
        now = time.monotonic()
        sample = sink.emit("pull-sample")
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        if ok:
            key = hashlib.sha1(bytes(info.data[-256:])).hexdigest()
            buf.unmap(info)
            with self.lock:
                self.times[name].setdefault(key, []).append(now)
        return Gst.FlowReturn.OK

    def start(self):
        self.pipeline.set_state(Gst.State.PLAYING)

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)
        # camsim loops its clip: the same access unit comes again every
        # loop, so pair each arrival through the server with the nearest
        # direct arrival of that unit
        delays = []
        with self.lock:
            d, t = self.times["direct"], self.times["through"]
            for k, through_times in t.items():
                for tt in through_times:
                    if k in d:
                        near = min(d[k], key=lambda x: abs(tt - x))
                        delays.append((tt - near) * 1000.0)
        return delays


def start_policeshare(cam, port, mounts):
    args = ["gst-launch-1.0", "-q"]
    for i in range(mounts):
        args += ("rtspsrc location=%s latency=0 protocols=tcp ! "
                 "rtph264depay ! h264parse config-interval=-1 ! "
                 "policeshare mount=/cam%d service=%d"
                 % (cam.url(i), i, port)).split()
    return subprocess.Popen(args, stdout=LOG, stderr=subprocess.STDOUT,
                            env=gst_launch_env())


def start_plain(cam, port, mounts, binary):
    base = "rtsp://%s:%d" % (cam.host, cam.port)
    return subprocess.Popen([binary, str(port), base, str(mounts)],
                            stdout=LOG, stderr=subprocess.STDOUT,
                            env=gst_launch_env())


def start_viewers(port, mounts, per_mount):
    args = ["gst-launch-1.0", "-q"]
    for i in range(mounts):
        for _ in range(per_mount):
            args += ("rtspsrc location=rtsp://127.0.0.1:%d/cam%d "
                     "protocols=tcp latency=0 ! fakesink sync=false "
                     "async=false" % (port, i)).split()
    return subprocess.Popen(args, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=gst_launch_env())


def run_one(kind, cam, mounts, per_mount, window, plain_binary):
    port = free_port()
    if kind == "policeshare":
        server = start_policeshare(cam, port, mounts)
    else:
        server = start_plain(cam, port, mounts, plain_binary)
    viewers = probe = None
    try:
        wait_port(port, server)
        wait_mounts(port, mounts)
    except RuntimeError as e:
        stop(server)
        print("%s: did not come up: %s" % (kind, e), flush=True)
        return {"kind": kind, "viewers": mounts * per_mount, "cpu": 0.0,
                "cpu_per_viewer": 0.0, "mbps": 0.0, "rss": 0.0,
                "lat_median": None, "lat_p90": None, "lat_n": 0,
                "alive": False, "note": str(e)}
    try:
        viewers = start_viewers(port, mounts, per_mount)
        time.sleep(6)                       # every viewer connected, steady
        probe = LatencyProbe(cam.url(0), "rtsp://127.0.0.1:%d/cam0" % port)
        probe.start()
        time.sleep(2)
        c0, b0, t0 = cpu_seconds(server.pid), bytes_sent(port), \
            time.monotonic()
        time.sleep(window)
        c1, b1, t1 = cpu_seconds(server.pid), bytes_sent(port), \
            time.monotonic()
        rss = rss_mb(server.pid)
        delays = probe.stop()
        probe = None
        alive = server.poll() is None and viewers.poll() is None
        if not alive:
            print("%s: server exit %s, viewers exit %s (server output in "
                  "%s)" % (kind, server.poll(), viewers.poll(), LOG.name),
                  flush=True)
    finally:
        if probe:
            probe.stop()
        stop(viewers)
        stop(server)
    n = mounts * per_mount
    cpu = (c1 - c0) / (t1 - t0) * 100.0
    return {
        "kind": kind, "viewers": n, "cpu": cpu, "cpu_per_viewer": cpu / n,
        "mbps": (b1 - b0) * 8 / (t1 - t0) / 1e6, "rss": rss,
        "lat_median": statistics.median(delays) if delays else None,
        "lat_p90": (sorted(delays)[int(len(delays) * 0.9)]
                    if delays else None),
        "lat_n": len(delays), "alive": alive,
    }


def build_plain(tmp):
    binary = os.path.join(tmp, "plain-rtsp-server")
    cflags = subprocess.run(["pkg-config", "--cflags", "--libs",
                             "gstreamer-rtsp-server-1.0"],
                            capture_output=True, text=True,
                            check=True).stdout.split()
    subprocess.run(["cc", "-O2", "-o", binary,
                    os.path.join(HERE, "plain-rtsp-server.c")] + cflags,
                   check=True)
    return binary


def fmt(v, f="%.1f"):
    return "n/a" if v is None else f % v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--viewers", type=int, default=100,
                    help="viewers of one mount (scenario 1)")
    ap.add_argument("--mounts", default="50",
                    help="mounts of the multi-mount scenarios, "
                    "comma-separated (e.g. 50,20)")
    ap.add_argument("--per-mount", type=int, default=2,
                    help="viewers per mount in scenario 2")
    ap.add_argument("--window", type=float, default=10.0,
                    help="seconds of measurement per run")
    ap.add_argument("--bitrate", type=int, default=4000, help="kbit/s")
    ap.add_argument("--report",
                    default=os.path.join(SRC, "tests", "bench", "results",
                                         "policeshare.md"))
    ap.add_argument("--server-log", default="/tmp/bench-policeshare.log")
    a = ap.parse_args()
    global LOG
    LOG = open(a.server_log, "w")

    Gst.init(None)
    os.environ["GIO_USE_PROXY_RESOLVER"] = "dummy"
    tmp = tempfile.mkdtemp(prefix="bench-policeshare-")
    plain = build_plain(tmp)
    clip = make_clip("h264", 1280, 720, 25, a.bitrate, 10)
    scenarios = [(1, a.viewers)] + [(int(m), a.per_mount)
                                    for m in a.mounts.split(",")]
    results = []
    for mounts, per in scenarios:
        for kind in ("plain", "policeshare"):
            # a fresh camsim per run: one still tearing down the previous
            # run's media answers 503, which ends a plain rtspsrc pipeline
            with CamSim(cameras=mounts, source=clip) as cam:
                r = run_one(kind, cam, mounts, per, a.window, plain)
                r["scenario"] = "%d mount%s x %d viewer%s" % (
                    mounts, "s" if mounts > 1 else "", per,
                    "s" if per > 1 else "")
                r["expected_mbps"] = mounts * per * a.bitrate / 1000.0
                print(r, flush=True)
                results.append(r)

    lines = [
        "# policeshare benchmark",
        "",
        "Generated by `tests/bench/policeshare/bench_policeshare.py` on %s "
        "(%s, %d CPUs, load average %.1f at the end: the machine is shared "
        "with other jobs, read the ratios)." % (
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            platform.machine(), os.cpu_count(), os.getloadavg()[0]),
        "",
        "Stream: camsim serving a 1280x720 25 fps H.264 clip at %d kbit/s, "
        "looped without re-encoding. Both servers pull it with `rtspsrc "
        "latency=0 protocols=tcp ! rtph264depay ! h264parse` and serve "
        "shared media; viewers are `rtspsrc protocols=tcp ! fakesink` "
        "branches of one gst-launch-1.0 process. CPU is the server "
        "process's (all threads) over a %.0f s window; delivered is what its "
        "TCP sockets sent (ss); added latency is the arrival time of the "
        "same access unit through the server minus directly from camsim "
        "(a probe receiving both, measured during the load)." % (
            a.bitrate, a.window),
        "",
        "| scenario | server | viewers | CPU % | CPU % per viewer | "
        "delivered Mbit/s (expected) | RSS MB | added latency median / p90 "
        "ms (AUs matched) | ran through |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append("| %s | %s | %d | %.1f | %.3f | %.1f (%.0f) | %.0f | "
                     "%s / %s (%d) | %s |" % (
                         r["scenario"], r["kind"], r["viewers"], r["cpu"],
                         r["cpu_per_viewer"], r["mbps"], r["expected_mbps"],
                         r["rss"], fmt(r["lat_median"]), fmt(r["lat_p90"]),
                         r["lat_n"], "yes" if r["alive"] else
                         "NO: " + r.get("note", "a process exited")))
    lines += ["", "Ratios (policeshare / plain gst-rtsp-server, same run):",
              ""]
    for i in range(0, len(results), 2):
        p, s = results[i], results[i + 1]
        if not (p["alive"] and s["alive"]):
            lines.append("- %s: no ratio, a run did not go through" %
                         p["scenario"])
            continue
        lines.append("- %s: CPU %.2fx, delivered %.2fx, added latency "
                     "%s ms vs %s ms (median)" % (
                         p["scenario"], s["cpu"] / p["cpu"] if p["cpu"]
                         else float("nan"),
                         s["mbps"] / p["mbps"] if p["mbps"] else float("nan"),
                         fmt(s["lat_median"]), fmt(p["lat_median"])))
    lines.append("")
    os.makedirs(os.path.dirname(a.report), exist_ok=True)
    with open(a.report, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
