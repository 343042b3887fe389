"""Helpers shared by the hostile-input suites (test_hostile_*.py) and the
crash-safety test: a signed fixture (one trust store, one key), error-line
checks, and a peak-RSS runner over /usr/bin/time."""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

import eialib

TIME_BIN = "/usr/bin/time"
# AddressSanitizer's shadow memory and quarantine inflate RSS several times
SANITIZED = os.environ.get("EIA_SANITIZED", "OFF") not in ("", "0", "OFF")
RSS_SCALE = 4 if SANITIZED else 1
RSS_LIMIT_KB = 1024 * 1024 * RSS_SCALE  # 1 GiB (4 GiB under ASan)
H64 = "a" * 64

# figures worth reporting (peak RSS, durations), printed at the end of a run
FIGURES = []


def note(what, value):
    FIGURES.append((what, value))
    sys.stderr.write("  [figure] %s: %s\n" % (what, value))


class SignedFixture(eialib.EiaTest):
    """One ed25519 officer key in a trust store (thresholds 1/1), made once
    per class; a small root tree with one file; helpers to write, sign and
    audit generated manifests."""

    @classmethod
    def setUpClass(cls):
        os.makedirs(eialib.TMP_ROOT, exist_ok=True)
        cls.ctmp = tempfile.mkdtemp(prefix=cls.__name__ + "-", dir=eialib.TMP_ROOT)
        cls.key = os.path.join(cls.ctmp, "officer")
        rc, out, err = eialib.run(["keygen", "-o", cls.key, "--no-passphrase"])
        assert rc == 0, err
        cls.keyid = out.strip().split()[-1]
        cls.other = os.path.join(cls.ctmp, "stranger")
        rc, out, err = eialib.run(["keygen", "-o", cls.other, "--no-passphrase"])
        assert rc == 0, err
        cls.other_id = out.strip().split()[-1]
        with open(cls.key + ".pub") as f:
            cls.pub_pem = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.ctmp, ignore_errors=True)

    def setUp(self):
        super().setUp()
        self.root = self.path("root")
        self.write("root/app.bin", b"certified\n", 0o644)
        self.trust = self.write_trust()

    # ---- trust store -------------------------------------------------
    def trust_text(self, baseline=1, report=1, keyid=None, pem=None, extra_key_lines=()):
        lines = ["eia-trust: 1", "name: Hostile Test Office",
                 "thresholds: {baseline: %d, report: %d}" % (baseline, report), "keys:",
                 "  - id: %s" % (keyid or self.keyid), "    name: Officer",
                 "    roles: [baseline, report]"]
        lines += list(extra_key_lines)
        lines.append("    public-key: |")
        for l in (pem or self.pub_pem).splitlines():
            lines.append("      " + l)
        return "\n".join(lines) + "\n"

    def write_trust(self, data=None, name="trust.yaml"):
        p = self.path(name)
        with open(p, "wb") as f:
            d = self.trust_text() if data is None else data
            f.write(d.encode() if isinstance(d, str) else d)
        return p

    # ---- manifests ---------------------------------------------------
    def good_manifest_text(self, serial=1, name="hostile"):
        return ("eia-manifest: 1\nname: %s\nserial: %d\npolicy: {unlisted: fail}\n"
                "entries:\n  - {path: app.bin, type: file, size: 10, sha256: %s}\n"
                % (name, serial, hashlib.sha256(b"certified\n").hexdigest()))

    def signed(self, data, name="m.yaml", key=None):
        """Writes data (str/bytes) to NAME and signs it with the officer key."""
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        if os.path.exists(p + ".sig"):
            os.remove(p + ".sig")
        rc, out, err = eialib.run(["sign", "-k", (key or self.key) + ".key", p], timeout=120)
        self.assertEqual(rc, 0, err)
        return p

    def audit(self, *manifests, trust=None, root=None, extra=(), timeout=60):
        args = ["audit", "--trust", trust or self.trust, "--root", root or self.root, "--quiet"]
        for m in manifests:
            args += ["--manifest", m]
        return eialib.run(args + list(extra), timeout=timeout)

    # ---- assertions --------------------------------------------------
    def assertOneError(self, res, code, names_file, pos=None, why=None):
        """Exact exit code; exactly one stderr line "eia: ..." naming the file
        (and "FILE:LINE:COL" when pos is given)."""
        rc, out, err = res
        self.assertEqual(rc, code, "exit %d, stderr=%r" % (rc, err[:600]))
        lines = [l for l in err.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, "want one stderr line, got %r" % err[:2000])
        line = lines[0]
        self.assertTrue(line.startswith("eia: "), line[:300])
        self.assertLess(len(line), 4096, "the error line is not bounded: %d bytes" % len(line))
        if names_file is not None:
            self.assertIn(names_file, line)
        if pos is not None:
            self.assertIn("%s:%d:%d:" % ((names_file,) + tuple(pos)), line)
        if why is not None:
            self.assertIn(why, line)
        return line


def run_rss(args, timeout=60, env=None):
    """Runs eia under /usr/bin/time; returns (rc, out, err, peak RSS in KiB, secs)."""
    if not os.path.exists(TIME_BIN):
        raise unittest_skip("/usr/bin/time is missing (apt-get install -y time)")
    fd, tf = tempfile.mkstemp(prefix="rss-", dir=eialib.TMP_ROOT)
    os.close(fd)
    full_env = dict(os.environ)
    full_env.pop("EIA_PASSPHRASE", None)
    if env:
        full_env.update(env)
    t0 = time.monotonic()
    try:
        p = subprocess.run([TIME_BIN, "-f", "%M", "-o", tf, eialib.EIA] + [str(a) for a in args],
                           capture_output=True, timeout=timeout, env=full_env,
                           stdin=subprocess.DEVNULL)
        secs = time.monotonic() - t0
        with open(tf) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        rss = int(lines[-1])
    finally:
        os.remove(tf)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"), rss, secs)


def unittest_skip(msg):
    import unittest
    return unittest.SkipTest(msg)


def is_root():
    return os.geteuid() == 0


def open_to_nobody(paths, tmp):
    """Makes the given files and tmp (and its parents up to the scratch
    root, no further) readable and searchable by uid 65534."""
    for p in paths:
        if os.path.isdir(p):
            os.chmod(p, os.stat(p).st_mode | 0o755)
        elif os.path.exists(p):
            os.chmod(p, os.stat(p).st_mode | 0o444)
    stop = os.path.dirname(os.path.abspath(eialib.TMP_ROOT))
    d = os.path.abspath(tmp)
    while d != stop and d != os.path.dirname(d):
        mode = os.stat(d).st_mode
        if mode & 0o005 != 0o005:
            os.chmod(d, mode | 0o005)
        d = os.path.dirname(d)


def as_nobody(argv, timeout=60):
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + argv,
                       capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
