# SPDX-License-Identifier: LGPL-2.1-or-later
"""healthserver against real clients: promtool, a real Prometheus server
scraping it, a JSON parser, and headless Chromium rendering the status page.

The process under test is tests/integration/health-fixture (built by meson):
a pipeline with `healthserver port=0` and health registry entries chosen
here. The status page screenshot is kept in the build directory as
tests/integration/healthserver-status.png.

Exits 77 (meson SKIP) when a peer (promtool, prometheus, chromium) is not
installed, after running the tests that do not need it.
"""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

BUILD_ROOT = os.environ.get("ANNINH_BUILD_ROOT", "")
SOURCE_ROOT = os.environ.get(
    "ANNINH_SOURCE_ROOT",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__)))))
RULES_DIR = os.path.join(SOURCE_ROOT, "docs", "prometheus")
FIXTURE = os.path.join(BUILD_ROOT, "tests", "integration", "health-fixture")
SCREENSHOT = os.path.join(BUILD_ROOT, "tests", "integration",
                          "healthserver-status.png")

SITES = ["Xã An Bình", "Phường 3", "Thị trấn Đức Hòa"]
LINKS = ["wifi", "fiber", "4g", "wifi", "other"]
# (state, how many): a district on a bad day
STATES = [("streaming", 14), ("awaiting-repair", 4), ("stalled", 2),
          ("reconnecting", 2), ("connecting", 1), ("stopped", 1)]
# camera ids are typed by people: markup, quotes, backslashes, Vietnamese
AWKWARD_ID = 'cổng "chợ" <b>số 1</b> \\ bắc'


def gst_quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def camera_entry(cam_id, state, site, link, n):
    now_us = int(time.time() * 1e6)
    fields = [
        "camera", "id=(string)" + gst_quote(cam_id),
        "state=(string)" + state,
        "site=(string)" + gst_quote(site),
        "link=(string)" + link,
        "since=(gint64)%d" % (now_us - (n + 1) * 97 * 1000000),
        "reconnects=(uint)%d" % (n % 4),
        "uptime-ratio=(double)%.3f" % (1.0 - n / 100.0),
        "codec=(string)h264",
        "location=(string)" + gst_quote("rtsp://10.1.%d.%d/stream1" %
                                        (n // 200, n % 200 + 10)),
    ]
    if state == "streaming":
        fields += ["fps=(double)25.0", "bitrate=(double)%d.0" %
                   (2000000 + 100000 * n), "frames=(guint64)%d" % (n * 9000),
                   "bytes=(guint64)%d" % (n * 4500000),
                   "last-frame-age=(double)0.04", "picture=(string)ok"]
    else:
        fields += ["last-frame-age=(double)%d.5" % (30 + n),
                   "last-error=(string)" +
                   gst_quote("Could not connect: Connection refused <%d>" % n),
                   "picture=(string)unknown"]
    return ", ".join(fields)


def build_entries():
    """Returns (structure strings, {camera id: state})."""
    entries, cameras = [], {}
    n = 0
    for state, count in STATES:
        for _ in range(count):
            cam_id = "cam-%02d" % n
            if n == 3:
                cam_id = AWKWARD_ID
            cameras[cam_id] = state
            entries.append(camera_entry(cam_id, state, SITES[n % len(SITES)],
                                        LINKS[n % len(LINKS)], n))
            n += 1
    entries.append("recorder, id=(string)cam-00, state=(string)recording, "
                   "bytes=(guint64)123456789, segments=(guint64)12, "
                   "free-bytes=(guint64)50000000000, gaps=(uint)0")
    entries.append("recorder, id=(string)cam-01, state=(string)disk-full, "
                   "bytes=(guint64)999, segments=(guint64)1, "
                   "free-bytes=(guint64)0, gaps=(uint)2")
    entries.append("share, id=(string)/cam-00, state=(string)serving, "
                   "viewers=(uint)2, refusals=(guint64)1, "
                   "bytes-sent=(guint64)1000000, "
                   "address=(string)\"127.0.0.1:8554\"")
    return entries, cameras


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers, r.read()


def run_group(args, timeout, **kw):
    """Runs a command in its own process group; on timeout kills that group
    (Chromium leaves helpers behind otherwise)."""
    p = subprocess.Popen(args, start_new_session=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise
    return p.returncode, out, err


class Fixture:
    """The process under test."""

    def __init__(self, entries):
        if not os.path.exists(FIXTURE):
            raise unittest.SkipTest("health-fixture not built: " + FIXTURE)
        self.proc = subprocess.Popen(
            [FIXTURE, "--title", "Công an huyện Đức Hòa — camera"] + entries,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            encoding="utf-8")
        line = self.proc.stdout.readline()
        m = re.match(r"health-fixture ready port=(\d+)", line)
        if not m:
            self.close()
            raise RuntimeError("health-fixture did not start: %r" % line)
        self.port = int(m.group(1))
        self.base = "http://127.0.0.1:%d" % self.port

    def command(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().strip()
        if reply != "ok":
            raise RuntimeError("%s -> %s" % (line, reply))

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class HealthServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.entries, cls.cameras = build_entries()
        cls.fixture = Fixture(cls.entries)

    @classmethod
    def tearDownClass(cls):
        rc = cls.fixture.close()
        if rc != 0:
            raise AssertionError("health-fixture exited with %s" % rc)

    def expected_counts(self):
        counts = {}
        for state in self.cameras.values():
            counts[state] = counts.get(state, 0) + 1
        return counts

    # -- /health -----------------------------------------------------------

    def test_health_json_matches_published_states(self):
        status, headers, body = http_get(self.fixture.base + "/health")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/json")
        doc = json.loads(body.decode("utf-8"))
        got = {c["id"]: c["state"] for c in doc["cameras"]}
        self.assertEqual(got, self.cameras)
        summary = doc["summary"]["cameras"]
        self.assertEqual(summary["total"], len(self.cameras))
        for state, n in self.expected_counts().items():
            self.assertEqual(summary["states"][state], n, state)
        self.assertEqual(summary["text"],
                         "14 streaming, 1 connecting, 2 reconnecting, "
                         "2 stalled, 4 awaiting repair, 1 stopped")
        self.assertEqual([r["state"] for r in doc["recorders"]],
                         ["recording", "disk-full"])
        self.assertEqual(doc["shares"][0]["viewers"], 2)
        self.assertIn(AWKWARD_ID, got)
        self.assertTrue(doc["time"].endswith("Z"))

    def test_health_follows_the_registry(self):
        before = json.loads(http_get(self.fixture.base + "/health")[2])
        self.fixture.command("publish " + camera_entry(
            "cam-new", "reconnecting", SITES[0], "wifi", 99))
        try:
            doc = json.loads(http_get(self.fixture.base + "/health")[2])
            got = {c["id"]: c["state"] for c in doc["cameras"]}
            self.assertEqual(got.get("cam-new"), "reconnecting")
            self.assertGreater(doc["generation"], before["generation"])
        finally:
            self.fixture.command("withdraw camera cam-new")
        doc = json.loads(http_get(self.fixture.base + "/health")[2])
        self.assertNotIn("cam-new", [c["id"] for c in doc["cameras"]])

    def test_other_paths_and_methods(self):
        with self.assertRaises(urllib.error.HTTPError) as cm:
            http_get(self.fixture.base + "/admin")
        self.assertEqual(cm.exception.code, 404)
        req = urllib.request.Request(self.fixture.base + "/health",
                                     data=b"x", method="POST")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(cm.exception.code, 405)
        req = urllib.request.Request(self.fixture.base + "/metrics",
                                     method="HEAD")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(r.read(), b"")

    # -- /metrics ----------------------------------------------------------

    def test_metrics_pass_promtool(self):
        promtool = shutil.which("promtool")
        if not promtool:
            raise unittest.SkipTest("promtool not installed "
                                    "(Debian package prometheus)")
        status, headers, body = http_get(self.fixture.base + "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"],
                         "text/plain; version=0.0.4; charset=utf-8")
        p = subprocess.run([promtool, "check", "metrics"], input=body,
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0,
                         p.stdout.decode() + p.stderr.decode())
        self.assertEqual(p.stdout.decode().strip(), "")
        text = body.decode("utf-8")
        for state, n in self.expected_counts().items():
            self.assertIn('anninh_cameras{state="%s"} %d\n' % (state, n),
                          text)
        # the awkward id, escaped as the exposition format wants
        self.assertIn('camera="cổng \\"chợ\\" <b>số 1</b> \\\\ bắc"', text)

    def test_prometheus_scrapes(self):
        prometheus = shutil.which("prometheus")
        if not prometheus:
            raise unittest.SkipTest("prometheus not installed")
        with tempfile.TemporaryDirectory(prefix="anninh-prom-") as tmp:
            config = os.path.join(tmp, "prometheus.yml")
            with open(config, "w") as f:
                # the documented alert rules, evaluated every second
                f.write("global:\n  scrape_interval: 1s\n"
                        "  scrape_timeout: 1s\n"
                        "  evaluation_interval: 1s\n"
                        "rule_files:\n  - '%s'\n"
                        "scrape_configs:\n  - job_name: anninh\n"
                        "    static_configs:\n"
                        "      - targets: ['127.0.0.1:%d']\n"
                        % (os.path.join(RULES_DIR, "anninh-alerts.yml"),
                           self.fixture.port))
            port = free_port()
            log = open(os.path.join(tmp, "prometheus.log"), "w+")
            proc = subprocess.Popen(
                [prometheus, "--config.file=" + config,
                 "--storage.tsdb.path=" + os.path.join(tmp, "data"),
                 "--web.listen-address=127.0.0.1:%d" % port,
                 "--log.level=warn"],
                stdout=log, stderr=subprocess.STDOUT)
            try:
                self.check_prometheus("http://127.0.0.1:%d" % port, proc, log)
            finally:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                log.close()

    def query(self, api, expr):
        url = api + "/api/v1/query?" + urllib.parse.urlencode(
            {"query": expr})
        try:
            doc = json.loads(http_get(url, timeout=5)[2])
        except (OSError, ValueError):
            return None
        if doc.get("status") != "success":
            return None
        return doc["data"]["result"]

    def check_prometheus(self, api, proc, log):
        deadline = time.monotonic() + 90
        want_repair = self.expected_counts()["awaiting-repair"]
        up = repair = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                log.seek(0)
                self.fail("prometheus exited: " + log.read()[-2000:])
            up = self.query(api, 'up{job="anninh"}')
            repair = self.query(
                api, 'sum(anninh_camera_state{state="awaiting-repair"})')
            if (up and up[0]["value"][1] == "1" and repair
                    and repair[0]["value"][1] == str(want_repair)):
                break
            time.sleep(1)
        else:
            log.seek(0)
            self.fail("prometheus did not scrape in time: up=%r repair=%r "
                      "log=%s" % (up, repair, log.read()[-2000:]))
        # labels survive the round trip, Vietnamese and awkward ids included
        site = self.query(api, 'count(anninh_camera_up{site="%s"})'
                          % SITES[0])
        expected = sum(1 for n in range(len(self.cameras))
                       if n % len(SITES) == 0)
        self.assertEqual(site[0]["value"][1], str(expected))
        awkward = self.query(api, 'anninh_camera_state{state="%s"}'
                             % self.cameras[AWKWARD_ID])
        ids = [r["metric"]["camera"] for r in awkward
               if r["value"][1] == "1"]
        self.assertIn(AWKWARD_ID, ids)
        # the documented rules see our metrics: one pending (for: 10m)
        # CameraAwaitingRepair alert per camera awaiting repair
        expr = 'count(ALERTS{alertname="CameraAwaitingRepair"})'
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            alerts = self.query(api, expr)
            if alerts and alerts[0]["value"][1] == str(want_repair):
                break
            time.sleep(1)
        self.assertTrue(alerts, "no CameraAwaitingRepair alerts")
        self.assertEqual(alerts[0]["value"][1], str(want_repair))

    def test_example_prometheus_files(self):
        """docs/prometheus: the example configuration and alert rules are
        valid, and the rules' own unit tests pass."""
        promtool = shutil.which("promtool")
        if not promtool:
            raise unittest.SkipTest("promtool not installed")
        for args in (["check", "config", "prometheus.yml"],
                     ["check", "rules", "anninh-alerts.yml"],
                     ["test", "rules", "anninh-alerts.test.yml"]):
            p = subprocess.run([promtool] + args, cwd=RULES_DIR,
                               capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, "promtool %s: %s%s" % (
                " ".join(args), p.stdout.decode(), p.stderr.decode()))

    # -- / -----------------------------------------------------------------

    def test_status_page_in_chromium(self):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            raise unittest.SkipTest("chromium not installed")
        status, headers, body = http_get(self.fixture.base + "/")
        self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
        html = body.decode("utf-8")
        self.assertIn("Công an huyện Đức Hòa", html)
        self.assertIn("cổng &quot;chợ&quot; &lt;b&gt;số 1&lt;/b&gt;", html)

        with tempfile.TemporaryDirectory(prefix="anninh-chromium-") as tmp:
            common = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                      "--disable-background-networking",
                      "--disable-component-update", "--disable-sync",
                      "--no-first-run", "--user-data-dir=" + tmp,
                      "--window-size=1280,900"]
            if os.path.exists(SCREENSHOT):
                os.unlink(SCREENSHOT)
            rc, out, err = run_group(
                common + ["--screenshot=" + SCREENSHOT,
                          self.fixture.base + "/"], timeout=150)
            self.assertEqual(rc, 0, err.decode(errors="replace")[-2000:])
            with open(SCREENSHOT, "rb") as f:
                png = f.read()
            self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
            width, height = struct.unpack(">II", png[16:24])
            self.assertEqual((width, height), (1280, 900))
            self.assertGreater(len(png), 20000, "screenshot looks empty")
            print("status page screenshot: %s (%d bytes)"
                  % (SCREENSHOT, len(png)))

            # what the browser built from the page: the awkward id is text,
            # not markup
            rc, out, err = run_group(
                common + ["--dump-dom", self.fixture.base + "/"],
                timeout=150)
            self.assertEqual(rc, 0, err.decode(errors="replace")[-2000:])
            dom = out.decode("utf-8")
            self.assertNotIn("<b>số 1</b>", dom)
            self.assertIn("&lt;b&gt;số 1&lt;/b&gt;", dom)
            self.assertIn("Chờ sửa chữa", dom)
            self.assertEqual(dom.count('<tr class="s-awaiting-repair">'),
                             self.expected_counts()["awaiting-repair"])


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.skipped:
        for test, why in result.skipped:
            print("SKIPPED %s: %s" % (test.id(), why))
        sys.exit(77)
    sys.exit(0)
