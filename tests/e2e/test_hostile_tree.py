"""Hostile target trees: FIFOs, sockets and device nodes (never opened),
symlink loops and symlinks out of the root (never followed), very long paths,
directories deeper than the walk's limit, unreadable files and directories,
files that change or vanish while being audited, and hostile names.

Every case: exact exit code, the finding kinds expected, bounded time."""
import hashlib
import json
import os
import random
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eialib  # noqa: E402
import hostile_lib  # noqa: E402
from hostile_lib import note  # noqa: E402


def sha(data):
    return hashlib.sha256(data).hexdigest()


class TreeBase(hostile_lib.SignedFixture):

    def baseline(self, root=None, name="m.yaml", extra=(), serial=1):
        m = self.path(name)
        rc, out, err = eialib.run(["baseline", "--root", root or self.root, "-o", m, "--name",
                                   "tree", "--serial", serial] + list(extra), timeout=300)
        self.assertEqual(rc, 0, err)
        rc, out, err = eialib.run(["sign", "-k", self.key + ".key", m])
        self.assertEqual(rc, 0, err)
        return m

    def manifest(self, entries, unlisted="fail", name="m.yaml"):
        text = ("eia-manifest: 1\nname: tree\nserial: 1\npolicy: {unlisted: %s}\nentries:\n"
                % unlisted) + "".join("  - %s\n" % e for e in entries)
        return self.signed(text, name=name)

    def audit_json(self, m, code, root=None, timeout=60, extra=()):
        rc, out, err = self.audit(m, root=root, extra=["--json"] + list(extra), timeout=timeout)
        self.assertEqual(rc, code, "exit %d stderr=%r stdout=%s" % (rc, err[:500], out[:1500]))
        if code in (2, 3):
            self.assertOneError((rc, out, err), code, None)
            return None
        return json.loads(out)

    def findings(self, rep):
        return sorted((f["kind"], f["path"]) for f in rep["findings"])

    def file_entry(self, path, data, type_="file"):
        return "{path: %s, type: %s, size: %d, sha256: %s}" % (json.dumps(path), type_, len(data),
                                                                 sha(data))


class SpecialFilesTest(TreeBase):
    """FIFOs, sockets and devices are recorded by type, never opened."""

    def test_fifo_unlisted_and_in_place_of_file_archive_firmware(self):
        m = self.manifest([self.file_entry("app.bin", b"certified\n"),
                           self.file_entry("pkg.tar", b"tar", "archive"),
                           self.file_entry("fw.bin", b"fw", "firmware")])
        for p in ("pkg.tar", "fw.bin", "extra.fifo"):
            os.mkfifo(os.path.join(self.root, p))
        t0 = time.monotonic()
        rep = self.audit_json(m, 1, timeout=20)
        self.assertLess(time.monotonic() - t0, 20)
        self.assertEqual(self.findings(rep), [("type-changed", "fw.bin"),
                                              ("type-changed", "pkg.tar"),
                                              ("unlisted", "extra.fifo")])
        for f in rep["findings"]:
            self.assertEqual(f["actual"]["type"], "fifo")

    def test_socket(self):
        m = self.manifest([self.file_entry("app.bin", b"certified\n"),
                           self.file_entry("ctl", b"x")])
        socks = []
        for p in ("ctl", "extra.sock"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(os.path.join(self.root, p))
            s.listen(1)
            socks.append(s)
        try:
            rep = self.audit_json(m, 1, timeout=20)
        finally:
            for s in socks:
                s.close()
        self.assertEqual(self.findings(rep), [("type-changed", "ctl"), ("unlisted", "extra.sock")])
        for f in rep["findings"]:
            self.assertEqual(f["actual"]["type"], "socket")

    def test_char_device_unlisted_and_in_place_of_file(self):
        if not hostile_lib.is_root():
            self.skipTest("mknod needs root")
        m = self.manifest([self.file_entry("app.bin", b"certified\n"),
                           self.file_entry("config.ini", b"x")])
        try:
            os.mknod(os.path.join(self.root, "config.ini"), stat.S_IFCHR | 0o644, os.makedev(1, 5))
            os.mknod(os.path.join(self.root, "null"), stat.S_IFCHR | 0o644, os.makedev(1, 3))
        except PermissionError:
            self.skipTest("mknod not permitted here")
        rep = self.audit_json(m, 1, timeout=20)
        self.assertEqual(self.findings(rep), [("type-changed", "config.ini"), ("unlisted", "null")])
        for f in rep["findings"]:
            self.assertEqual(f["actual"]["type"], "char-device")

    # regression: a firmware entry admits a char/block device in its place and
    # hash_fd() used to read it to EOF, so media that swapped a firmware image
    # for a /dev/zero node (c 1 5) hung the audit forever.
    def test_device_in_place_of_firmware_image(self):
        if not hostile_lib.is_root():
            self.skipTest("mknod needs root")
        data = os.urandom(4096)
        m = self.manifest([self.file_entry("app.bin", b"certified\n"),
                           self.file_entry("fw.bin", data, "firmware")])
        os.mknod(os.path.join(self.root, "fw.bin"), stat.S_IFCHR | 0o644, os.makedev(1, 5))
        rep = self.audit_json(m, 1, timeout=10)
        kinds = {k for k, p in self.findings(rep)}
        self.assertTrue(kinds & {"type-changed", "modified", "limit-exceeded"}, rep["findings"])

    def test_device_in_place_of_firmware_image_dev_null(self):
        """/dev/null equivalent in place of a firmware image: at least drift."""
        if not hostile_lib.is_root():
            self.skipTest("mknod needs root")
        data = os.urandom(4096)
        m = self.manifest([self.file_entry("app.bin", b"certified\n"),
                           self.file_entry("fw.bin", data, "firmware")])
        os.mknod(os.path.join(self.root, "fw.bin"), stat.S_IFCHR | 0o644, os.makedev(1, 3))
        rep = self.audit_json(m, 1, timeout=20)
        self.assertEqual([k for k, p in self.findings(rep)][:1][0] in
                         ("type-changed", "modified"), True, rep["findings"])

    def test_fifo_swapped_in_during_audits(self):
        """A listed file flips between a regular file and a FIFO while audits
        run: every audit ends (no open blocks), exit 0 or 1, finding kinds
        only type-changed/unreadable/modified/missing."""
        for i in range(300):
            self.write("root/many/f%03d" % i, "file %d\n" % i)
        m = self.baseline()
        target = os.path.join(self.root, "many", "f150")
        stop = threading.Event()

        def flip():
            fifo = target + ".fifo"
            reg = target + ".reg"
            with open(reg, "w") as f:
                f.write("file 150\n")
            while not stop.is_set():
                try:
                    os.mkfifo(fifo)
                    os.rename(fifo, target)
                    os.link(reg, reg + ".x")
                    os.rename(reg + ".x", target)
                except FileExistsError:
                    pass
            os.remove(reg)

        th = threading.Thread(target=flip)
        th.start()
        seen = set()
        try:
            for _ in range(15):
                rc, out, err = self.audit(m, extra=["--json", "--jobs", "4"], timeout=20)
                self.assertIn(rc, (0, 1), err)
                rep = json.loads(out)
                for f in rep["findings"]:
                    seen.add(f["kind"])
                    self.assertIn(f["kind"], ("type-changed", "unreadable", "modified",
                                              "missing", "unlisted"), f)
        finally:
            stop.set()
            th.join()
        note("FIFO flip race: finding kinds seen", sorted(seen))


class SymlinkTest(TreeBase):
    """Symlinks are recorded as symlinks and never followed."""

    def setUp(self):
        super().setUp()
        with open("/etc/passwd", "rb") as f:
            self.passwd_sha = sha(f.read())

    def assertNeverRead(self, out):
        self.assertNotIn(self.passwd_sha, out)

    def test_symlink_loop(self):
        m = self.manifest([self.file_entry("app.bin", b"certified\n"),
                           self.file_entry("a", b"x")])
        os.symlink("b", os.path.join(self.root, "a"))
        os.symlink("a", os.path.join(self.root, "b"))
        os.symlink("self", os.path.join(self.root, "self"))
        rep = self.audit_json(m, 1, timeout=20)
        self.assertEqual(self.findings(rep), [("type-changed", "a"), ("unlisted", "b"),
                                              ("unlisted", "self")])
        self.assertEqual(rep["findings"][0]["actual"]["type"], "symlink")

    def test_symlink_to_outside_where_a_file_is_listed(self):
        with open("/etc/passwd", "rb") as f:
            data = f.read()
        m = self.manifest([self.file_entry("app.bin", b"certified\n"),
                           self.file_entry("passwd", data)])
        os.symlink("/etc/passwd", os.path.join(self.root, "passwd"))
        rc, out, err = self.audit(m, extra=["--json"], timeout=20)
        self.assertEqual(rc, 1, err)
        rep = json.loads(out)
        self.assertEqual(self.findings(rep), [("type-changed", "passwd")])
        by = {e["path"]: e for e in rep["entries"]}
        self.assertNotIn("sha256", by["passwd"])
        # the expected digest is that of /etc/passwd: it may appear as
        # "expected", never as an actual or entry digest
        self.assertNotIn("sha256", rep["findings"][0].get("actual") or {})

    def test_symlinked_directory_component(self):
        """root/etc -> /etc with the manifest listing etc/passwd: never hashed
        through the link."""
        m = self.manifest([self.file_entry("app.bin", b"certified\n"),
                           "{path: etc, type: dir}",
                           self.file_entry("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
                           "{path: etc/shadow, type: file, class: dynamic}"])
        os.symlink("/etc", os.path.join(self.root, "etc"))
        rc, out, err = self.audit(m, extra=["--json"], timeout=20)
        self.assertEqual(rc, 1, err)
        self.assertNeverRead(out)
        rep = json.loads(out)
        got = self.findings(rep)
        self.assertIn(("type-changed", "etc"), got)
        for path in ("etc/passwd", "etc/shadow"):
            kinds = [k for k, p in got if p == path]
            self.assertTrue(kinds and set(kinds) <= {"missing", "type-changed", "unreadable"}, got)
        by = {e["path"]: e for e in rep["entries"]}
        self.assertNotIn("sha256", by["etc/passwd"])
        self.assertNotIn("sha256", by["etc/shadow"])

    def test_symlink_swapped_for_directory_during_audits(self):
        """A directory flips to a symlink to /etc and back while audits run:
        /etc/passwd's digest never appears in any report."""
        self.write("root/etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        for i in range(200):
            self.write("root/etc/f%03d" % i, "x%d" % i)
        m = self.baseline()
        stop = threading.Event()
        d = os.path.join(self.root, "etc")

        def flip():
            while not stop.is_set():
                try:
                    os.rename(d, d + ".real")
                    os.symlink("/etc", d)
                    os.remove(d)
                    os.rename(d + ".real", d)
                except OSError:
                    pass

        th = threading.Thread(target=flip)
        th.start()
        try:
            for _ in range(15):
                rc, out, err = self.audit(m, extra=["--json", "--jobs", "4"], timeout=20)
                self.assertIn(rc, (0, 1), err)
                self.assertNeverRead(out)
        finally:
            stop.set()
            th.join()
            if not os.path.isdir(d) or os.path.islink(d):
                if os.path.lexists(d):
                    os.remove(d)
                os.rename(d + ".real", d)


class PathShapeTest(TreeBase):
    """Long names, long paths and directories past the walk's depth limit."""

    def long_tree(self, total):
        """Nested 255-byte names until the path reaches about `total` bytes."""
        parts = []
        while sum(len(p) + 1 for p in parts) + 256 <= total:
            parts.append(("d%d" % len(parts)).ljust(255, "x"))
        d = self.root
        fd = os.open(d, os.O_RDONLY)
        for p in parts:
            os.mkdir(p, dir_fd=fd)
            nfd = os.open(p, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        leaf = "f".ljust(255 - 1, "y") + "z"
        wfd = os.open(leaf, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd)
        os.write(wfd, b"deep content\n")
        os.close(wfd)
        os.close(fd)
        return "/".join(parts + [leaf])

    def modify_deep(self, rel):
        fd = os.open(self.root, os.O_RDONLY)
        for p in rel.split("/")[:-1]:
            nfd = os.open(p, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        wfd = os.open(rel.split("/")[-1], os.O_WRONLY | os.O_APPEND, dir_fd=fd)
        os.write(wfd, b"tampered\n")
        os.close(wfd)
        os.close(fd)

    def test_4000_byte_path_of_255_byte_names(self):
        rel = self.long_tree(4000)
        self.assertGreater(len(rel), 3800)
        m = self.baseline()
        rep = self.audit_json(m, 0)
        self.assertIn(rel, {e["path"] for e in rep["entries"]})
        self.modify_deep(rel)
        rep = self.audit_json(m, 1)
        self.assertEqual(self.findings(rep), [("modified", rel)])

    def test_path_longer_than_path_max(self):
        """Past PATH_MAX (4096) a path cannot be opened in one call: baseline
        and audit must give a clear error or finding, not crash or pass."""
        rel = self.long_tree(6000)
        self.assertGreater(len(rel), 4096)
        m = self.path("m.yaml")
        rc, out, err = eialib.run(["baseline", "--root", self.root, "-o", m, "--name", "t",
                                   "--serial", "1"], timeout=60)
        note("baseline of a 5,8xx-byte path: exit", rc)
        self.assertIn(rc, (0, 2), err)
        if rc == 2:
            self.assertOneError((rc, out, err), 2, None)
        # a hand-written manifest naming the long path
        m = self.manifest([self.file_entry("app.bin", b"certified\n"),
                           self.file_entry(rel, b"deep content\n")], unlisted="ignore")
        rc, out, err = self.audit(m, extra=["--json"], timeout=60)
        self.assertIn(rc, (0, 1, 2), err)
        note("audit of a 5,8xx-byte path: exit", rc)
        if rc == 1:
            rep = json.loads(out)
            self.assertTrue(set(k for k, p in self.findings(rep)) <= {"unreadable",
                                                                      "limit-exceeded"})
        self.modify_deep(rel)
        rc, out, err = self.audit(m, extra=["--json"], timeout=60)
        self.assertIn(rc, (1, 2), "a modified file past PATH_MAX must not pass: " + err)

    def test_names_of_255_utf8_bytes(self):
        names = ["\u0627" * 127 + "x", "\U0001F5F3" * 63 + "abc", "a" * 255]
        for n in names:
            self.assertEqual(len(n.encode()), 255)
            self.write(os.path.join("root", n), n)
        m = self.baseline()
        rep = self.audit_json(m, 0)
        self.assertTrue(set(names) <= {e["path"] for e in rep["entries"]})

    def chain(self, depth, name="d"):
        fd = os.open(self.root, os.O_RDONLY)
        for _ in range(depth):
            try:
                os.mkdir(name, dir_fd=fd)
            except FileExistsError:
                pass
            nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        return fd

    def test_300_levels_unlisted(self):
        m = self.baseline()
        os.close(self.chain(300))
        rep = self.audit_json(m, 1)
        got = self.findings(rep)
        self.assertIn(("unlisted", "d"), got)
        self.assertTrue({k for k, p in got} <= {"unlisted", "limit-exceeded"}, got[:3])
        note("300 unlisted levels: findings", "%d (deepest reported: %d levels)"
             % (len(got), max(p.count("/") + 1 for k, p in got)))

    def test_300_levels_listed(self):
        """A signed manifest naming all 300 levels: the walk stops at 256 and
        must say so (finding or exit 2), not crash."""
        os.close(self.chain(300))
        entries = [self.file_entry("app.bin", b"certified\n")]
        entries += ["{path: %s, type: dir}" % "/".join(["d"] * i) for i in range(1, 301)]
        m = self.manifest(entries)
        rc, out, err = self.audit(m, extra=["--json"], timeout=60)
        self.assertIn(rc, (1, 2), err)
        if rc == 1:
            rep = json.loads(out)
            kinds = {k for k, p in self.findings(rep)}
            self.assertTrue(kinds <= {"missing", "limit-exceeded", "unreadable"}, kinds)
            note("300 listed levels: finding kinds", sorted(kinds))

    # BUG(walk-errors-dropped): walk.c records ELOOP (depth limit) and
    # EACCES/EIO on a directory in node->error, but audit.c never reports
    # node->error: whatever lies past the limit is invisible, so an unlisted
    # file 258 levels down gives PASS. Want limit-exceeded (or unreadable).
    def test_file_hidden_past_the_depth_limit(self):
        os.close(self.chain(257))
        entries = [self.file_entry("app.bin", b"certified\n")]
        entries += ["{path: %s, type: dir}" % "/".join(["d"] * i) for i in range(1, 258)]
        m = self.manifest(entries)
        # past the walk's depth limit nothing is proven: never a pass
        rep = self.audit_json(m, 1)
        self.assertIn("limit-exceeded", {k for k, p in self.findings(rep)})
        fd = self.chain(257)
        os.close(os.open("malware", os.O_CREAT | os.O_WRONLY, 0o755, dir_fd=fd))
        os.close(fd)
        rep = self.audit_json(m, 1)
        self.assertTrue({k for k, p in self.findings(rep)} & {"limit-exceeded", "unreadable",
                                                              "unlisted"})

    def test_hostile_names_keep_reports_valid(self):
        """One file per byte value 1..255 (but '/'), newlines, escapes, a
        leading dash: JSON stays valid, non-UTF-8 names carry path_hex, and
        JUnit/SARIF/HTML outputs are written."""
        m = self.baseline()
        rootb = os.fsencode(self.root)
        for b in range(1, 256):
            if b in (ord("/"), ord(".")):
                continue
            with open(os.path.join(rootb, b"n" + bytes([b])), "wb") as f:
                f.write(b"x")
        for n in (b"-", b"--help", b"\xc0\xaf", b"\xed\xa0\x80", b"a\x1b[31mred",
                  b"<img src=x onerror=alert(1)>", b"\"],\"x\":[\"", b"\\u0000"):
            with open(os.path.join(rootb, n), "wb") as f:
                f.write(b"x")
        outs = {k: self.path("out." + k) for k in ("junit", "sarif", "html")}
        rp = self.path("r.json")
        rc, out, err = self.audit(m, extra=["--json", "--report", rp, "--junit", outs["junit"],
                                            "--sarif", outs["sarif"], "--html", outs["html"]])
        self.assertEqual(rc, 1, err)
        rep = json.loads(out)
        with open(rp) as f:
            self.assertEqual(json.load(f), rep)
        self.assertEqual(len(rep["findings"]), 253 + 8)
        for f in rep["findings"]:
            self.assertEqual(f["kind"], "unlisted")
            if "path_hex" in f:
                raw = bytes.fromhex(f["path_hex"])
                self.assertTrue(os.path.lexists(os.path.join(rootb, raw)))
        with open(outs["sarif"]) as f:
            json.load(f)
        import xml.dom.minidom
        xml.dom.minidom.parse(outs["junit"])
        self.assertGreater(os.path.getsize(outs["html"]), 0)


class UnreadableTest(TreeBase):
    """Runs the audit as uid 65534 (nobody) so permissions bite."""

    def setUp(self):
        super().setUp()
        if not hostile_lib.is_root():
            self.skipTest("needs root to drop to nobody")

    def audit_nobody(self, m, code):
        hostile_lib.open_to_nobody([self.tmp, m, m + ".sig", self.trust], self.tmp)
        rc, out, err = hostile_lib.as_nobody(
            [eialib.EIA, "audit", "--manifest", m, "--trust", self.trust, "--root", self.root,
             "--json"])
        if rc == 2 and "Permission denied" in err:
            self.skipTest("scratch dir not reachable by nobody: " + err)
        self.assertEqual(rc, code, err)
        return json.loads(out)

    def test_unreadable_file(self):
        self.write("root/secret.bin", "s", 0o600)
        os.chmod(self.root, 0o755)
        m = self.baseline()
        rep = self.audit_nobody(m, 1)
        self.assertEqual(self.findings(rep), [("unreadable", "secret.bin")])

    # BUG(walk-errors-dropped): a directory the auditor cannot read is listed
    # as a dir, but its content never appears: the files in it come out as
    # `missing` (not `unreadable`), and an unlisted file added inside it is
    # invisible.
    def test_unreadable_directory_reports_unreadable(self):
        self.write("root/vault/ballots.def", "b")
        os.chmod(self.path("root/vault"), 0o700)
        os.chmod(self.root, 0o755)
        m = self.baseline()
        rep = self.audit_nobody(m, 1)
        self.assertIn(("unreadable", "vault"), self.findings(rep))

    # BUG(walk-errors-dropped): PASS although the auditor could not look
    # inside vault/ and something was planted there.
    def test_unreadable_directory_never_passes(self):
        os.makedirs(self.path("root/vault"))
        os.chmod(self.path("root/vault"), 0o700)
        os.chmod(self.root, 0o755)
        m = self.baseline()
        self.write("root/vault/planted.sh", "evil", 0o755)
        os.chmod(self.path("root/vault"), 0o700)
        self.audit_nobody(m, 1)

    # BUG(walk-errors-dropped): fstatat() failing with EACCES makes a node of
    # type "unknown" (walk.c visit) and audit.c reports `type-changed` to
    # "unknown" instead of `unreadable`.
    def test_untraversable_directory(self):
        """Readable but not searchable (mode 0744 root-owned, audited by
        nobody): names can be listed but not stat'ed."""
        self.write("root/lib/libvote.so", "lib")
        os.chmod(self.path("root/lib"), 0o744)
        os.chmod(self.root, 0o755)
        m = self.baseline()
        hostile_lib.open_to_nobody([self.tmp, m, m + ".sig", self.trust], self.tmp)
        os.chmod(self.path("root/lib"), 0o744)
        rc, out, err = hostile_lib.as_nobody(
            [eialib.EIA, "audit", "--manifest", m, "--trust", self.trust, "--root", self.root,
             "--json"])
        self.assertEqual(rc, 1, err)
        rep = json.loads(out)
        kinds = {k for k, p in self.findings(rep) if p == "lib/libvote.so"}
        self.assertTrue(kinds and kinds <= {"unreadable", "missing"}, rep["findings"])


class ChangingTreeTest(TreeBase):
    """Files that change or vanish while the audit runs."""

    BIG = 200 << 20

    def make_big(self):
        p = os.path.join(self.root, "image.bin")
        block = os.urandom(1 << 20)
        with open(p, "wb") as f:
            for _ in range(self.BIG >> 20):
                f.write(block)
        return p

    def run_with(self, m, action, extra=()):
        """Runs action(stop_event) in a thread that starts just before the
        audit and keeps going while it runs (so the result does not depend on
        how fast this machine happens to be)."""
        stop = threading.Event()
        started = threading.Event()
        th = threading.Thread(target=action, args=(stop, started))
        args = [eialib.EIA, "audit", "--manifest", m, "--trust", self.trust, "--root",
                self.root, "--json"] + list(extra)
        th.start()
        started.wait(10)
        t0 = time.monotonic()
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
        try:
            out, err = p.communicate(timeout=120)
        finally:
            stop.set()
            th.join()
            if p.poll() is None:
                p.kill()
        secs = time.monotonic() - t0
        self.assertGreaterEqual(p.returncode, 0, "killed by signal %d: %r" % (-p.returncode, err))
        return p.returncode, out.decode(), err.decode(), secs

    def test_file_appended_while_hashed(self):
        big = self.make_big()
        m = self.baseline()

        def append(stop, started):
            with open(big, "ab") as f:
                chunk = b"A" * 65536
                while not stop.is_set():
                    f.write(chunk)
                    f.flush()
                    started.set()
                    time.sleep(0.001)

        rc, out, err, secs = self.run_with(m, append, extra=["--jobs", "1"])
        self.assertEqual(rc, 1, err)
        rep = json.loads(out)
        self.assertEqual(self.findings(rep), [("modified", "image.bin")])
        note("200 MB file appended during the audit: secs", "%.2f" % secs)

    def test_file_overwritten_in_place_while_hashed(self):
        big = self.make_big()
        m = self.baseline()

        def scribble(stop, started):
            rnd = random.Random(1)
            fd = os.open(big, os.O_WRONLY)
            try:
                while not stop.is_set():
                    started.set()
                    os.pwrite(fd, os.urandom(4096), rnd.randrange(0, self.BIG - 4096))
                    time.sleep(0.0005)
            finally:
                os.close(fd)

        rc, out, err, secs = self.run_with(m, scribble)
        self.assertEqual(rc, 1, err)
        self.assertEqual(self.findings(json.loads(out)), [("modified", "image.bin")])

    def test_file_truncated_while_hashed(self):
        big = self.make_big()
        m = self.baseline()

        def truncate(stop, started):
            started.set()
            time.sleep(0.02)
            os.truncate(big, 12345)

        rc, out, err, secs = self.run_with(m, truncate)
        self.assertEqual(rc, 1, err)
        rep = json.loads(out)
        self.assertEqual(self.findings(rep), [("modified", "image.bin")])

    def test_files_vanish_mid_audit(self):
        n = 20000
        paths = []
        for d in range(100):
            os.makedirs(self.path("root", "d%03d" % d))
            for i in range(n // 100):
                p = self.path("root", "d%03d" % d, "f%04d" % i)
                with open(p, "wb") as f:
                    f.write(b"%d\n" % i)
                paths.append(p)
        m = self.baseline()
        rnd = random.Random(5)
        rnd.shuffle(paths)
        deleted = []

        def vanish(stop, started):
            for p in paths[:100]:              # some are gone before the audit starts
                os.remove(p)
                deleted.append(p)
            started.set()
            for p in paths[100:]:
                if stop.is_set():
                    break
                os.remove(p)
                deleted.append(p)
            for d in range(0, 100, 10):           # and some whole directories
                shutil.rmtree(self.path("root", "d%03d" % d), ignore_errors=True)

        rc, out, err, secs = self.run_with(m, vanish, extra=["--jobs", "4"])
        self.assertTrue(deleted)
        self.assertEqual(rc, 1, err[:500])
        rep = json.loads(out)
        kinds = {}
        for f in rep["findings"]:
            kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
        # a file deleted between readdir and lstat comes out as type-changed
        # to "unknown" (BUG walk-errors-dropped, see test_untraversable_directory):
        # tolerated here because the race makes it nondeterministic
        for f in rep["findings"]:
            if f["kind"] == "type-changed":
                self.assertEqual(f["actual"]["type"], "unknown", f)
        self.assertTrue(set(kinds) <= {"missing", "unreadable", "type-changed"}, kinds)
        self.assertEqual(rep["summary"]["entries"], len(rep["entries"]))
        note("20,000 files vanishing mid-audit: %d deleted, findings %r, secs"
             % (len(deleted), kinds),
             "%.2f" % secs)
        self.assertLess(secs, 60)


class HostileArchiveTest(TreeBase):
    """Zip-slip names, overlapping zip entries and an absurd 7z folder count
    (cheap ones the archive suite is unlikely to have): findings only,
    nothing written anywhere."""

    def zip_with(self, path, members):
        with zipfile.ZipFile(path, "w") as z:
            for name, data in members:
                z.writestr(zipfile.ZipInfo(name), data)

    def test_zip_slip_names(self):
        zp = self.path("root/pkg.zip")
        self.zip_with(zp, [("usr/bin/tool", b"tool")])
        m = self.baseline()
        canary = os.path.join(os.path.dirname(self.tmp), "eia-zip-slip-canary")
        if os.path.exists(canary):
            os.remove(canary)
        self.zip_with(zp, [("usr/bin/tool", b"tool"), ("../../../../" + canary, b"pwned"),
                           (canary, b"pwned"), ("usr/../../x", b"x"), ("a//b", b"y"),
                           ("C:\\evil", b"z")])
        rc, out, err = self.audit(m, extra=["--json"], timeout=60)
        self.assertEqual(rc, 1, err)
        rep = json.loads(out)
        kinds = {f["kind"] for f in rep["findings"]}
        self.assertIn("modified", kinds)
        self.assertTrue(kinds <= {"modified", "member-unlisted", "malformed", "limit-exceeded"},
                        kinds)
        self.assertFalse(os.path.exists(canary))

    def test_7z_absurd_folder_count(self):
        """A 7z header declaring 99,999,999 folders in a 51-byte file: the
        archive box must refuse it (malformed/limit-exceeded), not allocate
        gigabytes or crash."""
        if shutil.which("bsdtar") is None:
            self.skipTest("bsdtar is needed to make the certified 7z")
        src = self.path("src")
        os.makedirs(src)
        with open(os.path.join(src, "a.txt"), "w") as f:
            f.write("hello\n")
        eialib.sh("bsdtar --format 7zip -cf %s a.txt" % self.path("root/pkg.7z"), cwd=src)
        m = self.baseline()
        import struct
        import zlib
        header = bytes([0x01,                    # kHeader
                        0x04,                    # kMainStreamsInfo
                        0x06, 0x00, 0x01,        # kPackInfo: pos 0, 1 stream
                        0x09, 0x01, 0x00,        # kSize 1, kEnd
                        0x07, 0x0B,              # kUnPackInfo, kFolder
                        0xE5, 0xFF, 0xE0, 0xF5,  # numFolders = 99,999,999
                        0x00, 0x01, 0x01, 0x00])
        start = struct.pack("<QQI", 1, len(header), zlib.crc32(header))
        data = (b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", zlib.crc32(start)) + start
                + b"\0" + header)
        with open(self.path("root/pkg.7z"), "wb") as f:
            f.write(data)
        rc, out, err, rss, secs = hostile_lib.run_rss(
            ["audit", "--manifest", m, "--trust", self.trust, "--root", self.root, "--json"])
        self.assertEqual(rc, 1, err)
        kinds = {f["kind"] for f in json.loads(out)["findings"]}
        self.assertIn("modified", kinds)
        self.assertTrue(kinds & {"malformed", "limit-exceeded"}, kinds)
        note("7z with 99,999,999 folders: peak RSS KiB / secs", "%d / %.2f" % (rss, secs))
        self.assertLess(rss, hostile_lib.RSS_LIMIT_KB)

    def test_zip_duplicate_member_names(self):
        """Two members with one name, the certified one first and a different
        one second (what an extractor writes last): flagged, never PASS."""
        import warnings
        zp = self.path("root/pkg.zip")
        self.zip_with(zp, [("usr/bin/tool", b"good tool\n")])
        m = self.baseline()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # zipfile warns about the duplicate
            self.zip_with(zp, [("usr/bin/tool", b"good tool\n"), ("usr/bin/tool", b"evil tool\n")])
        rep = self.audit_json(m, 1)
        got = {(f["kind"], tuple(f["member"])) for f in rep["findings"]}
        self.assertIn(("modified", ()), got)
        self.assertIn(("malformed", ("usr/bin/tool",)), got)

    def test_zip_overlapping_entries(self):
        """Two central-directory entries pointing at the same local header
        (a 'zip bomb' trick) and one whose data overlaps the directory."""
        zp = self.path("root/pkg.zip")
        self.zip_with(zp, [("a", b"A" * 1000)])
        m = self.baseline()
        import struct
        with open(zp, "rb") as f:
            data = bytearray(f.read())
        eocd = data.rfind(b"PK\x05\x06")
        cd_off = struct.unpack_from("<I", data, eocd + 16)[0]
        cd = bytes(data[cd_off:eocd])
        # duplicate the single central entry 1,000 times (same local header)
        entries = cd * 1000
        new = bytes(data[:cd_off]) + entries
        eocd_rec = bytearray(data[eocd:eocd + 22])
        struct.pack_into("<HHII", eocd_rec, 8, 1000, 1000, len(entries), cd_off)
        with open(zp, "wb") as f:
            f.write(new + bytes(eocd_rec))
        rc, out, err = self.audit(m, extra=["--json"], timeout=90)
        self.assertEqual(rc, 1, err)
        kinds = {f["kind"] for f in json.loads(out)["findings"]}
        self.assertIn("modified", kinds)
        self.assertTrue(kinds <= {"modified", "malformed", "limit-exceeded", "member-unlisted"},
                        kinds)


if __name__ == "__main__":
    eialib.main()
