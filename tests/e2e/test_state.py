"""Rollback state: rollback and equivocation refused, records kept under a
lock by concurrent audits; and signed reports checked by eia and openssl."""
import base64
import json
import os
import subprocess
import threading

import eialib


class StateTest(eialib.EiaTest):

    def setUp(self):
        super().setUp()
        self.root = self.path("root")
        self.write("root/app.bin", "certified app\n")
        self.k, self.kid = self.keygen("officer")
        self.trust = self.trust_store([{"prefix": self.k, "id": self.kid}])
        self.state = self.path("state.yaml")

    def manifest(self, name, serial, desc="", series="series-a"):
        m = self.path(name)
        rc, out, err = self.eia("baseline", "--root", self.root, "-o", m, "--name", series,
                                "--serial", serial)
        self.assertEqual(rc, 0, err)
        if desc:
            with open(m, "a") as f:
                pass
            text = open(m).read().replace("serial: %d\n" % serial,
                                          "serial: %d\ndescription: \"%s\"\n" % (serial, desc))
            with open(m, "w") as f:
                f.write(text)
        rc, out, err = self.eia("sign", "-k", self.k + ".key", m)
        self.assertEqual(rc, 0, err)
        return m

    def audit(self, m, *extra):
        return self.eia("audit", "--manifest", m, "--trust", self.trust, "--root", self.root,
                        "--state", self.state, "--quiet", *extra)

    def test_rollback_refused(self):
        m5 = self.manifest("m5.yaml", 5)
        m4 = self.manifest("m4.yaml", 4)
        self.assertExit(self.audit(m5), 0)
        self.assertIn("serial: 5", open(self.state).read())
        self.assertExit(self.audit(m4), 3, "rollback")
        self.assertExit(self.audit(m5), 0)          # same bytes again: fine
        m6 = self.manifest("m6.yaml", 6)
        self.assertExit(self.audit(m6), 0)
        self.assertIn("serial: 6", open(self.state).read())
        self.assertExit(self.audit(m5), 3, "rollback")

    def test_equivocation_refused(self):
        a = self.manifest("a.yaml", 7, desc="first")
        b = self.manifest("b.yaml", 7, desc="second")
        self.assertExit(self.audit(a), 0)
        rp = self.path("r.json")
        self.assertExit(self.audit(b, "--report", rp), 3, "equivocation")
        rep = json.load(open(rp))
        self.assertEqual(rep["result"], "untrusted")
        self.assertEqual(rep["manifests"][0]["rollback"], "enforced")

    def test_report_says_enforced_or_not(self):
        m = self.manifest("m.yaml", 1)
        rc, out, err = self.eia("audit", "--manifest", m, "--trust", self.trust,
                                "--root", self.root, "--json")
        self.assertEqual(json.loads(out)["manifests"][0]["rollback"], "not-enforced")
        rc, out, err = self.eia("audit", "--manifest", m, "--trust", self.trust,
                                "--root", self.root, "--json", "--state", self.state)
        self.assertEqual(json.loads(out)["manifests"][0]["rollback"], "enforced")

    def test_drift_still_records(self):
        m = self.manifest("m.yaml", 3)
        self.write("root/app.bin", "changed")
        self.assertExit(self.audit(m), 1)
        self.assertIn("serial: 3", open(self.state).read())

    def test_concurrent_audits_lose_no_update(self):
        manifests = [self.manifest("s%d.yaml" % i, 1, series="series-%d" % i) for i in range(8)]
        results = []

        def run(m):
            results.append(self.audit(m)[0])

        threads = [threading.Thread(target=run, args=(m,)) for m in manifests]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [0] * 8)
        text = open(self.state).read()
        for i in range(8):
            self.assertIn('"series-%d"' % i, text)

    def test_malformed_state_is_input_error(self):
        m = self.manifest("m.yaml", 1)
        with open(self.state, "w") as f:
            f.write("eia-state: 1\nseries: [{name: x, serial: -1, sha256: 00}]\n")
        self.assertExit(self.audit(m), 2)


class ProgressTest(eialib.EiaTest):

    def test_progress_on_stderr_never_in_report(self):
        root = self.path("root")
        for i in range(50):
            self.write("root/f%02d" % i, "x" * 1000)
        k, kid = self.keygen("o")
        trust = self.trust_store([{"prefix": k, "id": kid}])
        m = self.path("m.yaml")
        self.eia("baseline", "--root", root, "-o", m, "--name", "n", "--serial", "1")
        self.eia("sign", "-k", k + ".key", m)
        base = ["audit", "--manifest", m, "--trust", trust, "--root", root]
        rc, out, err = self.eia(*(base + ["--progress", "--json"]))
        self.assertEqual(rc, 0, err)
        self.assertIn("eia: 50/50 files", err)
        self.assertNotIn("files,", out)
        self.assertEqual(json.loads(out)["result"], "pass")
        # not a terminal and not forced: silent; --quiet: nothing on stdout either
        rc, out, err = self.eia(*base)
        self.assertEqual((rc, err), (0, ""))
        self.assertTrue(out.startswith("PASS"))
        rc, out, err = self.eia(*(base + ["--quiet"]))
        self.assertEqual((rc, out, err), (0, "", ""))


class SignedReportTest(eialib.EiaTest):

    def test_signed_report_verified_by_eia_and_openssl(self):
        root = self.path("root")
        self.write("root/a", "a")
        k, kid = self.keygen("county", roles=None)
        trust = self.trust_store([{"prefix": k, "id": kid}])
        m = self.path("m.yaml")
        self.assertEqual(self.eia("baseline", "--root", root, "-o", m, "--name", "n",
                                  "--serial", "1")[0], 0)
        self.assertEqual(self.eia("sign", "-k", k + ".key", m)[0], 0)
        rp = self.path("report.json")
        res = self.eia("audit", "--manifest", m, "--trust", trust, "--root", root,
                       "--report", rp, "--sign-report", k + ".key", "--quiet")
        self.assertExit(res, 0)
        rep = json.load(open(rp))
        self.assertEqual(rep["manifests"][0]["sha256"],
                         eialib.sh("sha256sum " + m).stdout.decode().split()[0])
        self.assertExit(self.eia("verify", "--trust", trust, rp), 0)
        # stock openssl: the signature covers the exact bytes of the report
        sig_yaml = open(rp + ".sig").read()
        b64 = [l.split("signature:")[1].strip() for l in sig_yaml.splitlines() if "signature:" in l][0]
        with open(self.path("sig.bin"), "wb") as f:
            f.write(base64.b64decode(b64))
        p = eialib.sh("openssl pkeyutl -verify -pubin -inkey %s.pub -rawin -in %s -sigfile %s"
                      % (k, rp, self.path("sig.bin")), check=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # one byte changed: both refuse
        data = open(rp, "rb").read().replace(b'"pass"', b'"PASS"')
        with open(rp, "wb") as f:
            f.write(data)
        self.assertExit(self.eia("verify", "--trust", trust, rp), 3)
        p = eialib.sh("openssl pkeyutl -verify -pubin -inkey %s.pub -rawin -in %s -sigfile %s"
                      % (k, rp, self.path("sig.bin")), check=False)
        self.assertNotEqual(p.returncode, 0)

    def test_report_key_needs_report_role(self):
        root = self.path("root")
        self.write("root/a", "a")
        kb, idb = self.keygen("state")
        kr, idr = self.keygen("county")
        trust = self.trust_store([{"prefix": kb, "id": idb, "roles": ["baseline"]},
                                  {"prefix": kr, "id": idr, "roles": ["report"]}])
        m = self.path("m.yaml")
        self.eia("baseline", "--root", root, "-o", m, "--name", "n", "--serial", "1")
        self.eia("sign", "-k", kb + ".key", m)
        rp = self.path("r.json")
        # a report signed by the baseline-only key is not a trusted report
        self.assertExit(self.eia("audit", "--manifest", m, "--trust", trust, "--root", root,
                                 "--report", rp, "--sign-report", kb + ".key", "--quiet"), 0)
        self.assertExit(self.eia("verify", "--trust", trust, rp), 3)
        self.assertExit(self.eia("audit", "--manifest", m, "--trust", trust, "--root", root,
                                 "--report", rp, "--sign-report", kr + ".key", "--quiet"), 0)
        self.assertExit(self.eia("verify", "--trust", trust, rp), 0)
        # and a manifest signed by the report-only key is not a trusted baseline
        os.remove(m + ".sig")
        self.eia("sign", "-k", kr + ".key", m)
        self.assertExit(self.eia("audit", "--manifest", m, "--trust", trust, "--root", root), 3)

    def test_sign_report_needs_report(self):
        self.assertExit(self.eia("audit", "--manifest", "m", "--trust", "t", "--root", ".",
                                 "--sign-report", "k"), 2, "--report")


if __name__ == "__main__":
    eialib.main()
