"""Shared helpers for the end-to-end tests: they drive the real eia binary.

Each test file is a plain unittest module run by CTest with EIA=<path to eia>
and EIA_TEST_TMP=<scratch dir>. EIA_WRAPPER (e.g. "valgrind --error-exitcode=99
-q") runs every eia command under that wrapper. Keys are made by eia itself or stock openssl,
trees and archives are real files on disk.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

EIA = os.environ.get("EIA") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "eia")
TMP_ROOT = os.environ.get("EIA_TEST_TMP") or tempfile.gettempdir()


def run(args, input=None, env=None, cwd=None, timeout=300):
    """Runs eia with args; returns (exit code, stdout str, stderr str)."""
    full_env = dict(os.environ)
    full_env.pop("EIA_PASSPHRASE", None)
    if env:
        full_env.update(env)
    wrapper = shlex.split(os.environ.get("EIA_WRAPPER", ""))
    p = subprocess.run(wrapper + [EIA] + [str(a) for a in args], input=input,
                       capture_output=True, env=full_env, cwd=cwd,
                       timeout=timeout * (10 if wrapper else 1),
                       stdin=None if input is not None else subprocess.DEVNULL)
    err = p.stderr.decode("utf-8", "replace")
    if wrapper:
        # valgrind's own notes ("==pid==", "--pid--") are not eia's output
        err = "".join(l for l in err.splitlines(True) if not re.match(r"^(==|--)\d+(==|--)", l))
    return p.returncode, p.stdout.decode("utf-8", "replace"), err


def sh(cmd, cwd=None, check=True, input=None):
    """Runs a shell command (stock tools: openssl, bsdtar...)."""
    p = subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True, input=input)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd, p.stderr.decode("utf-8", "replace")))
    return p


class EiaTest(unittest.TestCase):
    """Gives each test a fresh scratch directory self.tmp."""

    def setUp(self):
        os.makedirs(TMP_ROOT, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix=self.id().split(".")[-1] + "-", dir=TMP_ROOT)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def write(self, rel, data, mode=None):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        if mode is not None:
            os.chmod(p, mode)
        return p

    def eia(self, *args, **kw):
        return run(list(args), **kw)

    def assertExit(self, result, code, stderr_contains=None):
        rc, out, err = result
        self.assertEqual(rc, code, "exit %d, stdout=%r stderr=%r" % (rc, out, err))
        if code in (2, 3):
            lines = [l for l in err.splitlines() if l.strip()]
            self.assertEqual(len(lines), 1, "want one stderr line, got %r" % err)
            self.assertTrue(lines[0].startswith("eia: "), lines[0])
        if stderr_contains is not None:
            self.assertIn(stderr_contains, err)

    def keygen(self, name, algorithm="ed25519", roles=None):
        """Makes an unencrypted key pair PREFIX.key/.pub; returns (prefix, key id)."""
        prefix = self.path("keys", name)
        os.makedirs(os.path.dirname(prefix), exist_ok=True)
        rc, out, err = run(["keygen", "-o", prefix, "--algorithm", algorithm,
                            "--no-passphrase"])
        self.assertEqual(rc, 0, err)
        keyid = out.strip().split()[-1]
        return prefix, keyid

    def trust_store(self, keys, baseline=1, report=1, name="Test Election Office"):
        """keys: list of dicts with prefix, id and optional roles/name/not-before/
        not-after/revoked. Writes and returns the path of a trust store."""
        lines = ["eia-trust: 1", "name: %s" % name,
                 "thresholds: {baseline: %d, report: %d}" % (baseline, report), "keys:"]
        for k in keys:
            lines.append("  - id: %s" % k["id"])
            lines.append("    name: %s" % k.get("name", "Officer " + k["id"][:8]))
            lines.append("    roles: [%s]" % ", ".join(k.get("roles", ["baseline", "report"])))
            for opt in ("not-before", "not-after", "revoked"):
                if opt in k:
                    lines.append("    %s: %s" % (opt, k[opt]))
            lines.append("    public-key: |")
            with open(k["prefix"] + ".pub") as f:
                for l in f.read().splitlines():
                    lines.append("      " + l)
        p = self.path("trust.yaml")
        with open(p, "w") as f:
            f.write("\n".join(lines) + "\n")
        return p


def load_json(text):
    return json.loads(text)


def main():
    unittest.main(verbosity=2)
