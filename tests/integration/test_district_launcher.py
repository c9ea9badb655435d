# SPDX-License-Identifier: LGPL-2.1-or-later
"""examples/district/anninh-district: the launcher the systemd unit runs.

--print on the shipped 32-camera example must give one well-formed
gst-launch line; bad configurations must fail with exit 2 and a sentence;
and with the elements built, a 2-camera district runs against camsim,
answers /health, records, and stops cleanly on SIGINT (systemd's
KillSignal).
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import district_fixtures as fx

SRC = os.environ.get("ANNINH_SOURCE_ROOT",
                     os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(SRC, "examples", "district")
LAUNCHER = os.path.join(EXAMPLES, "anninh-district")
ELEMENTS = ["ipcamsrc", "evidencemux", "retentionsink", "policeshare",
            "healthserver"]


def write_conf(path, **kv):
    with open(path, "w") as f:
        for k, v in kv.items():
            f.write("%s=%s\n" % (k, v))
    return path


class TestLauncher(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="anninh-district-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def run_launcher(self, *args, **kw):
        return subprocess.run(["sh", LAUNCHER] + list(args),
                              capture_output=True, text=True, timeout=60,
                              **kw)

    def example_conf(self):
        """The shipped example with its paths pointed at the test's."""
        keys = os.path.join(self.tmp, "keys")
        os.makedirs(keys)
        with open(os.path.join(EXAMPLES, "district-cameras.txt")) as f:
            ids = [l.split()[0] for l in f
                   if l.strip() and not l.startswith("#")]
        for i in ids:            # --print only checks they are readable
            for suffix in (".key", "-chain.pem"):
                open(os.path.join(keys, i + suffix), "w").close()
        with open(os.path.join(EXAMPLES, "district.conf")) as f:
            text = f.read()
        text = text.replace("/etc/anninh/district-north-cameras.txt",
                            os.path.join(EXAMPLES, "district-cameras.txt"))
        text = text.replace("/etc/anninh/keys", keys)
        conf = os.path.join(self.tmp, "district.conf")
        with open(conf, "w") as f:
            f.write(text)
        return conf, ids

    def test_example_prints_one_line_for_32_cameras(self):
        conf, ids = self.example_conf()
        self.assertGreaterEqual(len(ids), 30)
        r = self.run_launcher("--print", conf)
        self.assertEqual(r.returncode, 0, r.stderr)
        argv = shlex.split(r.stdout)
        self.assertEqual(argv[:2], ["gst-launch-1.0", "-e"])
        self.assertEqual(argv.count("ipcamsrc"), len(ids))
        self.assertEqual(argv.count("evidencemux"), len(ids))
        self.assertEqual(argv.count("retentionsink"), len(ids))
        self.assertEqual(argv.count("policeshare"), len(ids))
        self.assertEqual(argv.count("healthserver"), 1)
        # Site names with spaces and diacritics survive as one token.
        self.assertIn("site=Hòa An", argv)
        self.assertIn("mount=/north/cam07", argv)
        self.assertIn("service=8554", argv)
        # A camera password written %-encoded in the URL stays one token.
        self.assertTrue(any(a.startswith("location=rtsp://anninh:Camera%40")
                            for a in argv))

    def test_bad_configurations_say_why(self):
        conf = write_conf(os.path.join(self.tmp, "c.conf"),
                          ANNINH_STORE=self.tmp)
        r = self.run_launcher("--print", conf)
        self.assertEqual(r.returncode, 2)
        self.assertIn("does not set ANNINH_CAMERAS", r.stderr)
        cams = os.path.join(self.tmp, "cams.txt")
        with open(cams, "w") as f:
            f.write("cam01 wifi rtsp://10.0.0.1/s Hòa An\n")
        conf = write_conf(os.path.join(self.tmp, "c.conf"),
                          ANNINH_CAMERAS=cams, ANNINH_STORE=self.tmp,
                          ANNINH_KEYS=self.tmp, ANNINH_HTDIGEST="/x")
        r = self.run_launcher("--print", conf)
        self.assertEqual(r.returncode, 2)
        self.assertIn("camera cam01: cannot read", r.stderr)
        r = self.run_launcher()
        self.assertEqual(r.returncode, 2)

    def test_two_camera_district_runs_and_stops_cleanly(self):
        missing = fx.missing_elements(ELEMENTS)
        if missing:
            self.skipTest("elements not in this build yet: %s"
                          % ", ".join(missing))
        if not fx.tool_available("camsim"):
            self.skipTest("anninh camsim is not in this build yet")
        keys = os.path.join(self.tmp, "keys")
        fx.make_keys(keys, ["cam01", "cam02"])
        htdigest = fx.make_htdigest(os.path.join(self.tmp, "o.htdigest"),
                                    {"officer": "pw"}, "anninh")
        store = os.path.join(self.tmp, "store")
        health = fx.free_port()
        with fx.CamSimProcess(cameras=2, codecs=("h264", "h265")) as cs:
            cams = os.path.join(self.tmp, "cams.txt")
            with open(cams, "w") as f:
                f.write("cam01 fiber %s Hòa An\n" % cs.url(0))
                f.write("cam02 wifi %s Tân Lập\n" % cs.url(1))
            conf = write_conf(
                os.path.join(self.tmp, "c.conf"), ANNINH_CAMERAS=cams,
                ANNINH_STORE=store, ANNINH_KEYS=keys,
                ANNINH_HTDIGEST=htdigest, ANNINH_RTSP_PORT=fx.free_port(),
                ANNINH_HEALTH_PORT=health,
                ANNINH_AUDIT_LOG=os.path.join(self.tmp, "audit.jsonl"))
            p = subprocess.Popen(["sh", LAUNCHER, conf],
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
            doc = None
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and p.poll() is None:
                try:
                    with urllib.request.urlopen(
                            "http://127.0.0.1:%d/health" % health,
                            timeout=2) as r:
                        doc = json.loads(r.read())
                    if len(doc.get("cameras", [])) == 2:
                        break
                except Exception:
                    pass
                time.sleep(0.5)
            time.sleep(max(0, deadline - time.monotonic()))
            rc = fx.stop_gracefully(p)
            out = p.stdout.read()
        self.assertEqual(rc, 0, out)
        self.assertIsNotNone(doc, "/health never answered\n" + out)
        self.assertEqual({c["id"] for c in doc["cameras"]},
                         {"cam01", "cam02"})
        segs = [f for _, _, fs in os.walk(store) for f in fs
                if f.endswith(".mp4")]
        self.assertTrue(any("cam01" in s for s in segs), segs)
        self.assertTrue(any("cam02" in s for s in segs), segs)


if __name__ == "__main__":
    res = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if res.wasSuccessful() else 1)
