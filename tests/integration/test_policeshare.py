# SPDX-License-Identifier: LGPL-2.1-or-later
"""policeshare with real peers: camsim upstream, ffprobe/ffmpeg and
gst rtspsrc viewers, htdigest accounts, an openssl test certificate, the
audit log checked by `anninh audit verify`, raw malformed RTSP over TCP.

One share process (gst-launch-1.0) pulls camsim's cam0 once and serves it
on three mounts: /hoatien/cam01 and /xa2/cam01 (max-viewers=1) on one plain
RTSP server, /hoatien/cam01 again on an RTSPS server. Tests run in name
order; the rate-limit test comes last because it blocks 127.0.0.1.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from anninh_harness import CamSim, free_port, gst_launch_env, tool

REALM = "anninh"
USERS = {"alice": "alice-pw", "bob": "bob-pw"}
GROUPS = "hoatien: alice\nxa2: alice\nkhac: bob\n"


def have(program):
    return shutil.which(program) is not None


def htdigest(path, user, password, create=False):
    args = ["htdigest"] + (["-c"] if create else []) + [path, REALM, user]
    subprocess.run(args, input="%s\n%s\n" % (password, password), text=True,
                   check=True, capture_output=True)


def ffprobe(url, timeout=30, transport="tcp"):
    return subprocess.run(
        ["ffprobe", "-v", "error", "-rtsp_transport", transport,
         "-show_entries", "stream=codec_name", "-of", "csv=p=0", url],
        capture_output=True, text=True, timeout=timeout)


def ffmpeg_viewer(url, seconds, extra=()):
    """An ffmpeg that copies `seconds` of the stream to nowhere and reports
    its progress on stdout."""
    return subprocess.Popen(
        ["ffmpeg", "-nostdin", "-v", "error"] + list(extra) +
        ["-rtsp_transport", "tcp", "-i", url, "-t", str(seconds),
         "-c", "copy", "-f", "null", "-progress", "pipe:1", "-nostats", "-"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def frames_of(progress_text):
    counts = [int(x) for x in re.findall(r"^frame=(\d+)", progress_text,
                                         re.M)]
    return counts[-1] if counts else 0


def rtsp_answers(port, path="/hoatien/cam01"):
    """The status line of an OPTIONS request, or None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(("OPTIONS rtsp://127.0.0.1:%d%s RTSP/1.0\r\n"
                       "CSeq: 1\r\n\r\n" % (port, path)).encode())
            data = s.recv(4096).decode(errors="replace")
            return data.split("\r\n", 1)[0]
    except OSError:
        return None


class PoliceShareTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        for p in ("ffprobe", "ffmpeg", "htdigest", "openssl",
                  "gst-launch-1.0"):
            if not have(p):
                raise unittest.SkipTest("%s is not installed" % p)
        cls.dir = tempfile.mkdtemp(prefix="policeshare-it-")
        cls.users = os.path.join(cls.dir, "officers.htdigest")
        cls.groups = os.path.join(cls.dir, "officers.groups")
        cls.audit = os.path.join(cls.dir, "viewers.jsonl")
        cls.cert = os.path.join(cls.dir, "cert.pem")
        cls.key = os.path.join(cls.dir, "key.pem")
        first = True
        for u, pw in USERS.items():
            htdigest(cls.users, u, pw, create=first)
            first = False
        with open(cls.groups, "w") as f:
            f.write(GROUPS)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", cls.key, "-out", cls.cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1"],
                       check=True, capture_output=True)

        cls.cam = CamSim(cameras=1, codecs=["h264"], width=320, height=240,
                         fps=25).start()
        cls.port = free_port()
        cls.tls_port = free_port()
        common = ("htdigest=%s groups-file=%s realm=%s audit-log=%s"
                  % (cls.users, cls.groups, REALM, cls.audit))
        launch = (
            "rtspsrc location=%s latency=100 protocols=tcp ! rtph264depay ! "
            "h264parse config-interval=-1 ! tee name=t "
            "t. ! queue ! policeshare mount=/hoatien/cam01 service=%d "
            "allow-groups=hoatien max-auth-failures=5 block-time=4 %s "
            "t. ! queue ! policeshare mount=/xa2/cam01 service=%d "
            "allow-groups=xa2 max-viewers=1 %s "
            "t. ! queue ! policeshare mount=/hoatien/cam01 service=%d "
            "tls-cert=%s tls-key=%s allow-groups=hoatien %s"
            % (cls.cam.url(0), cls.port, common, cls.port, common,
               cls.tls_port, cls.cert, cls.key, common))
        cls.share_log = open(os.path.join(cls.dir, "share.log"), "w+")
        # POLICESHARE_UNDER_VALGRIND=1: the share process runs under
        # valgrind (memcheck); tearDownClass stops it with SIGINT and fails
        # if valgrind reported an error.
        cls.valgrind = bool(os.environ.get("POLICESHARE_UNDER_VALGRIND"))
        supp = os.path.join(os.environ.get("ANNINH_SOURCE_ROOT", "."),
                            "tests", "anninh.supp")
        prefix = (["valgrind", "--error-exitcode=66", "--leak-check=no",
                   "--num-callers=30", "--suppressions=" + supp]
                  if cls.valgrind else [])
        cls.share = subprocess.Popen(
            prefix + ["gst-launch-1.0", "-e"] + launch.split(),
            stdout=cls.share_log, stderr=subprocess.STDOUT,
            # loopback only: GIO need not ask libproxy (whose C++
            # exceptions valgrind reports)
            env=gst_launch_env(GIO_USE_PROXY_RESOLVER="dummy"))
        # ready when the plain server answers and the mount has video
        deadline = time.monotonic() + (120 if cls.valgrind else 30)
        while time.monotonic() < deadline:
            if cls.share.poll() is not None:
                break
            r = ffprobe(cls.url("alice"), timeout=10)
            if r.returncode == 0 and "h264" in r.stdout:
                return
            time.sleep(0.5)
        log = cls.log_tail()
        cls.tearDownClass()
        raise RuntimeError("policeshare did not come up:\n" + log)

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "valgrind", False) and cls.share.poll() is None:
            cls.share.send_signal(signal.SIGINT)
            try:
                code = cls.share.wait(timeout=120)
            except subprocess.TimeoutExpired:
                code = None
            log = cls.log_tail()
            if code == 66 or "ERROR SUMMARY: 0 errors" not in log:
                cls.share_log.close()
                raise AssertionError("valgrind on the share process (exit "
                                     "%s):\n%s" % (code, log))
        if getattr(cls, "share", None) and cls.share.poll() is None:
            cls.share.terminate()
            try:
                cls.share.wait(timeout=10)
            except subprocess.TimeoutExpired:
                cls.share.kill()
                cls.share.wait()
        if getattr(cls, "cam", None):
            cls.cam.stop()
        if getattr(cls, "share_log", None):
            cls.share_log.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def log_tail(cls):
        cls.share_log.flush()
        cls.share_log.seek(0)
        return cls.share_log.read()[-3000:]

    @classmethod
    def url(cls, user, password=None, mount="/hoatien/cam01", scheme="rtsp",
            port=None):
        if password is None:
            password = USERS.get(user, "x")
        return "%s://%s:%s@127.0.0.1:%d%s" % (
            scheme, user, password, port or cls.port, mount)

    def assertShareAlive(self):
        self.assertIsNone(self.share.poll(),
                          "share process died:\n" + self.log_tail())

    # -- authentication --------------------------------------------------
    def test_a_ffprobe_right_credentials(self):
        r = ffprobe(self.url("alice"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("h264", r.stdout)

    def test_a_wrong_password_401(self):
        r = ffprobe(self.url("alice", "not-her-password"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("401", r.stderr)

    def test_a_unknown_user_401(self):
        r = ffprobe(self.url("mallory", "guess"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("401", r.stderr)

    def test_a_no_credentials_401(self):
        r = ffprobe("rtsp://127.0.0.1:%d/hoatien/cam01" % self.port)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("401", r.stderr)

    def test_a_wrong_group_403(self):
        r = ffprobe(self.url("bob"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("403", r.stderr)

    def test_a_udp_and_http_tunnel(self):
        for transport in ("udp", "http"):
            r = ffprobe(self.url("alice"), transport=transport)
            self.assertEqual(r.returncode, 0, transport + ": " + r.stderr)
            self.assertIn("h264", r.stdout)
        r = ffprobe(self.url("alice", "wrong"), transport="http")
        self.assertIn("401", r.stderr)

    def test_b_gst_rtspsrc(self):
        def play(user, password):
            return subprocess.run(
                ["gst-launch-1.0", "-q", "rtspsrc",
                 "location=rtsp://127.0.0.1:%d/hoatien/cam01" % self.port,
                 "user-id=" + user, "user-pw=" + password, "protocols=tcp",
                 "!", "rtph264depay", "!", "h264parse", "!", "fakesink",
                 "num-buffers=25"],
                capture_output=True, text=True, timeout=30,
                env=gst_launch_env())
        ok = play("alice", USERS["alice"])
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        bad = play("alice", "wrong")
        self.assertNotEqual(bad.returncode, 0)
        self.assertRegex(bad.stdout + bad.stderr, r"(?i)unauthori[sz]ed|401")

    def test_c_rtsps_ffmpeg(self):
        r = ffprobe(self.url("alice", scheme="rtsps", port=self.tls_port))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("h264", r.stdout)
        # plain RTSP on the TLS port gets nowhere
        r = ffprobe(self.url("alice", port=self.tls_port), timeout=15)
        self.assertNotEqual(r.returncode, 0)

    # -- fan-out ---------------------------------------------------------
    def test_d_ten_viewers_one_upstream_pull(self):
        viewers = [ffmpeg_viewer(self.url("alice"), 6) for _ in range(10)]
        clients_seen = set()
        try:
            time.sleep(3)
            for _ in range(4):
                clients_seen.add(self.cam.camera(0)["clients"])
                time.sleep(0.5)
        finally:
            outs = [v.communicate(timeout=60) for v in viewers]
        for v, (out, err) in zip(viewers, outs):
            self.assertEqual(v.returncode, 0, err)
            self.assertGreater(frames_of(out), 25, err)
        # the share process is camsim's only client, however many watch
        self.assertEqual(clients_seen, {1})

    def test_e_max_viewers_503(self):
        first = ffmpeg_viewer(self.url("alice", mount="/xa2/cam01"), 8)
        try:
            time.sleep(3)
            self.assertIsNone(first.poll(), "first viewer ended early")
            r = ffprobe(self.url("alice", mount="/xa2/cam01"))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("503", r.stderr)
        finally:
            out, err = first.communicate(timeout=60)
        self.assertEqual(first.returncode, 0, err)
        self.assertGreater(frames_of(out), 25)
        # the place is free again
        r = ffprobe(self.url("alice", mount="/xa2/cam01"))
        self.assertEqual(r.returncode, 0, r.stderr)

    # -- accounts file changes -------------------------------------------
    def test_f_users_file_reloaded(self):
        r = ffprobe(self.url("carol", "carol-pw"))
        self.assertIn("401", r.stderr)
        htdigest(self.users, "carol", "carol-pw")
        with open(self.groups, "a") as f:
            f.write("hoatien: carol\n")
        r = ffprobe(self.url("carol", "carol-pw"))
        self.assertEqual(r.returncode, 0, r.stderr)
        # remove the account as an administrator would, with an editor
        with open(self.users) as f:
            kept = [l for l in f if not l.startswith("carol:")]
        with open(self.users, "w") as f:
            f.writelines(kept)
        r = ffprobe(self.url("carol", "carol-pw"))
        self.assertIn("401", r.stderr)

    # -- bad input -------------------------------------------------------
    def test_g_malformed_requests(self):
        p = self.port
        corpus = [
            b"",
            b"\r\n\r\n",
            b"GARBAGE\r\n\r\n",
            b"DESCRIBE rtsp://127.0.0.1",
            b"DESCRIBE rtsp://127.0.0.1:%d/hoatien/cam01 RTSP/1.0\r\n" % p,
            b"DESCRIBE rtsp://127.0.0.1:%d/hoatien/cam01 RTSP/9.9\r\n"
            b"CSeq: 1\r\n\r\n" % p,
            b"OPTIONS * RTSP/1.0\r\nCSeq: x\r\n\r\n",
            b"SETUP rtsp://127.0.0.1:%d/hoatien/cam01/stream=0 RTSP/1.0\r\n"
            b"CSeq: 2\r\nTransport: ;;;;;\r\n\r\n" % p,
            b"PLAY rtsp://127.0.0.1:%d/hoatien/cam01 RTSP/1.0\r\nCSeq: 3\r\n"
            b"Session: does-not-exist\r\n\r\n" % p,
            b"DESCRIBE rtsp://127.0.0.1:%d/hoatien/cam01 RTSP/1.0\r\n"
            b"CSeq: 4\r\nAuthorization: Digest\r\n\r\n" % p,
            b"DESCRIBE rtsp://127.0.0.1:%d/hoatien/cam01 RTSP/1.0\r\n"
            b"CSeq: 5\r\nAuthorization: Digest username=\"alice\", "
            b"realm=\"anninh\", nonce=\"zz\", uri=\"x\", response=\"\"\r\n\r\n"
            % p,
            b"DESCRIBE rtsp://127.0.0.1:%d/hoatien/cam01 RTSP/1.0\r\n"
            b"CSeq: 6\r\nAuthorization: Basic !!!notbase64\r\n\r\n" % p,
            b"DESCRIBE rtsp://127.0.0.1:%d/../../etc/passwd RTSP/1.0\r\n"
            b"CSeq: 7\r\n\r\n" % p,
            b"DESCRIBE rtsp://127.0.0.1:%d/hoatien/cam01 RTSP/1.0\r\n"
            b"CSeq: 8\r\nX-Long: " % p + b"A" * 70000 + b"\r\n\r\n",
            b"$\x00\xff\xff" + b"\x00" * 64,
            b"GET /hoatien/cam01 HTTP/1.0\r\nx-sessioncookie: abc\r\n"
            b"Accept: application/x-rtsp-tunnelled\r\n\r\n",
            b"POST /hoatien/cam01 HTTP/1.0\r\nx-sessioncookie: nope\r\n"
            b"Content-Type: application/x-rtsp-tunnelled\r\n\r\n!!!!",
            bytes(range(256)) * 8,
            b"ANNOUNCE rtsp://127.0.0.1:%d/hoatien/cam01 RTSP/1.0\r\n"
            b"CSeq: 9\r\nContent-Length: 99999999\r\n\r\nv=0" % p,
        ]
        for i, data in enumerate(corpus):
            try:
                with socket.create_connection(("127.0.0.1", p),
                                              timeout=3) as s:
                    if data:
                        s.sendall(data)
                    if i % 2:
                        s.shutdown(socket.SHUT_WR)
                    try:
                        s.recv(4096)
                    except OSError:
                        pass
            except OSError:
                pass
        # a client that vanishes in the middle of a session
        v = ffmpeg_viewer(self.url("alice"), 30)
        time.sleep(2)
        v.kill()
        v.communicate()
        self.assertShareAlive()
        self.assertIn("RTSP/1.0 401", rtsp_answers(p) or "")
        r = ffprobe(self.url("alice"))
        self.assertEqual(r.returncode, 0, r.stderr)

    # -- camera reboot (needs ipcamsrc) ----------------------------------
    def test_h_camera_reboot_viewer_resumes(self):
        r = subprocess.run(["gst-inspect-1.0", "ipcamsrc"],
                           capture_output=True, env=gst_launch_env())
        if r.returncode != 0:
            self.skipTest("ipcamsrc is not available in this build")
        port = free_port()
        share = subprocess.Popen(
            ["gst-launch-1.0", "ipcamsrc", "location=" + self.cam.url(0),
             "camera-id=cam0", "!", "policeshare", "mount=/reboot",
             "service=%d" % port],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=gst_launch_env())
        try:
            url = "rtsp://127.0.0.1:%d/reboot" % port
            deadline = time.monotonic() + 30
            while ffprobe(url, 10).returncode != 0:
                self.assertLess(time.monotonic(), deadline, "no video")
                time.sleep(0.5)
            viewer = ffmpeg_viewer(url, 40)
            lines = []
            t = threading.Thread(
                target=lambda: lines.extend(iter(viewer.stdout.readline,
                                                 "")), daemon=True)
            t.start()
            time.sleep(4)
            self.cam.command("reboot cam0 5")
            time.sleep(2)
            during = frames_of("".join(lines))
            time.sleep(14)
            after = frames_of("".join(lines))
            self.assertIsNone(viewer.poll(),
                              "the viewer's session ended with the camera")
            self.assertGreater(after, during + 25,
                               "no frames after the camera came back")
            viewer.kill()
            viewer.communicate()
        finally:
            share.terminate()
            share.wait(timeout=10)

    # -- audit log -------------------------------------------------------
    def test_i_audit_log_verifies_and_detects_tampering(self):
        r = tool("audit", "verify", self.audit)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(self.audit) as f:
            lines = f.readlines()
        text = "".join(lines)
        self.assertGreater(len(lines), 10)
        self.assertIn('"outcome":"viewed"', text)
        self.assertIn('"outcome":"wrong-credentials"', text)
        self.assertIn('"outcome":"group-not-allowed"', text)
        self.assertIn('"outcome":"max-viewers"', text)

        edited = os.path.join(self.dir, "edited.jsonl")
        with open(edited, "w") as f:
            line3 = lines[2].replace("127.0.0.1", "127.0.0.9", 1)
            self.assertNotEqual(line3, lines[2])
            f.writelines(lines[:2] + [line3] + lines[3:])
        r = tool("audit", "verify", edited)
        self.assertEqual(r.returncode, 11, r.stdout + r.stderr)
        self.assertIn("line 3", r.stdout)

        removed = os.path.join(self.dir, "removed.jsonl")
        with open(removed, "w") as f:
            f.writelines(lines[:4] + lines[5:])
        r = tool("audit", "verify", removed)
        self.assertEqual(r.returncode, 11, r.stdout + r.stderr)
        self.assertIn("line 5", r.stdout)

        self.assertEqual(tool("audit", "verify",
                              os.path.join(self.dir, "nope")).returncode, 1)
        self.assertEqual(tool("audit").returncode, 2)

    # -- rate limiting (last: it blocks 127.0.0.1 for a while) -----------
    def test_z_repeated_failures_rate_limited(self):
        for _ in range(5):              # max-auth-failures=5
            r = ffprobe(self.url("alice", "wrong"))
            self.assertIn("401", r.stderr)
        r = ffprobe(self.url("alice"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("429", r.stderr)
        time.sleep(5)                  # block-time=4
        r = ffprobe(self.url("alice"))
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
