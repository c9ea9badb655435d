# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared harness of the gst-anninh integration tests (standard library only).

    from anninh_harness import CamSim, free_port, tool, gst_launch_env

    with CamSim(cameras=2, codecs=["h264", "h265"]) as cs:
        cs.url(0)                      # rtsp://127.0.0.1:PORT/cam0
        cs.command("reboot cam0 10")   # reply line; raises CamSimError on error
        cs.status()                    # [{"id": "cam0", "codec": ..., ...}]

Every camsim started here is stopped when its `with` block ends, whatever
happens in it, and at interpreter exit at the latest (atexit).

Environment (set by tests/integration/meson.build): ANNINH_TOOL (the built
`anninh`), ANNINH_SOURCE_ROOT, ANNINH_BUILD_ROOT, GST_PLUGIN_PATH_1_0.
"""

import atexit
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

__all__ = ["CamSim", "CamSimError", "RtspPull", "free_port", "tool", "tool_path",
           "gst_launch_env", "make_clip", "build_root", "source_root"]

_READY_RE = re.compile(
    r"^camsim ready rtsp=(?P<host>[^:\s]+):(?P<port>\d+) "
    r"control=(?P<chost>[^:\s]+):(?P<cport>\d+) cameras=(?P<n>\d+)$")

_live = set()


def _kill_all_live():
    for proc in list(_live):
        _stop_process(proc, grace=2.0)


atexit.register(_kill_all_live)


def _stop_process(proc, grace=5.0):
    """SIGTERM, then SIGKILL after `grace` seconds. Returns the exit code."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    _live.discard(proc)
    return proc.returncode


def source_root():
    return os.environ.get(
        "ANNINH_SOURCE_ROOT",
        os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))))


def build_root():
    root = os.environ.get("ANNINH_BUILD_ROOT")
    if root:
        return root
    return os.path.join(source_root(), "build")


def tool_path():
    """Path of the built `anninh` tool."""
    path = os.environ.get("ANNINH_TOOL")
    if path:
        return path
    candidate = os.path.join(build_root(), "tools", "anninh")
    if os.path.exists(candidate):
        return candidate
    found = shutil.which("anninh")
    if found:
        return found
    raise RuntimeError("cannot find the anninh tool: set ANNINH_TOOL "
                       "(meson test does)")


def gst_launch_env(**extra):
    """os.environ plus what GStreamer programs need to see our plugins."""
    env = dict(os.environ)
    if "GST_PLUGIN_PATH_1_0" not in env:
        root = build_root()
        env["GST_PLUGIN_PATH_1_0"] = os.pathsep.join(
            os.path.join(root, d) for d in
            ("gst/ipcam", "ext/evidence", "ext/retention", "ext/policeshare",
             "ext/health"))
    env.setdefault("GST_DEBUG_NO_COLOR", "1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def tool(*args, timeout=120, check=False, input=None):
    """Runs the built `anninh` with args; returns subprocess.CompletedProcess
    (text mode, stdout/stderr captured)."""
    return subprocess.run([tool_path()] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout,
                          env=gst_launch_env(), check=check, input=input)


def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_clip(codec="h264", width=1920, height=1080, fps=25, bitrate=4000,
              seconds=10):
    """Path of a test clip made by `anninh camsim --make-clip`, cached in the
    build directory (made once, reused by every test and run)."""
    cache = os.path.join(build_root(), "tests", "clips")
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, "clip-%s-%dx%d-%dfps-%dk-%ds.mp4" % (
        codec, width, height, fps, bitrate, seconds))
    if os.path.exists(path) and os.path.getsize(path) > 0:
        return path
    r = tool("camsim", "--make-clip", path, "--codec", codec,
             "--width", width, "--height", height, "--fps", fps,
             "--bitrate", bitrate, "--seconds", seconds, timeout=600)
    if r.returncode != 0 or not os.path.exists(path):
        raise RuntimeError("anninh camsim --make-clip failed (exit %d): %s"
                           % (r.returncode, r.stderr.strip()))
    return path


class CamSimError(RuntimeError):
    pass


class CamSim:
    """An `anninh camsim` process on free loopback ports.

    Use as a context manager; start()/stop() are there for setUpClass-style
    use (stop() is idempotent, and atexit stops it at the latest)."""

    def __init__(self, cameras=1, codecs=None, user=None, password=None,
                 source=None, width=640, height=360, fps=15, bitrate=None,
                 extra_args=(), ready_timeout=60):
        self.cameras = cameras
        self.codecs = list(codecs) if codecs else ["h264"]
        self.user = user
        self.password = password
        self.source = source
        self.width, self.height, self.fps = width, height, fps
        self.bitrate = bitrate
        self.extra_args = list(extra_args)
        self.ready_timeout = ready_timeout
        self.proc = None
        self.host = "127.0.0.1"
        self.port = None
        self.control_host = "127.0.0.1"
        self.control_port = None
        self.returncode = None
        self._stderr = None

    # -- life cycle --------------------------------------------------------
    def args(self):
        a = [tool_path(), "camsim", "--port", "0", "--control-port", "0",
             "--cameras", str(self.cameras),
             "--codec", ",".join(self.codecs),
             "--width", str(self.width), "--height", str(self.height),
             "--fps", str(self.fps)]
        if self.bitrate:
            a += ["--bitrate", str(self.bitrate)]
        if self.source:
            a += ["--source", str(self.source)]
        if self.user is not None:
            a += ["--user", self.user, "--password", self.password or ""]
        return a + [str(x) for x in self.extra_args]

    def start(self):
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(self.args(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=self._stderr, text=True,
                                     env=gst_launch_env())
        _live.add(self.proc)
        deadline = time.monotonic() + self.ready_timeout
        line = ""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                raise CamSimError("camsim not ready after %d s; stderr:\n%s"
                                  % (self.ready_timeout, self.stderr()))
            ready, _, _ = select.select([self.proc.stdout], [], [],
                                        min(left, 0.5))
            if ready:
                line = self.proc.stdout.readline()
                if line == "":
                    code = self.proc.wait()
                    self.stop()
                    raise CamSimError("camsim exited with %d before it was "
                                      "ready; stderr:\n%s"
                                      % (code, self.stderr()))
                m = _READY_RE.match(line.strip())
                if m:
                    break
            elif self.proc.poll() is not None:
                code = self.proc.returncode
                self.stop()
                raise CamSimError("camsim exited with %d before it was "
                                  "ready; stderr:\n%s" % (code, self.stderr()))
        self.host = m.group("host")
        self.port = int(m.group("port"))
        self.control_host = m.group("chost")
        self.control_port = int(m.group("cport"))
        return self

    def stop(self):
        """Stops camsim (quit, then SIGTERM, then SIGKILL); returns its exit
        code."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None and self.control_port:
            try:
                self.command("quit", timeout=3)
                self.proc.wait(timeout=10)
            except (OSError, CamSimError, subprocess.TimeoutExpired):
                pass
        self.returncode = _stop_process(self.proc)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        return self.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self._stderr:
            self._stderr.close()
            self._stderr = None
        return False

    def stderr(self):
        """What camsim wrote on stderr so far (for failure messages)."""
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read()
        self._stderr.seek(0, os.SEEK_END)
        return text[-4000:]

    # -- use ---------------------------------------------------------------
    def url(self, i=0, user=None, password=None):
        """rtsp:// URL of camera i, with the credentials camsim was started
        with (or the given ones)."""
        user = self.user if user is None else user
        password = self.password if password is None else password
        cred = ""
        if user is not None:
            cred = "%s:%s@" % (urllib.parse.quote(user, safe=""),
                               urllib.parse.quote(password or "", safe=""))
        return "rtsp://%s%s:%d/cam%d" % (cred, self.host, self.port, i)

    def url_without_credentials(self, i=0):
        return "rtsp://%s:%d/cam%d" % (self.host, self.port, i)

    def command(self, line, timeout=10):
        """Sends one control command; returns the reply line ("ok ...").
        Raises CamSimError when camsim answers "error ..."."""
        if not self.control_port or self.proc is None:
            raise CamSimError("camsim is not running")
        try:
            with socket.create_connection(
                    (self.control_host, self.control_port),
                    timeout=timeout) as s:
                s.sendall(line.encode() + b"\n")
                data = b""
                while not data.endswith(b"\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        except OSError as e:
            code = self.proc.poll()
            if code is not None:
                raise CamSimError("camsim died (exit code %d) before %r; "
                                  "stderr:\n%s" % (code, line, self.stderr()))
            raise CamSimError("camsim control port %d: %s (command %r)"
                              % (self.control_port, e, line))
        reply = data.decode().strip()
        if not reply.startswith("ok"):
            raise CamSimError("camsim %r -> %r" % (line, reply))
        return reply

    def status(self):
        """The cameras as camsim sees them: list of dicts with id, codec,
        state (up|dropped|rebooting), clients, boots, faults."""
        reply = self.command("status")
        return json.loads(reply[len("ok "):])

    def camera(self, i):
        return self.status()[i]


class RtspPull:
    """A minimal RTSP client (RTP over the RTSP TCP connection) that pulls the
    first stream of an rtsp:// URL in a thread and counts what arrives: RTP
    packets, bytes, sequence-number gaps, SSRC, and when the server closed the
    connection. No decoding: it sees exactly what the server sent.

        with RtspPull(cs.url(0)) as p:
            p.wait_packets(10)
            n, nbytes, lost = p.window(2.0)   # packets, bytes, lost in 2 s

    Credentials in the URL are not supported (no digest): use ffprobe for
    that."""

    def __init__(self, url, timeout=15, reader=True):
        u = urllib.parse.urlsplit(url)
        self.reader = reader
        self.url = url
        self.host = u.hostname
        self.port = u.port or 554
        self.timeout = timeout
        self.sock = None
        self.session = None
        self.ssrc = None
        self.status_line = None
        self.packets = 0
        self.bytes = 0
        self.lost = 0
        self.last_seq = None
        self.last_packet_at = None
        self.closed_at = None
        self.error = None
        self._events = []          # (time, size, lost-before-this-packet)
        self._thread = None
        self._stop = False
        self._cseq = 0
        self._buf = b""
        import threading
        self._lock = threading.Lock()
        self._threading = threading

    # -- RTSP requests (before the reader thread runs) ----------------------
    def _request(self, method, url, headers=()):
        self._cseq += 1
        lines = ["%s %s RTSP/1.0" % (method, url), "CSeq: %d" % self._cseq,
                 "User-Agent: anninh-harness"]
        if self.session:
            lines.append("Session: %s" % self.session)
        lines += list(headers)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def _read_response(self):
        while b"\r\n\r\n" not in self._buf:
            if self._buf.startswith(b"$") and len(self._buf) >= 4:
                n = int.from_bytes(self._buf[2:4], "big")
                if len(self._buf) < 4 + n:
                    self._recv()
                    continue
                self._buf = self._buf[4 + n:]
                continue
            self._recv()
        head, self._buf = self._buf.split(b"\r\n\r\n", 1)
        lines = head.decode(errors="replace").split("\r\n")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        while len(self._buf) < n:
            self._recv()
        body, self._buf = self._buf[:n], self._buf[n:]
        code = int(lines[0].split()[1])
        return code, lines[0], headers, body.decode(errors="replace")

    def _recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("server closed the connection")
        self._buf += data

    def start(self):
        self.sock = socket.create_connection((self.host, self.port),
                                             timeout=self.timeout)
        self._request("DESCRIBE", self.url, ["Accept: application/sdp"])
        code, line, headers, sdp = self._read_response()
        self.status_line = line
        if code != 200:
            self.sock.close()
            raise CamSimError("DESCRIBE %s: %s" % (self.url, line))
        base = headers.get("content-base", self.url)
        control = None
        for l in sdp.splitlines():
            if l.startswith("m=") and control is None:
                control = ""
            elif l.startswith("a=control:") and control == "":
                control = l[len("a=control:"):].strip()
        if not control or control == "*":
            track = base
        elif "://" in control:
            track = control
        else:
            track = base.rstrip("/") + "/" + control
        self._request("SETUP", track,
                      ["Transport: RTP/AVP/TCP;unicast;interleaved=0-1"])
        code, line, headers, _ = self._read_response()
        if code != 200:
            self.sock.close()
            raise CamSimError("SETUP %s: %s" % (track, line))
        self.session = headers.get("session", "").split(";")[0]
        self._request("PLAY", base)
        code, line, headers, _ = self._read_response()
        if code != 200:
            self.sock.close()
            raise CamSimError("PLAY %s: %s" % (base, line))
        if not self.reader:
            # the caller reads self.sock itself (e.g. many in one selector)
            self.sock.setblocking(False)
            return self
        self.sock.settimeout(0.5)
        self._thread = self._threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        last_keepalive = time.monotonic()
        while not self._stop:
            try:
                data = self.sock.recv(262144)
                if not data:
                    break
                self._buf += data
            except socket.timeout:
                data = None
            except OSError as e:
                self.error = str(e)
                break
            self._parse()
            if time.monotonic() - last_keepalive > 20:
                last_keepalive = time.monotonic()
                try:
                    self._request("GET_PARAMETER", self.url)
                except OSError:
                    break
        with self._lock:
            if not self._stop:
                self.closed_at = time.monotonic()

    def _parse(self):
        buf = self._buf
        i = 0
        now = time.monotonic()
        while i < len(buf):
            if buf[i:i + 1] == b"$":
                if len(buf) - i < 4:
                    break
                channel = buf[i + 1]
                n = int.from_bytes(buf[i + 2:i + 4], "big")
                if len(buf) - i < 4 + n:
                    break
                if channel == 0 and n >= 12:
                    self._rtp(buf[i + 4:i + 4 + n], now)
                i += 4 + n
            else:
                end = buf.find(b"\r\n\r\n", i)
                if end < 0:
                    break
                head = buf[i:end].decode(errors="replace")
                n = 0
                for line in head.split("\r\n"):
                    if line.lower().startswith("content-length:"):
                        n = int(line.split(":", 1)[1])
                if len(buf) - end - 4 < n:
                    break
                i = end + 4 + n
        self._buf = buf[i:]

    def _rtp(self, pkt, now):
        seq = int.from_bytes(pkt[2:4], "big")
        ssrc = int.from_bytes(pkt[8:12], "big")
        with self._lock:
            lost = 0
            if self.last_seq is not None and ssrc == self.ssrc:
                lost = ((seq - self.last_seq) & 0xFFFF) - 1
                if lost < 0 or lost > 30000:   # reordered or a new stream
                    lost = 0
            self.ssrc = ssrc
            self.last_seq = seq
            self.packets += 1
            self.bytes += len(pkt)
            self.lost += lost
            self.last_packet_at = now
            self._events.append((now, len(pkt), lost))

    # -- measurements -----------------------------------------------------
    @property
    def closed(self):
        return self.closed_at is not None

    def counters(self):
        with self._lock:
            return self.packets, self.bytes, self.lost

    def window(self, seconds):
        """Waits `seconds`; returns (packets, bytes, lost) received in it."""
        p0, b0, l0 = self.counters()
        time.sleep(seconds)
        p1, b1, l1 = self.counters()
        return p1 - p0, b1 - b0, l1 - l0

    def wait_packets(self, n, timeout=15):
        deadline = time.monotonic() + timeout
        start = self.counters()[0]
        while self.counters()[0] - start < n:
            if self.closed or time.monotonic() > deadline:
                raise CamSimError("%s: %d packets in %d s (wanted %d)%s" % (
                    self.url, self.counters()[0] - start, timeout, n,
                    ", connection closed" if self.closed else ""))
            time.sleep(0.05)

    def wait_closed(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.closed

    def stop(self):
        self._stop = True
        if self.sock is not None:
            try:
                if self.session and not self.closed:
                    self.sock.settimeout(1)
                    self._request("TEARDOWN", self.url)
            except OSError:
                pass
        if self._thread:
            self._thread.join(timeout=5)
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
