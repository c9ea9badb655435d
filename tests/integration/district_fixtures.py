# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fixtures of the district tests (demo, launcher, docs launch lines):
real OpenSSL keys made with the openssl command, a real htdigest file,
free loopback ports, and which GStreamer elements this build has."""

import functools
import hashlib
import os
import re
import signal
import socket
import subprocess
import time

TOOL = os.environ.get("ANNINH_TOOL", "anninh")
NOT_YET = "not available in this build yet"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _openssl(cwd, *args):
    subprocess.run(("openssl",) + args, cwd=cwd, check=True,
                   capture_output=True, timeout=60)


def make_keys(keydir, camera_ids):
    """A district CA (keydir/ca.pem) and, per camera, keydir/ID.key and
    keydir/ID-chain.pem (camera certificate, then the CA), ECDSA P-256, as
    docs/keys-and-certificates.md tells a district to make them."""
    os.makedirs(keydir, exist_ok=True)
    if not os.path.exists(os.path.join(keydir, "ca.pem")):
        _openssl(keydir, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
                 "-out", "ca.pem", "-days", "3650", "-sha256", "-subj",
                 "/C=VN/O=Test District/CN=Test District Evidence CA",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        with open(os.path.join(keydir, "ext.cnf"), "w") as f:
            f.write("basicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\n")
    with open(os.path.join(keydir, "ca.pem")) as f:
        ca = f.read()
    for cid in camera_ids:
        if os.path.exists(os.path.join(keydir, cid + "-chain.pem")):
            continue
        _openssl(keydir, "req", "-new", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                 cid + ".key", "-out", cid + ".csr", "-subj",
                 "/C=VN/O=Test District/CN=" + cid)
        _openssl(keydir, "x509", "-req", "-in", cid + ".csr", "-CA",
                 "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days",
                 "825", "-sha256", "-extfile", "ext.cnf", "-out",
                 cid + ".pem")
        with open(os.path.join(keydir, cid + ".pem")) as f:
            leaf = f.read()
        with open(os.path.join(keydir, cid + "-chain.pem"), "w") as f:
            f.write(leaf + ca)
    return os.path.join(keydir, "ca.pem")


def make_tls(keydir):
    """A self-signed RTSPS certificate and key for 127.0.0.1."""
    cert = os.path.join(keydir, "tls.pem")
    key = os.path.join(keydir, "tls.key")
    if not os.path.exists(cert):
        os.makedirs(keydir, exist_ok=True)
        _openssl(keydir, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                 "-out", cert, "-days", "30", "-subj", "/CN=127.0.0.1")
    return cert, key


def make_htdigest(path, users, realm):
    """users: {name: password}; the format of Apache's htdigest."""
    with open(path, "w") as f:
        for user, pw in users.items():
            ha1 = hashlib.md5(("%s:%s:%s" % (user, realm, pw))
                              .encode()).hexdigest()
            f.write("%s:%s:%s\n" % (user, realm, ha1))
    return path


@functools.lru_cache(maxsize=None)
def has_element(name):
    # gst-inspect-1.0 NAME also answers for a plugin of that name (and
    # --exists misses rank-none elements): an element's page starts with
    # "Factory Details".
    r = subprocess.run(["gst-inspect-1.0", name], capture_output=True,
                       text=True, timeout=60)
    return r.returncode == 0 and r.stdout.startswith("Factory Details")


def missing_elements(names):
    return [n for n in names if not has_element(n)]


@functools.lru_cache(maxsize=None)
def tool_available(cmd):
    r = subprocess.run([TOOL, cmd, "--help"], capture_output=True,
                       text=True, timeout=30)
    return NOT_YET not in (r.stdout + r.stderr)


class CamSimProcess:
    """`anninh camsim` as a child process (used when the shared harness is
    not there yet; same command line as anninh_harness.CamSim)."""

    def __init__(self, cameras=2, codecs=("h264",), source=None,
                 extra=()):
        cmd = [TOOL, "camsim", "--port", "0", "--control-port", "0",
               "--cameras", str(cameras), "--codec", ",".join(codecs)]
        if source:
            cmd += ["--source", source]
        self.cmd = cmd + list(extra)

    def __enter__(self):
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE,
                                     text=True, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("camsim exited before it was ready")
            m = re.search(r"camsim ready rtsp=(\S+) control=(\S+)", line)
            if m:
                self.rtsp, self.control = m.group(1), m.group(2)
                # Keep draining its output so that it never blocks on it.
                import threading
                threading.Thread(target=self.proc.stdout.read,
                                 daemon=True).start()
                return self
        raise RuntimeError("camsim not ready within 30 s")

    def url(self, i):
        return "rtsp://%s/cam%d" % (self.rtsp, i)

    def command(self, line):
        host, port = self.control.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall((line + "\n").encode())
            return s.makefile().readline().strip()

    def __exit__(self, *exc):
        try:
            self.command("quit")
            self.proc.wait(5)
        except Exception:
            self.proc.kill()
            self.proc.wait()


def stop_gracefully(proc, timeout=30):
    """SIGINT (gst-launch -e: EOS, segments closed), then wait."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None
