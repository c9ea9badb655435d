# SPDX-License-Identifier: LGPL-2.1-or-later
"""anninh camsim seen from real RTSP clients (ffprobe, ffmpeg)."""

import os
import subprocess
import unittest

import time

from anninh_harness import CamSim, CamSimError, RtspPull, make_clip, tool

FFPROBE_TIMEOUT = 30


def ffprobe(url, transport="tcp"):
    """(returncode, codec_name or None, stderr) of ffprobe on url."""
    r = subprocess.run(
        ["ffprobe", "-v", "error", "-rtsp_transport", transport,
         "-select_streams", "v:0", "-show_entries", "stream=codec_name",
         "-of", "default=nw=1:nk=1", url],
        capture_output=True, text=True, timeout=FFPROBE_TIMEOUT)
    codec = r.stdout.strip() or None
    return r.returncode, codec, r.stderr.strip()


class CodecTest(unittest.TestCase):
    def test_h264_and_h265(self):
        with CamSim(cameras=3, codecs=["h264", "h265"]) as cs:
            rc, codec, err = ffprobe(cs.url(0))
            self.assertEqual((rc, codec), (0, "h264"), err)
            rc, codec, err = ffprobe(cs.url(1))
            self.assertEqual((rc, codec), (0, "hevc"), err)
            # the list is cycled over the cameras
            rc, codec, err = ffprobe(cs.url(2))
            self.assertEqual((rc, codec), (0, "h264"), err)
            st = cs.status()
            self.assertEqual([c["id"] for c in st], ["cam0", "cam1", "cam2"])
            self.assertEqual([c["codec"] for c in st],
                             ["h264", "h265", "h264"])
            self.assertTrue(all(c["state"] == "up" for c in st), st)

    def test_no_such_camera(self):
        with CamSim(cameras=1) as cs:
            rc, codec, err = ffprobe(cs.url(0).replace("/cam0", "/cam7"))
            self.assertNotEqual(rc, 0)
            self.assertIsNone(codec)

    def test_source_file_served_without_reencoding(self):
        for codec, name in (("h264", "h264"), ("h265", "hevc")):
            clip = make_clip(codec=codec, width=320, height=240, fps=15,
                             bitrate=300, seconds=2)
            with CamSim(cameras=2, source=clip) as cs:
                rc, got, err = ffprobe(cs.url(1))
                self.assertEqual((rc, got), (0, name), err)
                self.assertEqual(cs.status()[1]["codec"], codec)
                # 5 s of a 2 s clip: the loop continues, timestamps too
                r = subprocess.run(
                    ["ffmpeg", "-v", "error", "-rtsp_transport", "tcp",
                     "-i", cs.url(0), "-t", "5", "-c", "copy", "-f",
                     "framemd5", "-"], capture_output=True, text=True,
                    timeout=40)
                frames = [l for l in r.stdout.splitlines()
                          if l and not l.startswith("#")]
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertGreaterEqual(len(frames), 60, r.stderr)
                self.assertNotIn("non monotonically", r.stderr)


def mean_luma(url, frames=8):
    """Mean luma (0..255) of the last of `frames` decoded frames of url."""
    r = subprocess.run(
        ["ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", url,
         "-frames:v", str(frames), "-vf", "scale=160:90", "-pix_fmt", "gray",
         "-f", "rawvideo", "-"], capture_output=True, timeout=40)
    if r.returncode != 0 or len(r.stdout) < 160 * 90:
        raise AssertionError("ffmpeg could not decode %s: %s"
                             % (url, r.stderr.decode(errors="replace")))
    last = r.stdout[-160 * 90:]
    return sum(last) / len(last)


class FaultTest(unittest.TestCase):
    """Each fault as a client sees it."""

    def setUp(self):
        self.cs = CamSim(cameras=2, codecs=["h264", "h265"]).start()
        self.addCleanup(self.cs.stop)

    def pull(self, i=0):
        p = RtspPull(self.cs.url(i)).start()
        self.addCleanup(p.stop)
        p.wait_packets(20)
        return p

    def assertRefused(self, i):
        rc, codec, err = ffprobe(self.cs.url(i))
        self.assertNotEqual(rc, 0, "cam%d still serves" % i)
        self.assertIsNone(codec)
        return err

    def test_drop(self):
        p = self.pull(0)
        self.cs.command("drop cam0")
        self.assertTrue(p.wait_closed(5), "open session survived the drop")
        err = self.assertRefused(0)
        self.assertIn("503", err)
        with self.assertRaises(CamSimError):
            RtspPull(self.cs.url(0)).start().stop()
        st = self.cs.status()
        self.assertEqual((st[0]["state"], st[0]["clients"]), ("dropped", 0))
        # the other camera is unaffected
        self.assertEqual(ffprobe(self.cs.url(1))[:2], (0, "hevc"))
        self.cs.command("restore cam0")
        self.assertEqual(ffprobe(self.cs.url(0))[:2], (0, "h264"))

    def test_reboot(self):
        seconds = 4
        p = self.pull(0)
        old_ssrc = p.ssrc
        t0 = time.monotonic()
        self.cs.command("reboot cam0 %d" % seconds)
        self.assertTrue(p.wait_closed(5), "open session survived the reboot")
        self.assertRefused(0)
        self.assertEqual(self.cs.status()[0]["state"], "rebooting")
        back = None
        while time.monotonic() - t0 < seconds + 10:
            rc, codec, _ = ffprobe(self.cs.url(0))
            if rc == 0:
                back = time.monotonic() - t0
                break
            time.sleep(0.3)
        self.assertIsNotNone(back, "cam0 did not come back")
        self.assertGreaterEqual(back, seconds - 0.2)
        st = self.cs.status()[0]
        self.assertEqual((st["state"], st["boots"]), ("up", 2))
        # a freshly booted camera: a new RTP stream
        q = self.pull(0)
        self.assertNotEqual(q.ssrc, old_ssrc)

    def test_freeze(self):
        p = self.pull(0)
        self.cs.command("freeze cam0")
        time.sleep(0.3)
        n, _, _ = p.window(2.5)
        self.assertEqual(n, 0, "frozen camera still sends")
        self.assertFalse(p.closed, "session closed by a freeze")
        self.assertEqual(self.cs.status()[0]["clients"], 1)
        self.cs.command("restore cam0")
        p.wait_packets(20, timeout=5)
        self.assertFalse(p.closed)

    def test_black(self):
        before = mean_luma(self.cs.url(0))
        self.assertGreater(before, 60, "test pattern is not bright")
        self.cs.command("black cam0")
        after = mean_luma(self.cs.url(0))
        self.assertLess(after, 30, "picture is not black")
        self.cs.command("restore cam0")
        self.assertGreater(mean_luma(self.cs.url(0)), 60)

    def test_lossy(self):
        p = self.pull(0)
        n0, _, lost0 = p.window(2)
        self.assertGreater(n0, 50)
        self.assertEqual(lost0, 0)
        self.cs.command("lossy cam0 30")
        time.sleep(0.2)
        n, _, lost = p.window(3)
        share = lost / float(n + lost)
        self.assertTrue(0.15 < share < 0.45,
                        "lost %d of %d packets" % (lost, n + lost))
        self.cs.command("restore cam0")
        time.sleep(0.3)
        _, _, lost = p.window(2)
        self.assertEqual(lost, 0)

    def test_slow(self):
        p = self.pull(0)
        _, b0, _ = p.window(3)
        base_kbps = b0 * 8 / 3 / 1000
        self.assertGreater(base_kbps, 300, "test pattern too light to police")
        limit = int(base_kbps / 4)
        self.cs.command("slow cam0 %d" % limit)
        time.sleep(0.5)
        _, b, lost = p.window(3)
        kbps = b * 8 / 3 / 1000
        self.assertTrue(0.6 * limit < kbps < 1.15 * limit,
                        "%.0f kbit/s received, limit %d" % (kbps, limit))
        self.assertGreater(lost, 0)
        self.cs.command("restore cam0")
        time.sleep(0.3)
        _, b, _ = p.window(3)
        self.assertGreater(b * 8 / 3 / 1000, 0.7 * base_kbps)


class AuthTest(unittest.TestCase):
    def test_digest(self):
        with CamSim(cameras=1, user="officer", password="s3cret pw") as cs:
            rc, codec, err = ffprobe(cs.url(0))
            self.assertEqual((rc, codec), (0, "h264"), err)
            rc, codec, err = ffprobe(cs.url(0, password="wrong"))
            self.assertNotEqual(rc, 0)
            self.assertIn("401", err)
            rc, codec, err = ffprobe(cs.url_without_credentials(0))
            self.assertNotEqual(rc, 0)
            self.assertIn("401", err)


class CommandLineTest(unittest.TestCase):
    def test_bad_arguments_exit_2(self):
        for args in (["--cameras", "0"], ["--codec", "vp8"],
                     ["--port", "70000"], ["--user", "u"],
                     ["--no-such-option"], ["--fps", "x"], ["stray"]):
            r = tool("camsim", *args, timeout=30)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertIn("anninh camsim:", r.stderr)

    def test_unreadable_source_exit_1(self):
        r = tool("camsim", "--port", "0", "--source",
                 "/nonexistent/clip.mp4", timeout=30)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("/nonexistent/clip.mp4", r.stderr)

    def test_help_documents_the_protocol(self):
        r = tool("camsim", "--help", timeout=30)
        self.assertEqual(r.returncode, 0)
        for word in ("--source", "--make-clip", "--control-port", "reboot",
                     "freeze", "lossy", "slow", "restore", "status"):
            self.assertIn(word, r.stdout)

    def test_control_errors(self):
        with CamSim(cameras=1) as cs:
            for bad in ("frobnicate cam0", "freeze", "freeze cam5",
                        "lossy cam0 200", "reboot cam0 soon"):
                with self.assertRaises(CamSimError):
                    cs.command(bad)
            self.assertTrue(cs.command("status").startswith("ok ["))


if __name__ == "__main__":
    unittest.main(verbosity=2)
