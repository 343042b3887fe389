"""eia verify: every trust outcome, interop with stock openssl in both
directions, manifest vs report roles, malformed trust stores and .sig files."""
import base64
import os
import re

import eialib

PAST = "2000-01-01T00:00:00Z"
FUTURE = "2099-01-01T00:00:00Z"
MANIFEST = "eia-manifest: 1\nname: county-7\nserial: 3\nentries: []\n"
REPORT = '{\n  "eia-report": 1,\n  "result": "pass"\n}\n'

# How stock openssl makes / checks a signature over FILE for each algorithm.
OPENSSL_SIGN = {
    "ed25519": "openssl pkeyutl -sign -rawin -inkey {key} -in {file} -out {sig}",
    "ecdsa-p256": "openssl dgst -sha256 -sign {key} -out {sig} {file}",
    "ecdsa-p384": "openssl dgst -sha384 -sign {key} -out {sig} {file}",
    "rsa-3072": "openssl dgst -sha256 -sigopt rsa_padding_mode:pss "
                "-sigopt rsa_pss_saltlen:32 -sign {key} -out {sig} {file}",
}
OPENSSL_VERIFY = {
    "ed25519": "openssl pkeyutl -verify -rawin -pubin -inkey {pub} -in {file} "
               "-sigfile {sig}",
    "ecdsa-p256": "openssl dgst -sha256 -verify {pub} -signature {sig} {file}",
    "ecdsa-p384": "openssl dgst -sha384 -verify {pub} -signature {sig} {file}",
    "rsa-3072": "openssl dgst -sha256 -sigopt rsa_padding_mode:pss "
                "-sigopt rsa_pss_saltlen:32 -verify {pub} -signature {sig} {file}",
}
OPENSSL_GENKEY = {
    "ed25519": "-algorithm ED25519",
    "ecdsa-p256": "-algorithm EC -pkeyopt ec_paramgen_curve:P-256",
    "ecdsa-p384": "-algorithm EC -pkeyopt ec_paramgen_curve:P-384",
    "rsa-3072": "-algorithm RSA -pkeyopt rsa_keygen_bits:3072",
}


def sig_yaml(entries):
    """entries: list of (key id, algorithm, raw signature bytes)."""
    lines = ["eia-signatures: 1", "signatures:"]
    for key, alg, raw in entries:
        lines += ["  - key: " + key, "    algorithm: " + alg,
                  "    signature: " + base64.b64encode(raw).decode()]
    return "\n".join(lines) + "\n"


class VerifyBase(eialib.EiaTest):

    def key(self, name, alg="ed25519", **fields):
        prefix, keyid = self.keygen(name, alg)
        d = {"prefix": prefix, "id": keyid}
        d.update(fields)
        return d

    def doc(self, text=MANIFEST, name="m.yaml"):
        return self.write(name, text)

    def sign(self, key, path):
        rc, out, err = self.eia("sign", "-k", key["prefix"] + ".key", path)
        self.assertEqual(rc, 0, err)

    def verify(self, trust, path, *extra):
        return self.eia("verify", "--trust", trust, path, *extra)

    def statuses(self, out):
        return [tuple(l.split()[:2]) for l in out.splitlines()
                if not l.startswith("trusted:")]


class TrustOutcomes(VerifyBase):

    def test_sign_then_verify(self):
        k = self.key("a")
        trust = self.trust_store([k])
        m = self.doc()
        self.sign(k, m)
        rc, out, err = self.verify(trust, m)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.statuses(out), [("valid", k["id"])])
        self.assertIn("trusted: 1 of 1 required baseline signatures valid", out)

    def test_unsigned(self):
        trust = self.trust_store([self.key("a")])
        self.assertExit(self.verify(trust, self.doc()), 3, "no signature file")

    def test_empty_signature_list(self):
        trust = self.trust_store([self.key("a")])
        m = self.doc()
        self.write("m.yaml.sig", "eia-signatures: 1\nsignatures: []\n")
        self.assertExit(self.verify(trust, m), 3)

    def test_bad_signature(self):
        k = self.key("a")
        trust = self.trust_store([k])
        m = self.doc()
        self.write("m.yaml.sig", sig_yaml([(k["id"], "ed25519", b"\x01" * 64)]))
        rc, out, err = self.verify(trust, m)
        self.assertExit((rc, out, err), 3, "0 of 1 required baseline signatures valid")
        self.assertEqual(self.statuses(out), [("invalid", k["id"])])

    def test_file_edited_after_signing(self):
        k = self.key("a")
        trust = self.trust_store([k])
        m = self.doc()
        self.sign(k, m)
        with open(m, "a") as f:
            f.write("# harmless comment\n")
        rc, out, err = self.verify(trust, m)
        self.assertExit((rc, out, err), 3)
        self.assertEqual(self.statuses(out), [("invalid", k["id"])])

    def test_unknown_key(self):
        k, stranger = self.key("a"), self.key("stranger")
        trust = self.trust_store([k])
        m = self.doc()
        self.sign(stranger, m)
        rc, out, err = self.verify(trust, m)
        self.assertExit((rc, out, err), 3)
        self.assertEqual(self.statuses(out), [("unknown-key", stranger["id"])])

    def test_threshold_unmet(self):
        a, b = self.key("a"), self.key("b", "ecdsa-p384")
        trust = self.trust_store([a, b], baseline=2)
        m = self.doc()
        self.sign(a, m)
        rc, out, err = self.verify(trust, m)
        self.assertExit((rc, out, err), 3, "1 of 2 required baseline signatures valid")
        self.sign(b, m)
        rc, out, err = self.verify(trust, m)
        self.assertEqual(rc, 0, err)
        self.assertIn("trusted: 2 of 2 required baseline signatures valid", out)

    def test_duplicate_signatures_by_one_key_count_once(self):
        a, b = self.key("a"), self.key("b")
        trust = self.trust_store([a, b], baseline=2)
        m = self.doc()
        self.sign(a, m)
        with open(m + ".sig") as f:
            text = f.read()
        entry = text.split("signatures:\n", 1)[1]
        self.write("m.yaml.sig", text + entry)
        rc, out, err = self.verify(trust, m)
        self.assertExit((rc, out, err), 3, "1 of 2 required")
        self.assertEqual(self.statuses(out), [("valid", a["id"])] * 2)

    def test_one_bad_entry_among_enough_good_ones(self):
        a, b, c = self.key("a"), self.key("b", "ecdsa-p256"), self.key("c")
        stranger = self.key("s")
        trust = self.trust_store([a, b, c], baseline=2)
        m = self.doc()
        for k in (a, stranger, b):
            self.sign(k, m)
        with open(m + ".sig") as f:
            text = f.read()
        text += sig_yaml([(c["id"], "ed25519", b"\x02" * 64)]).split("signatures:\n")[1]
        self.write("m.yaml.sig", text)
        rc, out, err = self.verify(trust, m)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.statuses(out),
                         [("valid", a["id"]), ("unknown-key", stranger["id"]),
                          ("valid", b["id"]), ("invalid", c["id"])])
        self.assertIn("trusted: 2 of 2 required baseline signatures valid", out)

    def check_key_status(self, status, **fields):
        k = self.key("a", **fields)
        trust = self.trust_store([k])
        m = self.doc()
        self.sign(k, m)
        rc, out, err = self.verify(trust, m)
        self.assertExit((rc, out, err), 3)
        self.assertEqual(self.statuses(out), [(status, k["id"])])

    def test_revoked(self):
        self.check_key_status("revoked", revoked=FUTURE)

    def test_expired_key(self):
        self.check_key_status("expired-key", **{"not-after": PAST})

    def test_not_yet_valid(self):
        self.check_key_status("not-yet-valid", **{"not-before": FUTURE})

    def test_wrong_role(self):
        self.check_key_status("wrong-role", roles=["report"])

    def test_validity_window_open(self):
        k = self.key("a", **{"not-before": PAST, "not-after": FUTURE})
        trust = self.trust_store([k])
        m = self.doc()
        self.sign(k, m)
        self.assertEqual(self.verify(trust, m)[0], 0)

    def test_explicit_signatures_path(self):
        k = self.key("a")
        trust = self.trust_store([k])
        m = self.doc()
        self.sign(k, m)
        os.rename(m + ".sig", self.path("elsewhere.sig"))
        self.assertExit(self.verify(trust, m), 3)
        rc, _, err = self.verify(trust, m, "--signatures", self.path("elsewhere.sig"))
        self.assertEqual(rc, 0, err)


class ReportRole(VerifyBase):

    def test_report_uses_report_role_and_threshold(self):
        base = self.key("base", roles=["baseline"])
        rep = self.key("rep", roles=["report"])
        trust = self.trust_store([base, rep], baseline=2, report=1)
        r = self.doc(REPORT, "report.json")
        self.sign(rep, r)
        rc, out, err = self.verify(trust, r)
        self.assertEqual(rc, 0, err)
        self.assertIn("trusted: 1 of 1 required report signatures valid", out)
        # the same key on a manifest has the wrong role
        m = self.doc()
        self.sign(rep, m)
        rc, out, err = self.verify(trust, m)
        self.assertExit((rc, out, err), 3, "0 of 2 required baseline")
        self.assertEqual(self.statuses(out), [("wrong-role", rep["id"])])
        # and a baseline key on a report too
        self.sign(base, r)
        rc, out, _ = self.verify(trust, r)
        self.assertEqual(rc, 0)
        self.assertIn(("wrong-role", base["id"]), self.statuses(out))


class OpensslInterop(VerifyBase):

    def openssl_key(self, alg):
        key, pub = self.path(alg + ".key"), self.path(alg + ".pub")
        eialib.sh("openssl genpkey %s -out %s" % (OPENSSL_GENKEY[alg], key))
        eialib.sh("openssl pkey -in %s -pubout -out %s" % (key, pub))
        rc, out, _ = self.eia("keyid", pub)
        self.assertEqual(rc, 0)
        return {"prefix": self.path(alg), "id": out.strip()}

    def test_openssl_signatures_verified_by_eia(self):
        for alg in OPENSSL_SIGN:
            with self.subTest(alg=alg):
                k = self.openssl_key(alg)
                trust = self.trust_store([k])
                m = self.doc()
                raw = self.path("raw.sig")
                eialib.sh(OPENSSL_SIGN[alg].format(key=k["prefix"] + ".key", file=m,
                                                   sig=raw))
                with open(raw, "rb") as f:
                    self.write("m.yaml.sig", sig_yaml([(k["id"], alg, f.read())]))
                rc, out, err = self.verify(trust, m)
                self.assertEqual(rc, 0, err)
                self.assertEqual(self.statuses(out), [("valid", k["id"])])

    def test_eia_signatures_verified_by_openssl(self):
        for alg in OPENSSL_VERIFY:
            with self.subTest(alg=alg):
                k = self.key(alg, alg)
                m = self.doc(MANIFEST + "# " + alg + "\n", alg + ".yaml")
                self.sign(k, m)
                with open(m + ".sig") as f:
                    b64 = re.search(r"signature: (\S+)", f.read()).group(1)
                raw = self.write(alg + ".raw", base64.b64decode(b64))
                p = eialib.sh(OPENSSL_VERIFY[alg].format(pub=k["prefix"] + ".pub",
                                                         file=m, sig=raw))
                self.assertIn(b"Verified OK" if "dgst" in OPENSSL_VERIFY[alg]
                              else b"Signature Verified Successfully", p.stdout)

    def test_rsa_pkcs1_v15_refused(self):
        k = self.openssl_key("rsa-3072")
        trust = self.trust_store([k])
        m = self.doc()
        raw = self.path("raw.sig")
        eialib.sh("openssl dgst -sha256 -sign %s.key -out %s %s" % (k["prefix"], raw, m))
        with open(raw, "rb") as f:
            self.write("m.yaml.sig", sig_yaml([(k["id"], "rsa-3072", f.read())]))
        rc, out, err = self.verify(trust, m)
        self.assertExit((rc, out, err), 3)
        self.assertEqual(self.statuses(out), [("invalid", k["id"])])

    def test_algorithm_mismatch_is_invalid(self):
        k = self.openssl_key("ecdsa-p384")
        trust = self.trust_store([k])
        m = self.doc()
        raw = self.path("raw.sig")
        eialib.sh(OPENSSL_SIGN["ecdsa-p384"].format(key=k["prefix"] + ".key", file=m,
                                                    sig=raw))
        with open(raw, "rb") as f:
            self.write("m.yaml.sig", sig_yaml([(k["id"], "ecdsa-p256", f.read())]))
        rc, out, err = self.verify(trust, m)
        self.assertExit((rc, out, err), 3)
        self.assertEqual(self.statuses(out), [("invalid", k["id"])])


class MalformedInput(VerifyBase):

    def setUp(self):
        super().setUp()
        self.k = self.key("a")
        self.m = self.doc()
        self.sign(self.k, self.m)

    def broken_store(self, edit):
        trust = self.trust_store([self.k])
        with open(trust) as f:
            text = f.read()
        with open(trust, "w") as f:
            f.write(edit(text))
        return trust

    def assertParseError(self, trust, why, where=None):
        rc, out, err = self.verify(trust, self.m)
        self.assertExit((rc, out, err), 2, why)
        self.assertRegex(err, r"^eia: .*trust\.yaml:\d+:\d+: ")
        if where:
            self.assertIn("trust.yaml:%s: " % where, err)
        self.assertEqual(out, "")

    def test_unknown_key(self):
        t = self.broken_store(lambda s: s.replace("    roles:", "    role: x\n    roles:"))
        self.assertParseError(t, "unknown key 'role'", "7:5")

    def test_duplicate_key(self):
        t = self.broken_store(lambda s: s.replace("keys:\n", "keys:\n") +
                              "name: again\n")
        self.assertParseError(t, "duplicate key 'name'")

    def test_id_mismatch(self):
        other = self.key("b")
        t = self.broken_store(lambda s: s.replace(self.k["id"], other["id"]))
        self.assertParseError(t, "id does not match public-key", "5:9")

    def test_threshold_zero(self):
        t = self.broken_store(lambda s: s.replace("baseline: 1,", "baseline: 0,"))
        self.assertParseError(t, "at least 1", "3:24")

    def test_missing_threshold(self):
        t = self.broken_store(lambda s: s.replace("baseline: 1, ", ""))
        self.assertParseError(t, "missing required key 'baseline'", "3:13")

    def test_bad_time(self):
        k = dict(self.k)
        k["not-after"] = "2027-02-30T00:00:00Z"
        self.trust_store([k])
        self.assertParseError(self.path("trust.yaml"), "RFC 3339", "8:16")

    def test_alias_refused(self):
        t = self.broken_store(lambda s: s.replace("name: Test", "name: &n Test"))
        self.assertParseError(t, "anchors")

    def test_malformed_sig_file(self):
        trust = self.trust_store([self.k])
        self.write("m.yaml.sig", "eia-signatures: 1\nsignatures:\n  - key: x\n")
        rc, out, err = self.verify(trust, self.m)
        self.assertExit((rc, out, err), 2)
        self.assertRegex(err, r"^eia: .*m\.yaml\.sig:3:5: ")

    def test_missing_trust_store(self):
        self.assertExit(self.verify(self.path("absent.yaml"), self.m), 2)


if __name__ == "__main__":
    eialib.main()
