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

__all__ = ["CamSim", "CamSimError", "free_port", "tool", "tool_path",
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
        if not self.control_port:
            raise CamSimError("camsim is not running")
        with socket.create_connection((self.control_host, self.control_port),
                                      timeout=timeout) as s:
            s.sendall(line.encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
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
