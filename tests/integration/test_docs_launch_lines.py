# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every gst-launch-1.0 line of the docs runs, so the docs cannot rot.

Collects each `gst-launch-1.0` command in a ``` block (plain, sh, shell,
bash or console) of
docs/*.md and docs/**/*.md, puts in simulated cameras, test keys, temporary
paths and free ports (the rules are in docs/guide.md, "For documentation
writers"), runs it for a few seconds against `anninh camsim`, stops it with
SIGINT (gst-launch -e: EOS) and fails if it did not exit 0 or printed an
ERROR. A line whose elements this build lacks is skipped, naming them.

A line with a bare `...` token is an excerpt and is reported as skipped;
display sinks (autovideosink, xvimagesink, ...) become fakesink.

Markers, on the line before a fence:
  <!-- launch-test: skip REASON -->   leave the block out
  <!-- launch-test: seconds=N -->     run its lines for N s

Also checks that the GST_DEBUG categories listed in docs/operations.md
exist.
"""

import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import district_fixtures as fx

SRC = os.environ.get("ANNINH_SOURCE_ROOT",
                     os.path.join(os.path.dirname(__file__), "..", ".."))
DOCS = os.path.join(SRC, "docs")
DEFAULT_SECONDS = 5
SHELL_FENCES = ("", "sh", "shell", "bash", "console")
MARKER = re.compile(r"<!--\s*launch-test:\s*(.*?)\s*-->")
DISPLAY_SINKS = ("autovideosink", "xvimagesink", "ximagesink", "glimagesink",
                 "waylandsink", "kmssink", "fpsdisplaysink", "autoaudiosink",
                 "pulsesink", "alsasink")
IP_LIKE = re.compile(r"^(\d{1,3}(\.\d{1,3}){3}|::|::1|localhost)$")


def doc_files():
    files = glob.glob(os.path.join(DOCS, "*.md"))
    files += glob.glob(os.path.join(DOCS, "**", "*.md"), recursive=True)
    return sorted(set(files))


def launch_lines(path):
    """[(where, command, seconds)] of the gst-launch-1.0 commands of a
    markdown file; skipped blocks are left out."""
    out = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    i = 0
    prev = ""
    while i < len(lines):
        m = re.match(r"^\s*```+\s*(\S*)", lines[i])
        if not m:
            if lines[i].strip():
                prev = lines[i]
            i += 1
            continue
        info = m.group(1)
        start = i + 1
        j = start
        while j < len(lines) and not re.match(r"^\s*```", lines[j]):
            j += 1
        marker = MARKER.search(prev)
        opts = marker.group(1) if marker else ""
        seconds = DEFAULT_SECONDS
        sm = re.search(r"seconds=(\d+)", opts)
        if sm:
            seconds = int(sm.group(1))
        if info in SHELL_FENCES and not opts.startswith("skip"):
            logical, first = "", None
            for k in range(start, j):
                text = lines[k].strip()
                if first is None:
                    first = k
                if text.endswith("\\"):
                    logical += text[:-1] + " "
                    continue
                logical += text
                cmd = logical.strip()
                if cmd.startswith("$ "):
                    cmd = cmd[2:]
                if cmd.startswith("gst-launch-1.0"):
                    where = "%s:%d" % (os.path.relpath(path, SRC), first + 1)
                    out.append((where, cmd, seconds))
                logical, first = "", None
        prev = ""
        i = j + 1
    return out


class Substitutions:
    """Maps what a technician writes to what the test has."""

    def __init__(self, tmp, camsim):
        self.tmp = tmp
        self.camsim = camsim
        self.keys = os.path.join(tmp, "keys")
        fx.make_keys(self.keys, ["docs"])
        self.tls = fx.make_tls(self.keys)
        self.htdigest = fx.make_htdigest(
            os.path.join(tmp, "officers.htdigest"),
            {"officer": "matkhau", "nguyenvana": "matkhau"}, "anninh")
        # Every group a doc line may name, with the test officer in it.
        self.groups = os.path.join(tmp, "officers.groups")
        self.group_names = set()
        self.ports = {}
        self.n = 0

    def port(self, value):
        if value not in self.ports:
            self.ports[value] = str(fx.free_port())
        return self.ports[value]

    def apply(self, cmd):
        """-> (argv for subprocess, element names used)."""
        self.n += 1
        tokens = shlex.split(cmd, comments=True)
        if "..." in tokens or "…" in tokens:
            return None, []         # an excerpt, not a command
        for t in tokens:
            if t.startswith("allow-groups="):
                self.group_names.update(g.strip() for g in
                                        t.split("=", 1)[1].split(","))
        with open(self.groups, "w") as f:
            for g in sorted(self.group_names) or ["police"]:
                f.write("%s: officer nguyenvana\n" % g)
        argv, elements, urls = [], [], {}
        for t in tokens[1:]:
            if "=" in t and not t.startswith("-"):
                key, value = t.split("=", 1)
                if re.match(r"rtsps?://", value):
                    if value not in urls:
                        urls[value] = self.camsim.url(len(urls) % 4)
                    value = urls[value]
                elif key == "private-key":
                    value = os.path.join(self.keys, "docs.key")
                elif key == "certificate-chain":
                    value = os.path.join(self.keys, "docs-chain.pem")
                elif key == "htdigest":
                    value = self.htdigest
                elif key == "groups-file":
                    value = self.groups
                elif key == "audit-log":
                    value = os.path.join(self.tmp, "audit-%d.jsonl" % self.n)
                elif key == "tls-cert":
                    value = self.tls[0]
                elif key == "tls-key":
                    value = self.tls[1]
                elif key == "ca-file":
                    value = os.path.join(self.keys, "ca.pem")
                elif key == "location":
                    # One place per file name for the whole run, so that a
                    # file one line writes (signed.mp4) is there for the
                    # line that reads it, as for a person following the doc.
                    value = os.path.join(self.tmp, "files",
                                         os.path.basename(value.rstrip("/")))
                    os.makedirs(os.path.dirname(value), exist_ok=True)
                elif key in ("service", "port") and value.isdigit():
                    value = self.port(value)
                elif key == "address" and IP_LIKE.match(value):
                    value = "127.0.0.1"
                argv.append("%s=%s" % (key, value))
                continue
            if t in DISPLAY_SINKS:
                t = "fakesink"      # no display here; the rest still runs
            if (t != "!" and not t.startswith("-") and not t.endswith(".")
                    and "/" not in t and "," not in t):
                elements.append(t)
            argv.append(t)
        opts = [a for a in argv if a.startswith("-")]
        rest = [a for a in argv if not a.startswith("-")]
        if "-e" not in opts:
            opts.insert(0, "-e")
        return ["gst-launch-1.0"] + opts + ["--no-position"] + rest, elements


def run_line(argv, seconds):
    """-> (exit code or None if it hung, output)."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True,
                         errors="replace")
    try:
        out, _ = p.communicate(timeout=seconds)
        return p.returncode, out
    except subprocess.TimeoutExpired:
        pass
    p.send_signal(signal.SIGINT)
    try:
        out, _ = p.communicate(timeout=25)
        return p.returncode, out
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        return None, out + "\nTEST: no exit within 25 s of SIGINT"


class TestDocsLaunchLines(unittest.TestCase):
    ran = 0

    @classmethod
    def setUpClass(cls):
        cls.lines = [l for f in doc_files() for l in launch_lines(f)]
        cls.tmp = tempfile.mkdtemp(prefix="anninh-docs-")
        cls.camsim = None
        if fx.tool_available("camsim"):
            cls.camsim = fx.CamSimProcess(cameras=4,
                                          codecs=("h264", "h265")).__enter__()

    @classmethod
    def tearDownClass(cls):
        if cls.camsim:
            cls.camsim.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_docs_have_launch_lines(self):
        self.assertGreaterEqual(len(self.lines), 10,
                                "found only %s" % [l[0] for l in self.lines])

    def test_every_launch_line_runs(self):
        if not self.camsim:
            self.skipTest("anninh camsim is not in this build yet")
        subs = Substitutions(self.tmp, self.camsim)
        for where, cmd, seconds in self.lines:
            with self.subTest(line=where):
                argv, elements = subs.apply(cmd)
                if argv is None:
                    self.skipTest("%s: an excerpt with '...', not a "
                                  "command" % where)
                missing = fx.missing_elements(sorted(set(elements)))
                if missing:
                    self.skipTest("%s: not in this build yet: %s"
                                  % (where, ", ".join(missing)))
                print("%s: %s" % (where, shlex.join(argv)), flush=True)
                rc, out = run_line(argv, seconds)
                errors = [l for l in out.splitlines()
                          if l.startswith("ERROR") or "erroneous pipeline" in l]
                self.assertFalse(errors, "%s\n%s" % (where, out))
                self.assertEqual(rc, 0, "%s exited %s\n%s" % (where, rc, out))
                type(self).ran += 1

    def test_relative_links_resolve(self):
        """Every relative link of docs/ points to a file that exists.
        Pages the element issues write are reported as skipped until they
        are in the tree."""
        pending_pages = {
            "docs/elements/ipcamsrc.md", "docs/elements/evidencemux.md",
            "docs/elements/retentionsink.md", "docs/elements/policeshare.md",
            "docs/elements/healthserver.md", "docs/camera-health.md",
            "docs/metrics.md", "docs/keys-and-certificates.md",
            "docs/storage-sizing.md", "docs/export-and-holds.md",
            "docs/police-accounts.md", "docs/verify.md", "docs/camsim.md"}
        missing = {}
        for path in doc_files():
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
                if re.match(r"[a-z]+:", target):
                    continue
                full = os.path.normpath(os.path.join(os.path.dirname(path),
                                                     target))
                if not os.path.exists(full):
                    missing.setdefault(os.path.relpath(full, SRC), []).append(
                        os.path.relpath(path, SRC))
        broken = {k: v for k, v in missing.items() if k not in pending_pages}
        self.assertFalse(broken, "links to nothing: %s" % broken)
        if missing:
            self.skipTest("pages not written yet: %s" % ", ".join(
                sorted(missing)))

    def test_debug_categories_exist(self):
        with open(os.path.join(DOCS, "operations.md"),
                  encoding="utf-8") as f:
            text = f.read()
        table = text[text.index("| category |"):]
        table = table[:table.index("\n\n")]
        cats = re.findall(r"^\| `([a-z0-9_-]+)` \|", table, re.M)
        self.assertGreaterEqual(len(cats), 5)
        present = [c for c in cats if fx.has_element(c)]
        if not present:
            self.skipTest("none of the elements is in this build yet")
        env = dict(os.environ, GST_DEBUG_NO_COLOR="1")
        helptext = subprocess.run(["gst-launch-1.0", "--gst-debug-help"],
                                  capture_output=True, text=True, env=env,
                                  timeout=60).stdout
        helptext = re.sub(r"\x1b\[[0-9;]*m", "", helptext)
        known = set(re.findall(r"^\s*(\S+)\s+\d", helptext, re.M))
        for c in present:
            self.assertTrue(c in known, "GST_DEBUG category %s "
                            "(docs/operations.md) does not exist" % c)
        missing = [c for c in cats if c not in present]
        if missing:
            self.skipTest("categories of elements not built yet: %s"
                          % ", ".join(missing))


if __name__ == "__main__":
    res = unittest.main(verbosity=2, exit=False).result
    if not res.wasSuccessful():
        sys.exit(1)
    print("%d launch lines ran" % TestDocsLaunchLines.ran)
    sys.exit(0)
