#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Benchmark: `anninh verify` speed in multiples of real time on a 1080p25
~4 Mb/s signed H.264 MP4, against the stock pipeline doing the same reading
job without verification (filesrc ! qtdemux ! h264parse ! fakesink), both
pinned to one core, CPU time (user+sys) measured from outside with
os.wait4. Writes tests/bench/results/verify.md.

Usage: ANNINH_TOOL=build/tools/anninh python3 tests/bench/bench_verify.py
       [SECONDS]   (default 30 s of video)
"""
import datetime
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import spec_signer as ss  # noqa: E402

TOOL = os.environ.get("ANNINH_TOOL", "anninh")


def cpu_run(cmd, env=None):
    t0 = time.monotonic()
    p = subprocess.Popen(["taskset", "-c", "0"] + cmd, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.stderr.close()
    return os.waitstatus_to_exitcode(status), ru.ru_utime + ru.ru_stime, wall


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    frames = seconds * 25
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as d:
        key, cert = os.path.join(d, "cam.key"), os.path.join(d, "cam.pem")
        ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", ca_key, "-out", ca, "-subj", "/CN=CA",
                        "-days", "2"], check=True, capture_output=True)
        csr = subprocess.run(["openssl", "req", "-new", "-newkey", "ec",
                              "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                              "-keyout", key, "-subj", "/CN=cam0"],
                             check=True, capture_output=True).stdout
        subprocess.run(["openssl", "x509", "-req", "-CA", ca, "-CAkey",
                        ca_key, "-CAcreateserial", "-days", "1", "-out",
                        cert], input=csr, check=True, capture_output=True)
        raw = os.path.join(d, "in.h264")
        subprocess.run(
            ["gst-launch-1.0", "-q", "videotestsrc", "pattern=snow",
             "num-buffers=%d" % frames, "!",
             "video/x-raw,width=1920,height=1080,framerate=25/1", "!",
             "x264enc", "bitrate=4000", "key-int-max=50", "bframes=0",
             "speed-preset=ultrafast", "!", "h264parse", "config-interval=-1",
             "!", "video/x-h264,stream-format=byte-stream,alignment=au", "!",
             "filesink", "location=" + raw], check=True)
        signed = os.path.join(d, "signed.h264")
        nals = ss.split_nals(ss.read(raw))
        with open(signed, "wb") as f:
            f.write(ss.join_nals(ss.SpecSigner("h264", key, cert, d)
                                 .sign(nals)))
        mp4 = os.path.join(d, "signed.mp4")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "h264",
                        "-r", "25", "-i", signed, "-c", "copy", mp4],
                       check=True)
        size = os.path.getsize(mp4)

        runs = []
        for _ in range(3):
            rc, cpu_v, wall_v = cpu_run([TOOL, "verify", "--quiet", "--ca",
                                         ca, mp4])
            if rc != 0:
                sys.exit("anninh verify did not say authentic (exit %d)" % rc)
            _, cpu_s, wall_s = cpu_run(
                ["gst-launch-1.0", "-q", "filesrc", "location=" + mp4, "!",
                 "qtdemux", "!", "h264parse", "!", "fakesink"])
            runs.append((cpu_v, wall_v, cpu_s, wall_s))
        best = min(runs)
        import json
        res = json.loads(subprocess.run([TOOL, "verify", "--json", "--ca", ca,
                                         mp4], capture_output=True,
                                        text=True).stdout)
        if res["frames"] != frames or res["frames-unsigned"] != 0:
            sys.exit("verify saw %d frames (%d unsigned), expected %d"
                     % (res["frames"], res["frames-unsigned"], frames))
        cpu_v, wall_v, cpu_s, wall_s = best
        lines = [
            "# anninh verify: speed",
            "",
            "Measured %s on this machine by `tests/bench/bench_verify.py %d`"
            % (datetime.date.today().isoformat(), seconds),
            "(best of 3, each process pinned to CPU 0 with taskset, CPU time "
            "= user + sys from wait4).",
            "",
            "Input: %d s of 1080p25 H.264 (x264 ultrafast, 4 Mb/s target, "
            "GOP 50), signed (ECDSA P-256, one signed SEI per GOP), MP4, "
            "%.1f MB (%.2f Mb/s)." % (seconds, size / 1e6,
                                       size * 8 / seconds / 1e6),
            "",
            "Check: `anninh verify` reported %s, %d frames, %d signed GOPs "
            "authentic." % (res["verdict"], res["frames"],
                            res["gops-authentic"]),
            "",
            "| pipeline | CPU s | wall s | x real time (CPU) |",
            "|---|---|---|---|",
            "| `anninh verify --ca ca.pem signed.mp4` | %.2f | %.2f | %.0fx |"
            % (cpu_v, wall_v, seconds / cpu_v),
            "| stock `filesrc ! qtdemux ! h264parse ! fakesink` | %.2f | %.2f "
            "| %.0fx |" % (cpu_s, wall_s, seconds / cpu_s),
            "",
            "Verification costs %.2fx the CPU of the stock demux+parse run "
            "(the difference is hashing every NAL unit, SHA-256, and one "
            "ECDSA verification per GOP). Goal: at least 100x real time on "
            "one core: %s." % (cpu_v / cpu_s, "met" if seconds / cpu_v >= 100
                                else "NOT met"),
            "",
        ]
        out = os.path.join(HERE, "results", "verify.md")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            f.write("\n".join(lines))
        print("\n".join(lines))


if __name__ == "__main__":
    main()
