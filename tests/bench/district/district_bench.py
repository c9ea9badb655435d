#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""District benchmark: our full pipeline vs the stock GStreamer pipeline.

N simulated cameras (anninh camsim --source: a 1080p25 ~4 Mb/s H.264 clip
served from memory, no encoding in the loop) are pulled, in ONE process,
by either

  ours:  per camera  ipcamsrc ! evidencemux ! tee ! queue ! retentionsink
                                             tee. ! queue ! policeshare
         plus healthserver            (one gst-launch-1.0 -e line)
  stock: per camera  rtspsrc ! rtph264depay ! h264parse ! tee
                       ! queue ! splitmuxsink (mp4mux, fragmented, 1 s)
                       tee. ! queue ! appsink -> shared gst-rtsp-server mount
         (stock-district serve, built next to this script)

and measured from outside the process:
  - CPU per camera: utime+stime of the process from /proc over the window,
    in % of one core per camera;
  - memory per camera: mean VmRSS over the window / N;
  - frames lost: gaps in the packet timestamps of the recordings (ffprobe)
    of up to 10 cameras, in frames, against the frames recorded;
  - latency added: `stock-district probe` pulls cam0 straight from camsim
    and through the pipeline's RTSP mount and matches access units by a
    hash of their picture NAL units (median and 95th percentile, ms);
  - viewers: `--viewers K` mounts have one RTSP viewer each (a separate
    process, not counted).

Writes tests/bench/results/district.md and district.png (gnuplot), plus
district.json with the raw figures. Standard library only.

  python3 tests/bench/district/district_bench.py --build /tmp/build \\
      --cameras 50 [--cameras 200] [--only stock] [--seconds 30]
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import district_fixtures as fx  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
FPS = 25
PLUGIN_DIRS = ["gst/ipcam", "ext/evidence", "ext/retention",
               "ext/policeshare", "ext/health"]
OURS_ELEMENTS = ["ipcamsrc", "evidencemux", "retentionsink", "policeshare",
                 "healthserver"]
PARTIAL_ELEMENTS = ["evidencemux", "policeshare", "healthserver"]


def log(*a):
    print("[bench]", *a, flush=True)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Camsim:
    def __init__(self, tool, n, clip, env):
        self.p = subprocess.Popen(
            [tool, "camsim", "--port", "0", "--control-port", "0",
             "--cameras", str(n), "--source", clip],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=env, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("camsim exited")
            m = re.search(r"camsim ready rtsp=(\S+) control=(\S+)", line)
            if m:
                self.rtsp, self.control = m.groups()
                threading.Thread(target=self.p.stdout.read,
                                 daemon=True).start()
                return
        raise RuntimeError("camsim not ready")

    def url(self, i):
        return "rtsp://%s/cam%d" % (self.rtsp, i)

    def stop(self):
        host, port = self.control.rsplit(":", 1)
        try:
            with socket.create_connection((host, int(port)), timeout=5) as s:
                s.sendall(b"quit\n")
            self.p.wait(10)
        except Exception:
            self.p.kill()
            self.p.wait()


def make_clip(tool, path, env):
    if os.path.exists(path):
        return
    log("making the 1080p25 4 Mb/s H.264 clip (once):", path)
    subprocess.run([tool, "camsim", "--make-clip", path, "--codec", "h264",
                    "--width", "1920", "--height", "1080", "--fps", str(FPS),
                    "--bitrate", "4000", "--seconds", "20"], check=True,
                   env=env, capture_output=True, timeout=900)


STOCK_SOURCE = ["rtspsrc", "protocols=tcp", "latency=200",
                "buffer-mode=none", "!", "rtph264depay", "!", "h264parse",
                "!", "video/x-h264,stream-format=byte-stream,alignment=au"]


def ours_argv(n, cs, store, keys, htdigest, rtsp_port, health_port, tmp,
              partial=False):
    """partial: stock rtspsrc/depay/parse in place of ipcamsrc and
    splitmuxsink in place of retentionsink (to measure evidencemux,
    policeshare and healthserver while those two are not built)."""
    argv = ["gst-launch-1.0", "-e", "--no-position"]
    for i in range(n):
        if partial:
            src = [STOCK_SOURCE[0], "location=" + cs.url(i)] + STOCK_SOURCE[1:]
            rec = ["h264parse", "!", "splitmuxsink", "muxer-factory=mp4mux",
                   "muxer-properties=properties,fragment-duration=1000,"
                   "fragment-mode=first-moov-then-finalise",
                   "location=%s/partial-cam%d-%%05d.mp4" % (store, i),
                   "max-size-time=60000000000"]
        else:
            src = ["ipcamsrc", "location=" + cs.url(i), "camera-id=cam%d" % i]
            rec = ["retentionsink", "location=" + store,
                   "camera-id=cam%d" % i]
        argv += src + [
                 "!", "evidencemux",
                 "private-key=" + os.path.join(keys, "bench.key"),
                 "certificate-chain=" + os.path.join(keys, "bench-chain.pem"),
                 "camera-id=cam%d" % i, "!", "tee", "name=t%d" % i,
                 "!", "queue", "!"] + rec + [
                 "t%d." % i, "!", "queue", "!", "policeshare",
                 "mount=/bench/cam%d" % i, "service=%d" % rtsp_port,
                 "htdigest=" + htdigest, "realm=anninh",
                 "audit-log=" + os.path.join(tmp, "audit.jsonl")]
    argv += ["healthserver", "port=%d" % health_port]
    return argv


def count_lost(store, max_cameras=10):
    """(frames recorded, frames missing inside recordings, cameras seen)."""
    files = {}
    for root, _, names in os.walk(store):
        for name in names:
            if name.endswith(".mp4"):
                m = re.search(r"cam(\d+)", name) or \
                    re.search(r"cam(\d+)", root)
                if m:
                    files.setdefault(int(m.group(1)), []).append(
                        os.path.join(root, name))
    recorded = lost = 0
    cams = sorted(files)[:max_cameras]
    for c in cams:
        for path in files[c]:
            r = subprocess.run(
                ["ffprobe", "-v", "error", "-select_streams", "v:0",
                 "-show_entries", "packet=pts_time", "-of", "csv=p=0", path],
                capture_output=True, text=True, timeout=120)
            pts = sorted(float(x) for x in r.stdout.split()
                         if x.strip() and x != "N/A")
            recorded += len(pts)
            for a, b in zip(pts, pts[1:]):
                gap = b - a
                if gap > 1.5 / FPS:
                    lost += round(gap * FPS) - 1
    return recorded, lost, len(cams)


def run_variant(kind, n, cs, args, env, tmp, stock_bin):
    store = os.path.join(tmp, "%s-%d-store" % (kind, n))
    os.makedirs(store)
    rtsp_port = fx.free_port()
    if kind == "stock":
        argv = [stock_bin, "serve", "--store", store, "--port",
                str(rtsp_port)] + [cs.url(i) for i in range(n)]
        mount = "rtsp://127.0.0.1:%d/stock/cam%%d" % rtsp_port
    else:
        keys = os.path.join(tmp, "keys")
        fx.make_keys(keys, ["bench"])
        htdigest = fx.make_htdigest(os.path.join(tmp, "o.htdigest"),
                                    {"officer": "bench"}, "anninh")
        argv = ours_argv(n, cs, store, keys, htdigest, rtsp_port,
                         fx.free_port(), tmp, partial=(kind == "partial"))
        mount = "rtsp://officer:bench@127.0.0.1:%d/bench/cam%%d" % rtsp_port
    log("%s, %d cameras: starting" % (kind, n))
    out = open(os.path.join(tmp, "%s-%d.log" % (kind, n)), "w")
    p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
    viewers = None
    result = {"kind": kind, "cameras": n}
    try:
        time.sleep(3)
        k = min(args.viewers, n)
        if k:
            v = ["gst-launch-1.0", "-q"]
            for i in range(k):
                v += ["rtspsrc", "location=" + (mount % i), "protocols=tcp",
                      "!", "fakesink", "sync=false"]
            viewers = subprocess.Popen(v, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, env=env)
        time.sleep(args.warmup)
        if p.poll() is not None:
            raise RuntimeError("%s exited early (%s), see %s"
                               % (kind, p.returncode, out.name))
        c0, t0 = cpu_seconds(p.pid), time.monotonic()
        load0 = os.getloadavg()[0]
        rss = []
        while time.monotonic() - t0 < args.seconds:
            rss.append(rss_kb(p.pid))
            time.sleep(1)
        c1, t1 = cpu_seconds(p.pid), time.monotonic()
        result.update(
            cpu_total_pct=100.0 * (c1 - c0) / (t1 - t0),
            rss_mb=statistics.mean(rss) / 1024.0,
            load_avg=(load0 + os.getloadavg()[0]) / 2,
            window_s=t1 - t0)
        result["cpu_per_camera_pct"] = result["cpu_total_pct"] / n
        result["rss_per_camera_mb"] = result["rss_mb"] / n
        pr = subprocess.run([stock_bin, "probe", "--seconds",
                             str(args.probe_seconds), cs.url(0), mount % 0],
                            capture_output=True, text=True,
                            timeout=args.probe_seconds + 60, env=env)
        m = re.search(r"matched=(\d+).*median_ms=([\d.]+) p95_ms=([\d.]+)",
                      pr.stdout)
        if m:
            result.update(latency_matched=int(m.group(1)),
                          latency_median_ms=float(m.group(2)),
                          latency_p95_ms=float(m.group(3)))
        else:
            result["latency_error"] = (pr.stdout + pr.stderr).strip()[-300:]
    finally:
        if viewers:
            viewers.send_signal(signal.SIGINT)
            try:
                viewers.wait(10)
            except subprocess.TimeoutExpired:
                viewers.kill()
        rc = fx.stop_gracefully(p, timeout=60)
        out.close()
        result["exit"] = rc
    rec, lost, seen = count_lost(store)
    result.update(frames_recorded=rec, frames_lost=lost,
                  cameras_checked=seen)
    log("%s, %d cameras: %s" % (kind, n, json.dumps(result)))
    return result


def ratio(ours, stock, key):
    if ours and stock and key in ours and key in stock and stock[key]:
        return ours[key] / stock[key]
    return None


def fmt(v, spec="%.2f"):
    return "n/a" if v is None else spec % v


def write_report(results, args, out_dir, notes):
    by = {(r["kind"], r["cameras"]): r for r in results}
    ns = sorted({r["cameras"] for r in results})
    lines = [
        "# District benchmark: our pipeline vs the stock GStreamer pipeline",
        "",
        "Written by `tests/bench/district/district_bench.py` on %s UTC."
        % time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "",
        "Machine: %s, %d cores, %s; GStreamer %s. The machine is shared "
        "with other jobs (load average in the table): read the ratios, "
        "measured side by side in one run, rather than the absolute "
        "figures." % (platform.machine(), os.cpu_count(),
                      platform.platform(), gst_version()),
        "",
        "Cameras: `anninh camsim --source` serving a 1080p25 ~4 Mb/s H.264 "
        "clip (no encoding in the loop). Warm-up %d s, window %d s, %d "
        "RTSP viewer(s) attached. CPU is utime+stime of the pipeline's "
        "process from /proc over the window (%% of one core); memory is "
        "its mean VmRSS." % (args.warmup, args.seconds, args.viewers),
        "",
        "| cameras | pipeline | CPU total % | CPU/camera % | RSS MB | "
        "RSS/camera MB | frames recorded (checked cams) | frames lost | "
        "latency added median / p95 ms | load avg | exit |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n in ns:
        for kind in ("stock", "ours", "partial"):
            r = by.get((kind, n))
            if not r:
                continue
            lines.append("| %d | %s | %s | %s | %s | %s | %s (%s) | %s | "
                         "%s / %s | %s | %s |" % (
                             n, kind, fmt(r.get("cpu_total_pct"), "%.1f"),
                             fmt(r.get("cpu_per_camera_pct")),
                             fmt(r.get("rss_mb"), "%.0f"),
                             fmt(r.get("rss_per_camera_mb")),
                             r.get("frames_recorded", "n/a"),
                             r.get("cameras_checked", "n/a"),
                             r.get("frames_lost", "n/a"),
                             fmt(r.get("latency_median_ms"), "%.1f"),
                             fmt(r.get("latency_p95_ms"), "%.1f"),
                             fmt(r.get("load_avg"), "%.1f"),
                             r.get("exit")))
    lines += ["", "Ratios ours / stock (goal at 200 cameras: CPU within "
              "1.15x, memory within 1.2x, zero frames lost):", "",
              "| cameras | CPU | memory |", "|---|---|---|"]
    any_ratio = False
    for n in ns:
        for kind in ("ours", "partial"):
            o, s = by.get((kind, n)), by.get(("stock", n))
            if o and s:
                any_ratio = True
                lines.append("| %d%s | %s | %s |" % (
                    n, "" if kind == "ours" else " (partial)",
                    fmt(ratio(o, s, "cpu_total_pct"), "%.2fx"),
                    fmt(ratio(o, s, "rss_mb"), "%.2fx")))
    if not any_ratio:
        lines.append("| - | not measured | not measured |")
    lines += ["", "## Notes", ""] + ["- " + n for n in notes]
    lines += ["", "![CPU and memory per camera](district.png)", ""]
    path = os.path.join(out_dir, "district.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(out_dir, "district.json"), "w") as f:
        json.dump(results, f, indent=1)
    return path


def gst_version():
    r = subprocess.run(["gst-launch-1.0", "--version"], capture_output=True,
                       text=True)
    m = re.search(r"GStreamer ([\d.]+)", r.stdout)
    return m.group(1) if m else "?"


def plot(results, out_dir):
    if not shutil.which("gnuplot"):
        log("no gnuplot (apt-get install gnuplot-nox): no PNG")
        return None
    tmp = tempfile.mkdtemp()
    for kind in ("stock", "ours", "partial"):
        with open(os.path.join(tmp, kind + ".dat"), "w") as f:
            for r in sorted((r for r in results if r["kind"] == kind
                             and "cpu_per_camera_pct" in r),
                            key=lambda r: r["cameras"]):
                f.write("%d %f %f\n" % (r["cameras"], r["cpu_per_camera_pct"],
                                        r["rss_per_camera_mb"]))
    png = os.path.join(out_dir, "district.png")
    kinds = [k for k in ("stock", "ours", "partial")
             if os.path.getsize(os.path.join(tmp, k + ".dat"))]
    if not kinds:
        return None

    def curves(col):
        return ", ".join("'%s/%s.dat' u 1:%d w lp t '%s'" % (tmp, k, col, k)
                         for k in kinds)
    script = """
set terminal pngcairo size 1000,420 font ',10'
set output '%(png)s'
set multiplot layout 1,2 title 'District pipeline: ours vs stock GStreamer (1080p25, ~4 Mb/s per camera)'
set xlabel 'cameras in one process'
set key top right
set grid
set yrange [0:*]
set xrange [0:*]
set ylabel 'CPU per camera (%% of one core)'
plot %(cpu)s
set ylabel 'resident memory per camera (MB)'
plot %(mem)s
unset multiplot
""" % {"png": png, "cpu": curves(2), "mem": curves(3)}
    r = subprocess.run(["gnuplot"], input=script, text=True, errors="replace",
                       capture_output=True)
    shutil.rmtree(tmp, ignore_errors=True)
    if r.returncode != 0:
        log("gnuplot failed:", r.stderr)
        return None
    return png


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="meson build directory")
    ap.add_argument("--cameras", type=int, action="append",
                    help="number of cameras (repeat for several runs; "
                    "default 50)")
    ap.add_argument("--only", choices=("stock", "ours", "partial"))
    ap.add_argument("--seconds", type=int, default=30,
                    help="measurement window (default 30)")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--viewers", type=int, default=4,
                    help="mounts with one RTSP viewer each (default 4)")
    ap.add_argument("--probe-seconds", type=int, default=8)
    ap.add_argument("--out", default=os.path.join(SRC, "tests", "bench",
                                                  "results"))
    ap.add_argument("--note", action="append", default=[],
                    help="a line for the report's notes")
    args = ap.parse_args()
    ns = args.cameras or [50]
    build = os.path.abspath(args.build)
    tool = os.path.join(build, "tools", "anninh")
    stock_bin = os.path.join(build, "tests", "bench", "district",
                             "stock-district")
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = ":".join(os.path.join(build, d)
                                      for d in PLUGIN_DIRS)
    env["ANNINH_TOOL"] = tool
    env.setdefault("GST_DEBUG", "1")
    # Stock rtspsrc with its default buffer-mode (auto/slave) gave buffers
    # without PTS under heavy load here and mp4mux stopped the whole
    # pipeline ("Buffer has no PTS"); the baseline uses RTP timestamps.
    env.setdefault("STOCK_RTSPSRC_OPTIONS", "buffer-mode=none")
    os.environ.update(GST_PLUGIN_PATH=env["GST_PLUGIN_PATH"],
                      ANNINH_TOOL=tool)
    kinds = [args.only] if args.only else ["stock", "ours"]
    notes = list(args.note)
    if args.only:
        notes.append("only the %s pipeline was measured in this run "
                     "(--only %s)" % (args.only, args.only))
    notes.append("stock rtspsrc options: `%s` (with the default buffer-mode,"
                 " the stock pipeline stopped within seconds at 50 cameras "
                 "on this loaded machine: mp4mux 'Buffer has no PTS')"
                 % env["STOCK_RTSPSRC_OPTIONS"])
    if "ours" in kinds:
        missing = fx.missing_elements(OURS_ELEMENTS)
        if missing:
            notes.append("ours NOT measured: elements not in this build: %s"
                         % ", ".join(missing))
            kinds.remove("ours")
            log(notes[-1])
            if not fx.missing_elements(PARTIAL_ELEMENTS):
                kinds.append("partial")
                notes.append(
                    "`partial` = our evidencemux, policeshare and "
                    "healthserver with stock rtspsrc ! rtph264depay ! "
                    "h264parse in place of ipcamsrc and splitmuxsink in "
                    "place of retentionsink: the cost of signing and of "
                    "our RTSP sharing, not of the whole pipeline")
    clip = os.path.join(build, "tests", "bench", "district",
                        "clip-1080p25-4M.mp4")
    make_clip(tool, clip, env)
    os.makedirs(args.out, exist_ok=True)
    results = []
    tmp = tempfile.mkdtemp(prefix="anninh-bench-district-")
    try:
        for n in ns:
            cs = Camsim(tool, n, clip, env)
            try:
                for kind in kinds:
                    try:
                        results.append(run_variant(kind, n, cs, args, env,
                                                   tmp, stock_bin))
                    except Exception as e:
                        notes.append("%s at %d cameras failed: %s"
                                     % (kind, n, e))
                        log(notes[-1])
                    shutil.rmtree(os.path.join(tmp, "%s-%d-store"
                                               % (kind, n)),
                                  ignore_errors=True)
            finally:
                cs.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for r in results:
        if r.get("exit") is None:
            notes.append("%s at %d cameras did not stop within 60 s of "
                         "SIGINT and was killed (open files not finalised)"
                         % (r["kind"], r["cameras"]))
        if "latency_error" in r:
            notes.append("%s at %d cameras: latency probe got nothing "
                         "through the mount: %s" % (r["kind"], r["cameras"],
                                                    r["latency_error"]))
    png = plot(results, args.out)
    if not png:
        notes.append("no plot: gnuplot missing or failed")
    report = write_report(results, args, args.out, notes)
    log("report:", report)
    print(open(report).read())


if __name__ == "__main__":
    main()
