"""eia keygen / keyid / sign: key files, passphrases, key ids, .sig files."""
import os
import pty
import select
import stat
import subprocess
import time

import eialib

ALGORITHMS = ["ed25519", "ecdsa-p256", "ecdsa-p384", "rsa-3072"]
OPENSSL_TYPE = {"ed25519": "ED25519", "ecdsa-p256": "prime256v1",
                "ecdsa-p384": "secp384r1", "rsa-3072": "3072 bit"}


def openssl_keyid(pub):
    der = eialib.sh("openssl pkey -pubin -in '%s' -outform DER" % pub).stdout
    return eialib.sh("sha256sum", input=der).stdout.decode().split()[0]


class KeygenTest(eialib.EiaTest):

    def test_keygen_every_algorithm(self):
        for alg in ALGORITHMS:
            with self.subTest(alg=alg):
                prefix, keyid = self.keygen(alg, alg)
                self.assertRegex(keyid, r"^[0-9a-f]{64}$")
                mode = stat.S_IMODE(os.stat(prefix + ".key").st_mode)
                self.assertEqual(mode, 0o600)
                with open(prefix + ".key") as f:
                    self.assertTrue(f.read().startswith("-----BEGIN PRIVATE KEY-----"))
                with open(prefix + ".pub") as f:
                    self.assertTrue(f.read().startswith("-----BEGIN PUBLIC KEY-----"))
                text = eialib.sh("openssl pkey -in '%s.key' -noout -text" % prefix).stdout
                self.assertIn(OPENSSL_TYPE[alg], text.decode())
                self.assertEqual(keyid, openssl_keyid(prefix + ".pub"))
                rc, out, _ = self.eia("keyid", prefix + ".pub")
                self.assertEqual((rc, out.strip()), (0, keyid))

    def test_default_algorithm_is_ed25519(self):
        prefix = self.path("k")
        rc, out, err = self.eia("keygen", "-o", prefix, "--no-passphrase")
        self.assertEqual(rc, 0, err)
        text = eialib.sh("openssl pkey -in '%s.key' -noout -text" % prefix).stdout
        self.assertIn("ED25519", text.decode())

    def test_refuses_to_overwrite_private_key(self):
        prefix, _ = self.keygen("k")
        with open(prefix + ".key", "rb") as f:
            before = f.read()
        self.assertExit(self.eia("keygen", "-o", prefix, "--no-passphrase"), 2,
                        "already exists")
        with open(prefix + ".key", "rb") as f:
            self.assertEqual(f.read(), before)

    def test_keyid_of_openssl_key(self):
        eialib.sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 "
                  "-out '%s'" % self.path("o.key"))
        eialib.sh("openssl pkey -in '%s' -pubout -out '%s'"
                  % (self.path("o.key"), self.path("o.pub")))
        rc, out, _ = self.eia("keyid", self.path("o.pub"))
        self.assertEqual(rc, 0)
        self.assertEqual(out.strip(), openssl_keyid(self.path("o.pub")))

    def test_keyid_refuses_rsa_2048_and_garbage(self):
        eialib.sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
                  "-out '%s'" % self.path("r.key"))
        eialib.sh("openssl pkey -in '%s' -pubout -out '%s'"
                  % (self.path("r.key"), self.path("r.pub")))
        self.assertExit(self.eia("keyid", self.path("r.pub")), 2, "unsupported key type")
        self.write("junk.pub", "not a key\n")
        self.assertExit(self.eia("keyid", self.path("junk.pub")), 2)

    def test_unknown_algorithm_is_usage_error(self):
        self.assertExit(self.eia("keygen", "-o", self.path("k"), "--algorithm",
                                 "dsa", "--no-passphrase"), 2, "unknown algorithm")

    def test_help(self):
        for cmd in ("keygen", "keyid", "sign", "verify"):
            rc, out, _ = self.eia(cmd, "--help")
            self.assertEqual(rc, 0)
            self.assertIn("usage: eia " + cmd, out)


class PassphraseTest(eialib.EiaTest):

    def test_passphrase_file_encrypts_and_signs(self):
        pw = self.write("pw.txt", "correct horse battery\nignored\n", 0o600)
        prefix = self.path("enc")
        rc, out, err = self.eia("keygen", "-o", prefix, "--passphrase-file", pw)
        self.assertEqual(rc, 0, err)
        with open(prefix + ".key") as f:
            self.assertTrue(f.read().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        eialib.sh("openssl pkey -in '%s.key' -passin pass:'correct horse battery' "
                  "-noout" % prefix)
        doc = self.write("doc.txt", "x")
        rc, out, err = self.eia("sign", "-k", prefix + ".key", "--passphrase-file", pw, doc)
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("signed " + doc + " with key "), out)
        self.assertTrue(os.path.exists(doc + ".sig"))

    def test_env_passphrase(self):
        prefix = self.path("env")
        env = {"EIA_PASSPHRASE": "from the environment"}
        rc, _, err = self.eia("keygen", "-o", prefix, env=env)
        self.assertEqual(rc, 0, err)
        eialib.sh("openssl pkey -in '%s.key' -passin 'pass:from the environment' "
                  "-noout" % prefix)
        doc = self.write("doc.txt", "x")
        rc, _, err = self.eia("sign", "-k", prefix + ".key", doc, env=env)
        self.assertEqual(rc, 0, err)

    def test_wrong_passphrase(self):
        prefix = self.path("enc")
        self.assertEqual(self.eia("keygen", "-o", prefix,
                                  env={"EIA_PASSPHRASE": "right"})[0], 0)
        doc = self.write("doc.txt", "x")
        self.assertExit(self.eia("sign", "-k", prefix + ".key", doc,
                                 env={"EIA_PASSPHRASE": "wrong"}), 2,
                        "wrong passphrase or corrupt key")
        self.assertFalse(os.path.exists(doc + ".sig"))

    def no_tty(self, args):
        env = dict(os.environ)
        env.pop("EIA_PASSPHRASE", None)
        p = subprocess.run([eialib.EIA] + args, stdin=subprocess.DEVNULL,
                           capture_output=True, env=env, timeout=30,
                           start_new_session=True)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def test_no_passphrase_source_and_no_terminal_fails_fast(self):
        prefix = self.path("k")
        self.assertExit(self.no_tty(["keygen", "-o", prefix]), 2, "no passphrase")
        self.assertFalse(os.path.exists(prefix + ".key"))
        self.assertEqual(self.eia("keygen", "-o", prefix,
                                  env={"EIA_PASSPHRASE": "pw"})[0], 0)
        doc = self.write("doc.txt", "x")
        self.assertExit(self.no_tty(["sign", "-k", prefix + ".key", doc]), 2,
                        "no passphrase")

    def test_unencrypted_key_needs_no_passphrase(self):
        prefix, _ = self.keygen("plain")
        doc = self.write("doc.txt", "x")
        rc, _, err = self.no_tty(["sign", "-k", prefix + ".key", doc])
        self.assertEqual(rc, 0, err)

    def test_group_readable_key_refused(self):
        prefix, _ = self.keygen("k")
        os.chmod(prefix + ".key", 0o640)
        doc = self.write("doc.txt", "x")
        self.assertExit(self.eia("sign", "-k", prefix + ".key", doc), 2,
                        "accessible by group or others")

    def test_passphrase_options_exclusive(self):
        pw = self.write("pw.txt", "x\n")
        self.assertExit(self.eia("keygen", "-o", self.path("k"), "--no-passphrase",
                                 "--passphrase-file", pw), 2)


def run_on_tty(args, answers, timeout=30):
    """Runs eia on a fresh pseudo-terminal, typing each answer after a
    passphrase prompt; returns (exit code, everything the terminal showed)."""
    pid, fd = pty.fork()
    if pid == 0:
        env = dict(os.environ)
        env.pop("EIA_PASSPHRASE", None)
        os.execve(eialib.EIA, [eialib.EIA] + args, env)
    shown, pending, deadline = b"", list(answers), time.time() + timeout
    sent = 0
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        shown += data
        prompts = shown.count(b"assphrase: ") + shown.count(b"assphrase again: ")
        if pending and prompts > sent and shown.endswith(b": "):
            answer = pending.pop(0)
            os.write(fd, answer if answer.startswith(b"\x03") else answer + b"\n")
            sent += 1
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown.decode("utf-8", "replace")


class TerminalTest(eialib.EiaTest):

    def test_terminal_passphrase_confirmed_and_not_echoed(self):
        prefix = self.path("tty")
        rc, shown = run_on_tty(["keygen", "-o", prefix], [b"tty secret", b"tty secret"])
        self.assertEqual(rc, 0, shown)
        self.assertNotIn("tty secret", shown)
        self.assertIn("Passphrase again:", shown)
        eialib.sh("openssl pkey -in '%s.key' -passin 'pass:tty secret' -noout" % prefix)
        doc = self.write("doc.txt", "x")
        rc, shown = run_on_tty(["sign", "-k", prefix + ".key", doc], [b"tty secret"])
        self.assertEqual(rc, 0, shown)

    def test_interrupt_at_prompt_fails_cleanly(self):
        prefix = self.path("tty")
        rc, shown = run_on_tty(["keygen", "-o", prefix], [b"\x03"])
        self.assertEqual(rc, 2, shown)
        self.assertIn("interrupted", shown)
        self.assertFalse(os.path.exists(prefix + ".key"))

    def test_terminal_passphrases_must_match(self):
        prefix = self.path("tty")
        rc, shown = run_on_tty(["keygen", "-o", prefix], [b"one", b"two"])
        self.assertEqual(rc, 2, shown)
        self.assertIn("do not match", shown)
        self.assertFalse(os.path.exists(prefix + ".key"))


class SignTest(eialib.EiaTest):

    def read_sig(self, path):
        with open(path) as f:
            return f.read()

    def test_sign_appends_and_replaces(self):
        a, ida = self.keygen("a")
        b, idb = self.keygen("b", "ecdsa-p256")
        doc = self.write("m.yaml", "eia-manifest: 1\n")
        rc, out, err = self.eia("sign", "-k", a + ".key", doc)
        self.assertEqual(rc, 0, err)
        self.assertIn(ida, out)
        self.assertIn(doc + ".sig", out)
        self.assertEqual(self.eia("sign", "-k", b + ".key", doc)[0], 0)
        first = self.read_sig(doc + ".sig")
        self.assertTrue(first.startswith("eia-signatures: 1\nsignatures:\n  - key: " + ida))
        self.assertEqual(first.count("  - key: "), 2)
        self.assertLess(first.index(ida), first.index(idb))
        # re-signing with a replaces its entry in place (ECDSA is randomised)
        self.assertEqual(self.eia("sign", "-k", b + ".key", doc)[0], 0)
        self.assertEqual(self.eia("sign", "-k", a + ".key", doc)[0], 0)
        again = self.read_sig(doc + ".sig")
        self.assertEqual(again.count("  - key: "), 2)
        self.assertLess(again.index(ida), again.index(idb))
        self.assertIn("    algorithm: ecdsa-p256\n", again)

    def test_sign_refuses_malformed_sig_file(self):
        a, _ = self.keygen("a")
        doc = self.write("m.yaml", "x")
        self.write("m.yaml.sig", "eia-signatures: 1\nsignatures: nope\n")
        self.assertExit(self.eia("sign", "-k", a + ".key", doc), 2, "m.yaml.sig:2:13")

    def test_sign_missing_file(self):
        a, _ = self.keygen("a")
        self.assertExit(self.eia("sign", "-k", a + ".key", self.path("absent")), 2)


if __name__ == "__main__":
    eialib.main()
