# SPDX-License-Identifier: LGPL-2.1-or-later
"""anninh camsim seen from real RTSP clients (ffprobe, ffmpeg)."""

import os
import subprocess
import unittest

from anninh_harness import CamSim, CamSimError, make_clip, tool

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
