# SPDX-License-Identifier: LGPL-2.1-or-later
"""evidencewatermark: render a frame, read the burnt-in text back with
tesseract OCR (the wall clock stands in for the capture time here; the
capture-time meta path is covered by tests/check/elements/evidencewatermark)."""
import datetime
import os
import shutil
import subprocess
import tempfile
import unittest


@unittest.skipUnless(shutil.which("tesseract"), "tesseract-ocr not installed")
class WatermarkOcr(unittest.TestCase):
    def render(self, d, position, extra=()):
        png = os.path.join(d, "frame-%s.png" % position)
        subprocess.run(
            ["gst-launch-1.0", "-q", "videotestsrc", "pattern=black",
             "num-buffers=1", "!", "video/x-raw,width=640,height=360", "!",
             "evidencewatermark", "camera-id=CAM-07",
             "location-text=\"Cong chao Phuong 1\"", "time-zone=UTC",
             "position=" + position] + list(extra) +
            ["!", "videoconvert", "!", "pngenc", "!", "filesink",
             "location=" + png], check=True, timeout=60)
        ocr = subprocess.run(["tesseract", png, "-"], capture_output=True,
                             text=True, timeout=60)
        return ocr.stdout

    def test_text_readable(self):
        with tempfile.TemporaryDirectory() as d:
            before = datetime.datetime.now(datetime.timezone.utc)
            text = self.render(d, "top-left", ["font-size=16"])
            self.assertIn("CAM-07", text)
            self.assertIn("Cong chao Phuong 1", text)
            # the minute the frame was rendered (or the next one)
            stamps = {(before + datetime.timedelta(seconds=s))
                      .strftime("%Y-%m-%d %H:%M") for s in (0, 60)}
            self.assertTrue(any(s in text for s in stamps), text)
            self.assertIn("UTC+00:00", text)

    def test_bottom_right_readable(self):
        with tempfile.TemporaryDirectory() as d:
            text = self.render(d, "bottom-right")
            self.assertIn("CAM-07", text)


if __name__ == "__main__":
    unittest.main()
