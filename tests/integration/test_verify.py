# SPDX-License-Identifier: LGPL-2.1-or-later
"""anninh verify: the tamper matrix, for H.264 and H.265, through raw
byte-stream, MP4, Matroska and MPEG-TS.

Signed streams come from evidencemux when the build has it (keys made with
the openssl CLI here), else from tests/integration/spec_signer.py (a minimal
signer written from the specification for these tests). Tampering works on
the NAL units of the raw byte-stream; containers are written by ffmpeg
(-c copy) from the tampered byte-stream.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import spec_signer as ss

TOOL = os.environ.get("ANNINH_TOOL", "anninh")
GOP = 10          # frames per GOP
FRAMES = 40       # 4 GOPs


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, **kw)


def have_element(name):
    return subprocess.run(["gst-inspect-1.0", "--exists", name]).returncode == 0


def make_keys(d, name, ca_name="District CA"):
    ca_key, ca = os.path.join(d, name + "-ca.key"), os.path.join(d, name + "-ca.pem")
    key, cert = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key, "-out", ca,
         "-subj", "/CN=" + ca_name, "-days", "30"])
    csr = run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
               "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
               "-subj", "/O=Commune police/CN=" + name]).stdout
    run(["openssl", "x509", "-req", "-CA", ca, "-CAkey", ca_key,
         "-CAcreateserial", "-days", "10", "-out", cert], input=csr)
    return key, cert, ca


def encode(d, codec, pattern="smpte"):
    path = os.path.join(d, "in-%s-%s.%s" % (codec, pattern, codec))
    enc = ("x264enc key-int-max=%d bframes=0 speed-preset=ultrafast" % GOP
           if codec == "h264" else
           "x265enc key-int-max=%d speed-preset=ultrafast "
           "option-string=bframes=0" % GOP)
    run(["gst-launch-1.0", "-q", "videotestsrc", "pattern=" + pattern,
         "num-buffers=%d" % FRAMES, "!",
         "video/x-raw,width=320,height=240,framerate=25/1", "!"] +
        enc.split() + ["!", codec + "parse", "config-interval=-1", "!",
                       "video/x-%s,stream-format=byte-stream,alignment=au"
                       % codec, "!", "filesink", "location=" + path])
    return path


def sign_with_evidencemux(d, codec, raw, key, cert, out):
    run(["gst-launch-1.0", "-q", "filesrc", "location=" + raw, "!",
         codec + "parse", "!",
         "video/x-%s,stream-format=byte-stream,alignment=au" % codec, "!",
         "evidencemux", "key-file=" + key, "certificate-file=" + cert,
         "camera-id=cam-test", "!", "filesink", "location=" + out])


def sign(d, codec, raw, key, cert, tag):
    out = os.path.join(d, "signed-%s-%s.%s" % (tag, codec, codec))
    if USE_EVIDENCEMUX:
        sign_with_evidencemux(d, codec, raw, key, cert, out)
    else:
        nals = ss.split_nals(ss.read(raw))
        signer = ss.SpecSigner(codec, key, cert, d, attribution=json.dumps(
            {"camera-id": "cam-" + tag, "address": "Phuong 1, Quan 3",
             "latitude": 10.7769, "longitude": 106.7009}))
        with open(out, "wb") as f:
            f.write(ss.join_nals(signer.sign(nals)))
    return out


USE_EVIDENCEMUX = False   # set in setUpModule


def setUpModule():
    global USE_EVIDENCEMUX
    USE_EVIDENCEMUX = (have_element("evidencemux") and
                       os.environ.get("ANNINH_TEST_SIGNER") != "spec")


def frames_of(codec, nals):
    """index of each picture's first slice in the NAL list"""
    return [i for i, n in enumerate(nals)
            if ss.is_slice(codec, n) and ss.is_primary(codec, n)]


def flip(nal):
    b = bytearray(nal)
    p = len(b) // 2
    while b[p] <= 3 or b[p] >= 0xfc:
        p += 1
    b[p] ^= 0x10
    return bytes(b)


class TamperMatrix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="anninh-verify-")
        d = cls.dir
        cls.key, cls.cert, cls.ca = make_keys(d, "cam0")
        cls.key2, cls.cert2, cls.ca2 = make_keys(d, "cam9", "Other CA")
        cls.streams = {}
        for codec in ("h264", "h265"):
            raw = encode(d, codec)
            raw2 = encode(d, codec, "ball")
            a = sign(d, codec, raw, cls.key, cls.cert, "a")
            b = sign(d, codec, raw2, cls.key2, cls.cert2, "b")
            cls.streams[codec] = (ss.split_nals(ss.read(a)),
                                  ss.split_nals(ss.read(b)))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def verify(self, path, ca=None):
        cmd = [TOOL, "verify", "--json", "--ca", ca or self.ca, path]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.assertIn(p.returncode, (0, 10, 11, 12), p.stderr)
        return p.returncode, json.loads(p.stdout)

    def write(self, codec, nals, container, name):
        raw = os.path.join(self.dir, "%s-%s.%s" % (name, codec, codec))
        with open(raw, "wb") as f:
            f.write(ss.join_nals(nals))
        if container == "raw":
            return raw
        out = raw + "." + container
        run(["ffmpeg", "-loglevel", "error", "-y", "-f",
             "h264" if codec == "h264" else "hevc", "-r", "25", "-i", raw,
             "-c", "copy", out])
        return out

    def bad_gops(self, result):
        return [g for g in result["gops"] if g["verdict"] != "authentic"]

    def check_matrix(self, codec, container):
        nals, other = self.streams[codec]
        fr = frames_of(codec, nals)
        # a P-frame in the middle of the second GOP, and its I-frame
        p_frame = GOP + GOP // 2
        i_frame = GOP

        with self.subTest(case="untouched"):
            code, r = self.verify(self.write(codec, nals, container, "ok"))
            self.assertEqual(code, 0, r)
            self.assertEqual(r["verdict"], "authentic")
            self.assertEqual(r["frames"], FRAMES)
            self.assertEqual(r["frames-unsigned"], 0)
            self.assertEqual(r["certificate"], "trusted")
            self.assertIn("cam0", r["signer"])
            self.assertIsNotNone(r["start"])
            if not USE_EVIDENCEMUX:
                self.assertEqual(r["camera-id"], "cam-a")
                self.assertAlmostEqual(r["latitude"], 10.7769)

        with self.subTest(case="flipped byte in a P-frame"):
            t = list(nals)
            t[fr[p_frame]] = flip(t[fr[p_frame]])
            code, r = self.verify(self.write(codec, t, container, "flipP"))
            self.assertEqual(code, 11, r)
            bad = self.bad_gops(r)
            self.assertEqual(len(bad), 1, bad)
            self.assertEqual(bad[0]["altered-first-frame"], p_frame)
            self.assertEqual(bad[0]["altered-last-frame"], p_frame)

        with self.subTest(case="flipped byte in an I-frame"):
            t = list(nals)
            t[fr[i_frame]] = flip(t[fr[i_frame]])
            code, r = self.verify(self.write(codec, t, container, "flipI"))
            self.assertEqual(code, 11, r)
            bad = self.bad_gops(r)
            self.assertEqual(len(bad), 1, bad)
            self.assertEqual(bad[0]["first-frame"], i_frame)
            self.assertEqual(bad[0]["altered-first-frame"], i_frame)
            self.assertEqual(bad[0]["altered-last-frame"], i_frame + GOP - 1)

        with self.subTest(case="dropped frame"):
            t = list(nals)
            del t[fr[p_frame]]
            code, r = self.verify(self.write(codec, t, container, "drop"))
            self.assertEqual(code, 10, r)
            self.assertEqual(r["verdict"], "authentic-with-missing-frames")
            bad = self.bad_gops(r)
            self.assertEqual(len(bad), 1, bad)
            self.assertEqual(bad[0]["missing-after-frame"], p_frame - 1)
            self.assertEqual(bad[0]["nalus-missing"], 1)

        with self.subTest(case="two swapped frames"):
            t = list(nals)
            a, b = fr[p_frame], fr[p_frame + 1]
            t[a], t[b] = t[b], t[a]
            code, r = self.verify(self.write(codec, t, container, "swap"))
            self.assertEqual(code, 11, r)
            bad = self.bad_gops(r)
            self.assertEqual(len(bad), 1, bad)
            self.assertLessEqual(bad[0]["first-frame"], p_frame)
            self.assertGreaterEqual(bad[0]["last-frame"], p_frame + 1)

        with self.subTest(case="duplicated frame"):
            t = list(nals)
            t.insert(fr[p_frame] + 1, t[fr[p_frame]])
            code, r = self.verify(self.write(codec, t, container, "dup"))
            self.assertEqual(code, 11, r)
            bad = self.bad_gops(r)
            self.assertEqual(len(bad), 1, bad)
            self.assertEqual(bad[0]["altered-first-frame"], p_frame + 1)

        with self.subTest(case="GOP spliced in from another camera"):
            ofr = frames_of(codec, other)
            # the second GOP (and what follows it up to the third IDR) from
            # the other camera, its signing SEIs included
            start_a, end_a = fr[GOP], fr[2 * GOP]
            start_b, end_b = ofr[GOP], ofr[2 * GOP]
            t = nals[:start_a] + other[start_b:end_b] + nals[end_a:]
            code, r = self.verify(self.write(codec, t, container, "splice"))
            self.assertEqual(code, 11, r)
            bad = self.bad_gops(r)
            self.assertTrue(bad)
            self.assertTrue(any(g["first-frame"] <= GOP <= g["last-frame"]
                                for g in bad), bad)
            self.assertTrue(all(g["first-frame"] >= GOP and
                                g["last-frame"] < 3 * GOP for g in bad), bad)

        with self.subTest(case="all SEIs stripped"):
            t = [n for n in nals if not ss.is_signing_sei(codec, n)]
            code, r = self.verify(self.write(codec, t, container, "strip"))
            self.assertEqual(code, 12, r)
            self.assertEqual(r["verdict"], "not-signed")
            self.assertEqual(r["frames-unsigned"], FRAMES)

        with self.subTest(case="wrong CA"):
            code, r = self.verify(self.write(codec, nals, container, "ok2"),
                                  ca=self.ca2)
            self.assertEqual(code, 11, r)
            self.assertEqual(r["certificate"], "not-trusted")

    def test_h264_raw(self):
        self.check_matrix("h264", "raw")

    def test_h265_raw(self):
        self.check_matrix("h265", "raw")

    def test_h264_mp4(self):
        self.check_matrix("h264", "mp4")

    def test_h265_mp4(self):
        self.check_matrix("h265", "mp4")

    def test_h264_mkv(self):
        self.check_matrix("h264", "mkv")

    def test_h265_mkv(self):
        self.check_matrix("h265", "mkv")

    def test_h264_ts(self):
        self.check_matrix("h264", "ts")

    def test_h265_ts(self):
        self.check_matrix("h265", "ts")


class Cli(unittest.TestCase):
    def test_usage_and_errors(self):
        p = subprocess.run([TOOL, "verify"], capture_output=True)
        self.assertEqual(p.returncode, 2)
        p = subprocess.run([TOOL, "verify", "/nonexistent/x.mp4"],
                           capture_output=True)
        self.assertEqual(p.returncode, 1)
        p = subprocess.run([TOOL, "verify", "--help"], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 0)
        for code in ("10", "11", "12"):
            self.assertIn("  " + code + " ", p.stdout)
        with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
            f.write(b"this is not a video" * 100)
            f.flush()
            p = subprocess.run([TOOL, "verify", f.name], capture_output=True)
            self.assertEqual(p.returncode, 1)


if __name__ == "__main__":
    unittest.main()
