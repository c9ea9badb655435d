# SPDX-License-Identifier: LGPL-2.1-or-later
"""evidencemux end to end: real encoders, real OpenSSL keys made with the
openssl CLI, real muxers (raw byte-stream, mp4mux, matroskamux, mpegtsmux),
real players (ffprobe, ffmpeg, GStreamer decodebin).

For H.264 and H.265 through each container it checks that
- the signed stream plays: ffprobe counts every frame, ffmpeg decodes it,
  GStreamer decodes it without error or warning;
- the Media Signing SEIs survive the muxer: read back with this test's own
  small reader (independent of the element's code), the certificate SEI is
  there, every GOP SEI's signature verifies with `openssl dgst -verify`
  against the camera certificate, and the GOP hashes and hash lists match
  the picture NAL units actually in the file (so not one picture byte
  changed).
"""

import hashlib
import os
import re
import shutil
import struct
import subprocess
import tempfile
import unittest

FRAMES = 75          # 3 s at 25 fps
GOP = 25
UUID = bytes.fromhex("005bc93f2d715e95ada4796f90877a6f")

ENCODERS = {
    "h264": "x264enc key-int-max=%d bframes=0 speed-preset=ultrafast "
            "tune=zerolatency ! h264parse" % GOP,
    "h265": "x265enc key-int-max=%d speed-preset=ultrafast tune=zerolatency "
            "! h265parse" % GOP,
}
MUXERS = {
    "raw": ("", "h26x"),
    "mp4": ("mp4mux", "mp4"),
    "mkv": ("matroskamux", "mkv"),
    "ts": ("mpegtsmux", "ts"),
}
# What ffmpeg says about the access unit without picture that carries the
# final SEI (final-sei=true, the default): documented, nothing else allowed.
FINAL_AU_NOISE = re.compile(
    r"missing picture in access unit|no frame!|Error while decoding stream"
    r"|Invalid data found when processing input")


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          **kw)


# --- the test's own Annex B / Media Signing reader -------------------------

def split_nals(data):
    starts = [m.end() for m in re.finditer(b"\x00\x00\x01", data)]
    nals = []
    for i, s in enumerate(starts):
        e = starts[i + 1] - 3 if i + 1 < len(starts) else len(data)
        nal = data[s:e].rstrip(b"\x00")
        if nal:
            nals.append(nal)
    return nals


def unescape(b):
    out, zeros = bytearray(), 0
    for x in b:
        if zeros >= 2 and x == 3:
            zeros = 0
            continue
        out.append(x)
        zeros = zeros + 1 if x == 0 else 0
    return bytes(out)


def sha(b):
    return hashlib.sha256(b).digest()


def parse_signing_sei(nal, hdr):
    """Returns (reserved, {tag: value}, document) or None."""
    u = unescape(nal)
    p = hdr
    if len(u) < hdr + 20 or u[p] != 5:
        return None
    p += 1
    size = 0
    while u[p] == 0xff:
        size += 255
        p += 1
    size += u[p]
    p += 1
    if u[p:p + 16] != UUID:
        return None
    end = p + size
    reserved = u[p + 16]
    q = p + 17
    tags, document = {}, None
    while q < end:
        tag = u[q]
        length = struct.unpack(">H", u[q + 1:q + 3])[0]
        if tag == 3:
            document = u[:q]
        tags[tag] = u[q + 3:q + 3 + length]
        q += 3 + length
    return reserved, tags, document


class SignedStream:
    """Walks a byte stream the way the spec says a validator hashes it."""

    def __init__(self, data, codec):
        self.codec = codec
        self.hdr = 1 if codec == "h264" else 2
        self.nals = split_nals(data)

    def nal_type(self, n):
        return n[0] & 0x1f if self.codec == "h264" else (n[0] >> 1) & 0x3f

    def is_sei(self, t):
        return t == 6 if self.codec == "h264" else t in (39, 40)

    def picture_class(self, t):
        if self.codec == "h264":
            return "I" if t == 5 else "P" if t == 1 else None
        return "I" if 16 <= t <= 21 else "P" if t in (0, 1) else None

    def walk(self):
        """Yields ('cert'|'gop', reserved, tags, document, expected_hashes,
        first_hash_of_previous)."""
        hashes, anchor, need_anchor = [], None, True
        prev_first = b"\x00" * 32
        for n in self.nals:
            t = self.nal_type(n)
            if self.is_sei(t):
                parsed = parse_signing_sei(n, self.hdr)
                if parsed is None:
                    continue
                reserved, tags, document = parsed
                if reserved & 0x80:
                    yield ("cert", reserved, tags, document, None, None)
                    continue
                if 3 not in tags:          # unsigned GOP SEI: hashed
                    hashes.append(sha(unescape(n)))
                    continue
                yield ("gop", reserved, tags, document, hashes, prev_first)
                if hashes:
                    prev_first = hashes[0]
                hashes, need_anchor = [], True
                continue
            cls = self.picture_class(t)
            if cls is None:
                continue
            first_slice = n[self.hdr] & 0x80
            if cls == "I" and first_slice and need_anchor:
                anchor = sha(n)
                hashes.append(anchor)
                need_anchor = False
            elif anchor is not None:
                hashes.append(sha(anchor + sha(n)))


class EvidenceMuxTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="anninh-evidencemux-")
        d = cls.tmp

        def ossl(*args):
            r = run(["openssl"] + list(args), cwd=d)
            assert r.returncode == 0, r.stderr
        ossl("req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
             "-out", "ca.pem", "-days", "30", "-subj", "/CN=Test District CA",
             "-addext", "basicConstraints=critical,CA:TRUE")
        ossl("genpkey", "-algorithm", "EC", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-aes-256-cbc", "-pass",
             "pass:s3cret-pass", "-out", "cam.key")
        ossl("req", "-new", "-key", "cam.key", "-passin", "pass:s3cret-pass",
             "-subj", "/CN=cam-01", "-out", "cam.csr")
        ossl("x509", "-req", "-in", "cam.csr", "-CA", "ca.pem", "-CAkey",
             "ca.key", "-CAcreateserial", "-days", "30", "-out", "cam.pem")
        ossl("x509", "-in", "cam.pem", "-pubkey", "-noout", "-out",
             "cam.pub")
        with open(os.path.join(d, "chain.pem"), "w") as out:
            for f in ("cam.pem", "ca.pem"):
                with open(os.path.join(d, f)) as inp:
                    out.write(inp.read())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def make(self, codec, container, final_sei=True):
        mux, ext = MUXERS[container]
        out = self.path("signed-%s-%s-%d.%s" % (codec, container,
                                                int(final_sei), ext))
        tail = "! %sparse ! %s " % (codec, mux) if mux else ""
        pipeline = (
            "videotestsrc num-buffers=%d pattern=ball ! "
            "video/x-raw,width=320,height=240,framerate=25/1 ! %s ! "
            "evidencemux private-key=%s private-key-passphrase=s3cret-pass "
            "certificate-chain=%s camera-id=cam-01 latitude=21.0285 "
            "longitude=105.8542 address=\"Hoan Kiem\" final-sei=%s "
            "%s! filesink location=%s" % (
                FRAMES, ENCODERS[codec], self.path("cam.key"),
                self.path("chain.pem"), "true" if final_sei else "false",
                tail, out))
        r = run(["sh", "-c", "gst-launch-1.0 -q -e " + pipeline])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("s3cret-pass", r.stdout + r.stderr)
        return out

    def annexb(self, codec, path):
        if path.endswith(".h26x"):
            with open(path, "rb") as f:
                return f.read()
        raw = path + ".annexb"
        bsf = "h264_mp4toannexb" if codec == "h264" else "hevc_mp4toannexb"
        r = run(["ffmpeg", "-v", "error", "-y", "-i", path, "-c", "copy",
                 "-bsf:v", bsf, "-f", codec.replace("h265", "hevc"), raw])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(raw, "rb") as f:
            return f.read()

    def verify_signature(self, tags, document):
        sig = tags[3]
        self.assertEqual(sig[0], 1)
        size = struct.unpack(">H", sig[1:3])[0]
        with open(self.path("doc.bin"), "wb") as f:
            f.write(document)
        with open(self.path("sig.der"), "wb") as f:
            f.write(sig[3:3 + size])
        r = run(["openssl", "dgst", "-sha256", "-verify",
                 self.path("cam.pub"), "-signature", self.path("sig.der"),
                 self.path("doc.bin")])
        return r.returncode == 0 and "Verified OK" in r.stdout

    def check_signed(self, codec, path, gop_seis):
        stream = SignedStream(self.annexb(codec, path), codec)
        certs = gops = 0
        for kind, reserved, tags, document, hashes, prev in stream.walk():
            self.assertTrue(self.verify_signature(tags, document),
                            "%s SEI signature of %s" % (kind, path))
            if kind == "cert":
                certs += 1
                self.assertIn(b"BEGIN CERTIFICATE", tags[6])
                self.assertEqual(tags[6].count(b"BEGIN CERTIFICATE"), 1,
                                 "the root CA must not be in the stream")
                continue
            gops += 1
            general = tags[1]
            count = struct.unpack(">H", general[25:27])[0]
            self.assertEqual(count, len(hashes))
            self.assertEqual(general[27:59], sha(b"".join(hashes)),
                             "GOP hash of SEI %d in %s" % (gops, path))
            self.assertEqual(general[59:91], prev, "linked hash")
            self.assertEqual(tags[2][1:], b"".join(hashes), "hash list")
            self.assertIn(b'"camera-id":"cam-01"', tags[7])
            self.assertIn(b'"latitude":21.0285', tags[7])
        self.assertEqual(certs, 1)
        self.assertEqual(gops, gop_seis)

    def check_plays(self, path, final_sei):
        r = run(["ffprobe", "-v", "error", "-count_frames", "-select_streams",
                 "v:0", "-show_entries", "stream=nb_read_frames", "-of",
                 "default=nw=1:nk=1", path])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(int(r.stdout.split()[0]), FRAMES, path)
        r = run(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"])
        self.assertEqual(r.returncode, 0, r.stderr)
        noise = [l for l in r.stderr.splitlines() if l.strip()]
        if final_sei:
            bad = [l for l in noise if not FINAL_AU_NOISE.search(l)]
            self.assertEqual(bad, [], path)
        else:
            self.assertEqual(noise, [], path)
        r = run(["gst-launch-1.0", "filesrc", "location=" + path, "!",
                 "decodebin", "!", "fakesink"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotRegex(r.stdout + r.stderr, r"ERROR|WARNING")

    def _codec_all_containers(self, codec):
        for container in MUXERS:
            with self.subTest(codec=codec, container=container):
                path = self.make(codec, container)
                # GOP SEIs at frames 25 and 50, and the final one at EOS
                self.check_signed(codec, path, FRAMES // GOP)
                self.check_plays(path, True)
        with self.subTest(codec=codec, final_sei=False):
            path = self.make(codec, "mp4", final_sei=False)
            self.check_signed(codec, path, FRAMES // GOP - 1)
            self.check_plays(path, False)

    def test_h264(self):
        self._codec_all_containers("h264")

    def test_h265(self):
        self._codec_all_containers("h265")

    def test_tampering_is_visible(self):
        """Sanity of this test's own reader: a flipped picture byte breaks
        the GOP hash."""
        path = self.make("h264", "raw")
        with open(path, "rb") as f:
            data = bytearray(f.read())
        stream = SignedStream(bytes(data), "h264")
        target = [n for n in stream.nals if n[0] & 0x1f == 1][10]
        at = bytes(data).find(target) + len(target) // 2
        data[at] ^= 0x01
        bad = 0
        for kind, _, tags, _, hashes, _ in SignedStream(bytes(data),
                                                        "h264").walk():
            if kind == "gop" and tags[1][27:59] != sha(b"".join(hashes)):
                bad += 1
        self.assertEqual(bad, 1)

    def test_bad_passphrase_fails_before_playing(self):
        pipeline = ("videotestsrc num-buffers=5 ! x264enc ! h264parse ! "
                    "evidencemux private-key=%s private-key-passphrase=nope "
                    "certificate-chain=%s ! fakesink" % (
                        self.path("cam.key"), self.path("chain.pem")))
        r = run(["sh", "-c", "gst-launch-1.0 " + pipeline])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("passphrase does not open", r.stdout + r.stderr)
        self.assertNotIn("nope", (r.stdout + r.stderr).replace(
            "private-key-passphrase=nope", ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
