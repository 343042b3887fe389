"""End to end: eia baseline + sign + audit on real trees, every finding kind
of the core audit, trust failures through audit, layers, and the report."""
import hashlib
import json
import os
import stat
import subprocess

import eialib


class AuditTest(eialib.EiaTest):

    def setUp(self):
        super().setUp()
        self.root = self.path("root")
        self.write("root/bin/tabulate", b"#!/bin/sh\necho tabulate\n", 0o755)
        self.write("root/etc/config.ini", "precinct = 12\n", 0o644)
        self.write("root/data/cvr.db", "votes\n", 0o644)
        os.symlink("tabulate", os.path.join(self.root, "bin", "tab"))
        self.k1, self.id1 = self.keygen("state1")
        self.k2, self.id2 = self.keygen("state2")
        self.trust = self.trust_store([{"prefix": self.k1, "id": self.id1},
                                       {"prefix": self.k2, "id": self.id2}], baseline=2)

    def baseline(self, name="m.yaml", root=None, serial=1, extra=()):
        m = self.path(name)
        rc, out, err = self.eia("baseline", "--root", root or self.root, "-o", m,
                                "--name", "test-series", "--serial", serial, *extra)
        self.assertEqual(rc, 0, err)
        return m

    def sign(self, m, *keys):
        for k in keys or (self.k1, self.k2):
            rc, out, err = self.eia("sign", "-k", k + ".key", m)
            self.assertEqual(rc, 0, err)

    def audit(self, *manifests, extra=(), root=None):
        args = ["audit", "--trust", self.trust, "--root", root or self.root, "--json"]
        for m in manifests:
            args += ["--manifest", m]
        return self.eia(*(args + list(extra)))

    def report(self, res, code):
        rc, out, err = res
        self.assertEqual(rc, code, "stdout=%s stderr=%s" % (out[:2000], err))
        return json.loads(out)

    def kinds(self, rep):
        return sorted((f["kind"], f["path"], tuple(f["member"])) for f in rep["findings"])

    def test_clean_pass(self):
        m = self.baseline()
        self.sign(m)
        rep = self.report(self.audit(m), 0)
        self.assertEqual(rep["result"], "pass")
        self.assertEqual(rep["findings"], [])
        self.assertEqual(rep["summary"]["entries"], len(rep["entries"]))
        by = {e["path"]: e for e in rep["entries"]}
        want = hashlib.sha256(b"#!/bin/sh\necho tabulate\n").hexdigest()
        self.assertEqual(by["bin/tabulate"]["sha256"], want)
        self.assertEqual(by["bin/tabulate"]["status"], "ok")
        self.assertEqual(rep["manifests"][0]["threshold"], {"required": 2, "valid": 2})
        self.assertEqual(rep["manifests"][0]["rollback"], "not-enforced")
        self.assertEqual(rep["manifests"][0]["sha256"],
                         hashlib.sha256(open(m, "rb").read()).hexdigest())

    def test_baseline_is_deterministic(self):
        a = self.baseline("a.yaml")
        b = self.baseline("b.yaml", extra=["--jobs", "1"])
        self.assertEqual(open(a, "rb").read(), open(b, "rb").read())

    def test_every_core_finding_kind(self):
        m = self.baseline()
        self.sign(m)
        self.write("root/bin/tabulate", b"#!/bin/sh\necho tampered\n", 0o755)   # modified
        os.chmod(os.path.join(self.root, "etc/config.ini"), 0o666)           # mode-changed
        os.remove(os.path.join(self.root, "bin/tab"))
        os.symlink("evil", os.path.join(self.root, "bin/tab"))               # target-changed
        os.remove(os.path.join(self.root, "data/cvr.db"))                    # missing
        self.write("root/bin/extra", "x")                                    # unlisted
        rep = self.report(self.audit(m), 1)
        self.assertEqual(rep["result"], "drift")
        got = {(f["kind"], f["path"]) for f in rep["findings"]}
        self.assertEqual(got, {("modified", "bin/tabulate"), ("mode-changed", "etc/config.ini"),
                               ("target-changed", "bin/tab"), ("missing", "data/cvr.db"),
                               ("unlisted", "bin/extra")})
        mod = [f for f in rep["findings"] if f["kind"] == "modified"][0]
        self.assertEqual(mod["actual"]["sha256"],
                         hashlib.sha256(b"#!/bin/sh\necho tampered\n").hexdigest())
        self.assertNotEqual(mod["expected"]["sha256"], mod["actual"]["sha256"])
        self.assertIsNone(mod["region"])
        self.assertIsNone(mod["chunk"])
        self.assertEqual(mod["member"], [])
        self.assertEqual(rep["summary"]["fail"], 5)
        paths = [f["path"] for f in rep["findings"]]
        self.assertEqual(paths, sorted(paths))

    def test_type_changed(self):
        m = self.baseline()
        self.sign(m)
        os.remove(os.path.join(self.root, "etc/config.ini"))
        os.mkdir(os.path.join(self.root, "etc/config.ini"))
        rep = self.report(self.audit(m), 1)
        kinds = {(f["kind"], f["path"]) for f in rep["findings"]}
        self.assertIn(("type-changed", "etc/config.ini"), kinds)

    def test_unreadable_file(self):
        if os.geteuid() == 0:
            # root reads everything: drop privileges for the audit itself
            m = self.baseline()
            self.sign(m)
            os.chmod(self.tmp, 0o755)
            os.chmod(os.path.join(self.root, "etc/config.ini"), 0o000)
            for d in (self.root,):
                for base, dirs, files in os.walk(d):
                    for x in dirs + files:
                        p = os.path.join(base, x)
                        if not os.path.islink(p) and not p.endswith("config.ini"):
                            os.chmod(p, os.stat(p).st_mode | 0o005)
            os.chmod(self.root, 0o755)
            os.chmod(os.path.dirname(self.trust), 0o755)
            for p in (m, m + ".sig", self.trust):
                os.chmod(p, 0o644)
            for p in (self.tmp, os.path.dirname(self.tmp)):
                os.chmod(p, os.stat(p).st_mode | 0o005)
            p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                eialib.EIA, "audit", "--manifest", m, "--trust", self.trust,
                                "--root", self.root, "--json"], capture_output=True)
            os.chmod(os.path.join(self.root, "etc/config.ini"), 0o644)
            if p.returncode == 2 and b"Permission denied" in p.stderr:
                self.skipTest("scratch dir not reachable by nobody")
            rep = json.loads(p.stdout)
            self.assertEqual(p.returncode, 1, p.stderr)
            kinds = {(f["kind"], f["path"]) for f in rep["findings"]}
            self.assertIn(("unreadable", "etc/config.ini"), kinds)
            # mode changed to 000 as well
            self.assertIn(("mode-changed", "etc/config.ini"), kinds)

    def test_owner_changed_when_compare_asks(self):
        m = self.path("owner.yaml")
        st = os.stat(os.path.join(self.root, "etc/config.ini"))
        with open(m, "w") as f:
            f.write("eia-manifest: 1\nname: owner\nserial: 1\n"
                    "policy: {unlisted: ignore, compare: [type, size, digest, mode, target, uid, gid]}\n"
                    "entries:\n  - {path: etc/config.ini, type: file, sha256: %s, uid: %d, gid: %d}\n"
                    % (hashlib.sha256(b"precinct = 12\n").hexdigest(), st.st_uid + 1, st.st_gid))
        self.sign(m)
        rep = self.report(self.audit(m), 1)
        self.assertEqual([(f["kind"], f["expected"]["uid"], f["actual"]["uid"]) for f in rep["findings"]],
                         [("owner-changed", st.st_uid + 1, st.st_uid)])

    def test_unlisted_warn_and_ignore_globs(self):
        m = self.baseline(extra=["--unlisted", "warn", "--ignore", "logs/**"])
        self.sign(m)
        self.write("root/logs/today.log", "x")
        self.write("root/newfile", "y")
        rep = self.report(self.audit(m), 0)
        self.assertEqual(rep["result"], "pass")
        self.assertEqual([(f["kind"], f["severity"], f["path"]) for f in rep["findings"]],
                         [("unlisted", "warn", "newfile")])
        self.assertEqual(rep["summary"]["warn"], 1)

    def test_dynamic_entries(self):
        m = self.path("dyn.yaml")
        with open(m, "w") as f:
            f.write("eia-manifest: 1\nname: dyn\nserial: 1\npolicy: {unlisted: ignore}\n"
                    "entries:\n  - {path: data/cvr.db, type: file, class: dynamic, mode: \"0644\"}\n")
        self.sign(m)
        self.write("root/data/cvr.db", "many more votes\n", 0o644)
        rep = self.report(self.audit(m), 0)
        e = rep["entries"][0]
        self.assertEqual(e["class"], "dynamic")
        self.assertEqual(e["sha256"], hashlib.sha256(b"many more votes\n").hexdigest())
        os.chmod(os.path.join(self.root, "data/cvr.db"), 0o600)
        rep = self.report(self.audit(m), 1)
        self.assertEqual([f["kind"] for f in rep["findings"]], ["mode-changed"])
        os.remove(os.path.join(self.root, "data/cvr.db"))
        rep = self.report(self.audit(m), 1)
        self.assertEqual([f["kind"] for f in rep["findings"]], ["missing"])

    def test_untrusted_audit_writes_untrusted_report(self):
        m = self.baseline()
        self.sign(m, self.k1)                      # 1 of 2
        self.write("root/bin/tabulate", "changed")
        rp = self.path("report.json")
        res = self.audit(m, extra=["--report", rp])
        self.assertExit(res, 3)
        rep = json.load(open(rp))
        self.assertEqual(rep["result"], "untrusted")
        self.assertEqual(rep["findings"], [])
        self.assertEqual(rep["entries"], [])
        self.assertEqual(rep["manifests"][0]["threshold"], {"required": 2, "valid": 1})
        self.assertEqual([s["status"] for s in rep["manifests"][0]["signatures"]], ["valid"])

    def test_missing_signature_file(self):
        m = self.baseline()
        self.assertExit(self.audit(m), 3)

    def test_manifest_edited_after_signing(self):
        m = self.baseline()
        self.sign(m)
        with open(m, "a") as f:
            f.write("  - {path: bin/extra, type: dir}\n")
        res = self.audit(m)
        self.assertExit(res, 3)

    def test_expired_manifest(self):
        m = self.baseline(extra=["--expires", "2001-01-01T00:00:00Z"])
        self.sign(m)
        rp = self.path("r.json")
        self.assertExit(self.audit(m, extra=["--report", rp]), 3, "expired")
        self.assertEqual(json.load(open(rp))["result"], "untrusted")

    def test_context_and_non_utf8_names(self):
        self.write("root/انتخابات/نتایج.txt", "persian")
        self.write("root/with space/a\nnewline", "nl")
        m = self.baseline()
        self.sign(m)
        bad = os.path.join(self.root.encode(), b"bad\xffname")
        with open(bad, "wb") as f:
            f.write(b"x")
        res = self.audit(m, extra=["--context", "device-serial=DS200-1234",
                                   "--context", "witness=Maryam Ahmadi=observer",
                                   "--context", "location=حوزه ۱۲"])
        rep = self.report(res, 1)
        self.assertEqual(rep["context"], {"device-serial": "DS200-1234",
                                          "witness": "Maryam Ahmadi=observer",
                                          "location": "حوزه ۱۲"})
        self.assertEqual(list(rep["context"].keys()), ["device-serial", "witness", "location"])
        [f] = rep["findings"]
        self.assertEqual(f["kind"], "unlisted")
        self.assertEqual(f["path_hex"], b"bad\xffname".hex())
        paths = {e["path"] for e in rep["entries"]}
        self.assertIn("انتخابات/نتایج.txt", paths)
        self.assertIn("with space/a\nnewline", paths)

    def test_layers(self):
        county = self.path("county")
        os.makedirs(county)
        self.write("root/election/ballot.def", "ballot")
        m1 = self.baseline("system.yaml", extra=["--ignore", "election/**"])
        self.sign(m1)
        m2 = self.path("county.yaml")
        with open(m2, "w") as f:
            f.write("eia-manifest: 1\nname: county-config\nserial: 3\npolicy: {unlisted: fail}\n"
                    "entries:\n  - {path: election/ballot.def, type: file, size: 6, sha256: %s}\n"
                    % hashlib.sha256(b"ballot").hexdigest())
        self.sign(m2)
        rep = self.report(self.audit(m1, m2), 0)
        self.assertEqual([x["name"] for x in rep["manifests"]], ["test-series", "county-config"])
        self.assertEqual(rep["summary"]["entries"], len(rep["entries"]))
        self.assertIn("election/ballot.def", {e["path"] for e in rep["entries"]})
        # the county layer alone is signed by only one key: refused
        os.remove(m2 + ".sig")
        self.sign(m2, self.k1)
        self.assertExit(self.audit(m1, m2), 3)
        # the same path in two layers is an error
        self.sign(m2)
        m3 = self.path("dup.yaml")
        with open(m3, "w") as f:
            f.write(open(m2).read().replace("county-config", "dup"))
        self.sign(m3)
        self.assertExit(self.audit(m1, m2, m3), 2, "both name")

    def test_audit_never_writes_under_root(self):
        m = self.baseline()
        self.sign(m)
        before = {}
        for base, dirs, files in os.walk(self.root):
            for x in dirs + files:
                p = os.path.join(base, x)
                s = os.lstat(p)
                before[p] = (s.st_mode, s.st_size, s.st_mtime_ns, s.st_ino)
        self.report(self.audit(m), 0)
        after = {}
        for base, dirs, files in os.walk(self.root):
            for x in dirs + files:
                p = os.path.join(base, x)
                s = os.lstat(p)
                after[p] = (s.st_mode, s.st_size, s.st_mtime_ns, s.st_ino)
        self.assertEqual(before, after)

    def test_fifo_is_never_read(self):
        m = self.baseline()
        self.sign(m)
        os.mkfifo(os.path.join(self.root, "bin/pipe"))
        rep = self.report(self.audit(m), 1)
        [f] = rep["findings"]
        self.assertEqual((f["kind"], f["path"], f["actual"]["type"]), ("unlisted", "bin/pipe", "fifo"))

    def test_fifo_replacing_a_file(self):
        m = self.baseline()
        self.sign(m)
        os.remove(os.path.join(self.root, "etc/config.ini"))
        os.mkfifo(os.path.join(self.root, "etc/config.ini"))
        rep = self.report(self.audit(m), 1)
        [f] = rep["findings"]
        self.assertEqual((f["kind"], f["actual"]["type"]), ("type-changed", "fifo"))

    def test_jobs_do_not_change_the_report(self):
        for i in range(200):
            self.write("root/many/f%03d" % i, "file %d" % i)
        m = self.baseline()
        self.sign(m)
        for i in range(0, 200, 7):
            self.write("root/many/f%03d" % i, "changed %d" % i)
        r1 = self.report(self.audit(m, extra=["--jobs", "1"]), 1)
        r8 = self.report(self.audit(m, extra=["--jobs", "8"]), 1)
        for r in (r1, r8):
            r.pop("started")
            r.pop("finished")
        self.assertEqual(r1, r8)

    def test_error_report_when_root_missing(self):
        m = self.baseline()
        self.sign(m)
        rp = self.path("err.json")
        self.assertExit(self.audit(m, extra=["--report", rp], root=self.path("nope")), 2, "nope")
        with open(rp) as f:
            rep = json.load(f)
        self.assertEqual(rep["result"], "error")
        self.assertEqual(rep["findings"], [])
        self.assertEqual(rep["manifests"][0]["threshold"]["valid"], 2)

    def test_usage_errors(self):
        self.assertExit(self.eia("audit"), 2)
        self.assertExit(self.eia("audit", "--manifest", "x", "--trust", self.trust), 2, "--root")
        self.assertExit(self.eia("audit", "--bogus"), 2)
        self.assertExit(self.eia("audit", "--manifest", "x", "--trust", self.trust,
                                 "--root", self.root, "--context", "novalue"), 2, "KEY=VALUE")
        self.assertExit(self.eia("audit", "--manifest", self.path("nope.yaml"), "--trust", self.trust,
                                 "--root", self.root), 2)


if __name__ == "__main__":
    eialib.main()
