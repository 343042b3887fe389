"""End to end: the archive box's limits. Depth, entry count, decompressed
bytes and ratio are enforced with limit-exceeded findings; a 4 GiB
decompression bomb is stopped in well under a minute with bounded memory;
corrupt or truncated archives of every format give malformed findings while
the rest of the audit is still done; a 200,000-entry archive finishes in
bounded time. Measurements are printed to stderr (EIA-MEASURE lines)."""
import gzip
import os
import subprocess
import sys
import tarfile
import time
import zlib

import eialib
from test_archives import ArchiveCase, gz, package_files, tar_bytes, zip_bytes, have


def measure(args, timeout=600):
    """Runs eia under /usr/bin/time -v when present; returns
    (rc, stdout, stderr, seconds, peak RSS in KiB or None)."""
    cmd = [eialib.EIA] + [str(a) for a in args]
    timed = os.path.exists("/usr/bin/time")
    if timed:
        cmd = ["/usr/bin/time", "-v"] + cmd
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    secs = time.monotonic() - t0
    err = p.stderr.decode("utf-8", "replace")
    rss = None
    if timed:
        keep = []
        for line in err.splitlines():
            if line.startswith("\t") or line.startswith("Command "):
                if "Maximum resident set size" in line:
                    rss = int(line.split(":")[-1])
            else:
                keep.append(line)
        err = "\n".join(keep)
    return p.returncode, p.stdout.decode("utf-8", "replace"), err, secs, rss


def report_measure(what, secs, rss):
    sys.stderr.write("EIA-MEASURE %s: %.2f s, peak RSS %s\n"
                     % (what, secs, "%d KiB" % rss if rss else "n/a"))


def zero_bomb(path, size=4 << 30, block=64 << 20):
    """A tar.gz of one member of `size` zero bytes, written without ever
    holding or writing the zeros: the gzip stream of one block of zeros is
    repeated (gzip members concatenate)."""
    ti = tarfile.TarInfo("x")
    ti.size = size
    ti.mode = 0o644
    ti.mtime = 1700000000
    zero = gzip.compress(bytes(block), compresslevel=9, mtime=0)
    with open(path, "wb") as f:
        f.write(gzip.compress(ti.tobuf(tarfile.GNU_FORMAT), mtime=0))
        for _ in range(size // block):
            f.write(zero)
        f.write(gzip.compress(bytes(1024 + 9216), mtime=0))


def many_entries_tar(path, n, changed=None):
    """A tar.gz of n empty members f0000000..., built from one header
    template (fast); member `changed` gets one byte of content."""
    tmpl = bytearray(tarfile.TarInfo("x").tobuf(tarfile.USTAR_FORMAT)[:512])
    tmpl[0:100] = bytes(100)
    tmpl[148:156] = b" " * 8  # the checksum is summed with its field as spaces
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)
    with open(path, "wb") as f:
        out = []
        for i in range(n):
            h = bytearray(tmpl)
            name = b"d%03d/f%07d" % (i // 1000, i)
            h[0:len(name)] = name
            data = b""
            if i == changed:
                data = b"!"
                h[124:136] = b"%011o\0" % 1
            h[148:156] = b"%06o\0 " % sum(h)
            out.append(bytes(h))
            if data:
                out.append(data + bytes(511))
            if len(out) >= 4096:
                f.write(comp.compress(b"".join(out)))
                out = []
        out.append(bytes(10240))
        f.write(comp.compress(b"".join(out)))
        f.write(comp.flush())


class DepthTest(ArchiveCase):

    def nested(self, x):
        l2 = tar_bytes([("bin/x", x)])
        l1 = zip_bytes({"l2.tar": l2})
        return gz(tar_bytes([("l1.zip", l1)]))

    def test_max_depth_1_with_two_levels(self):
        self.put("p.tar.gz", self.nested(b"certified\n"))
        m, _ = self.baseline()
        self.put("p.tar.gz", self.nested(b"tampered\n"))
        rc, rep = self.audit(m, code=1)
        self.assertIn(("modified", "p.tar.gz", ("l1.zip", "l2.tar", "bin/x")), self.kinds(rep))
        rc, rep = self.audit(m, "--max-depth", "1", code=1)
        self.assertEqual(self.kinds(rep), sorted([
            ("modified", "p.tar.gz", ()), ("modified", "p.tar.gz", ("l1.zip",)),
            ("modified", "p.tar.gz", ("l1.zip", "l2.tar")),
            ("limit-exceeded", "p.tar.gz", ("l1.zip", "l2.tar"))]))
        f = self.find(rep, "limit-exceeded", "p.tar.gz", ("l1.zip", "l2.tar"))
        self.assertIn("max-depth", f["message"])

    def test_default_depth_is_4(self):
        def nest(x, levels):
            data = tar_bytes([("bin/x", x)])
            for i in range(levels):
                data = tar_bytes([("l%d.tar" % i, data)])
            return data
        self.put("p.tar", nest(b"certified\n", 6))
        m, _ = self.baseline()
        with open(m) as f:
            text = f.read()
        # p.tar > l5 > l4 > l3 > l2 are followed; l1.tar, 5 levels down, is a file
        self.assertIn('path: "l2.tar"\n', text)
        self.assertIn('{path: "l1.tar", type: file', text)
        self.put("p.tar", nest(b"tampered\n", 6))
        rc, rep = self.audit(m, code=1)
        chain = ("l5.tar", "l4.tar", "l3.tar", "l2.tar", "l1.tar")
        self.assertEqual(self.kinds(rep), [("modified", "p.tar", chain[:i])
                                           for i in range(len(chain) + 1)])
        rc, rep = self.audit(m, "--max-depth", "2", code=1)
        self.assertEqual(self.kinds(rep), sorted(
            [("modified", "p.tar", chain[:i]) for i in range(4)] +
            [("limit-exceeded", "p.tar", chain[:3])]))


class EntriesTest(ArchiveCase):

    def members(self, changed):
        return [("f%03d" % i, b"%d %s" % (i, b"changed" if i == changed else b""))
                for i in range(100)]

    def test_max_entries(self):
        self.put("p.tar.gz", gz(tar_bytes(self.members(None))))
        m, _ = self.baseline()
        self.put("p.tar.gz", gz(tar_bytes(self.members(42))))
        rc, rep = self.audit(m, code=1)
        self.assertEqual(self.kinds(rep), [("modified", "p.tar.gz", ()),
                                           ("modified", "p.tar.gz", ("f042",))])
        rc, rep = self.audit(m, "--max-entries", "10", code=1)
        # a partial listing must not invent member-missing findings
        self.assertEqual(self.kinds(rep), [("limit-exceeded", "p.tar.gz", ()),
                                           ("modified", "p.tar.gz", ())])
        f = self.find(rep, "limit-exceeded", "p.tar.gz")
        self.assertIn("10 entries", f["message"])

    def test_200000_entries(self):
        n = 200000
        many_entries_tar(self.path("root", "big.tar.gz"), n)
        rc, out, err, secs, rss = measure(["baseline", "--root", self.root, "-o",
                                           self.path("big.yaml"), "--name", "big",
                                           "--serial", 1])
        report_measure("baseline of a %d-entry tar.gz" % n, secs, rss)
        self.assertEqual(rc, 0, err)
        m = self.path("big.yaml")
        rc, out, err = self.eia("sign", "-k", self.key + ".key", m)
        self.assertEqual(rc, 0, err)
        many_entries_tar(self.path("root", "big.tar.gz"), n, changed=123456)
        rc, out, err, secs, rss = measure(["audit", "--manifest", m, "--trust", self.trust,
                                           "--root", self.root, "--json"])
        report_measure("audit of a drifted %d-entry tar.gz" % n, secs, rss)
        self.assertEqual(rc, 1, err)
        self.assertLess(secs, 120)
        rep = eialib.load_json(out)
        kinds = self.kinds(rep)
        self.assertIn(("modified", "big.tar.gz", ()), kinds)
        self.assertTrue(("modified", "big.tar.gz", ("d123/f0123456",)) in kinds or
                        "limit-exceeded" in {k for k, _, _ in kinds}, kinds)
        self.assertLessEqual(len(kinds), 2)


class BombTest(ArchiveCase):

    def setUp(self):
        super().setUp()
        self.put("pkg/p.tar.gz", gz(tar_bytes([("x", b"small\n")])))
        self.put("etc/other.conf", b"other\n")
        self.manifest, _ = self.baseline()
        zero_bomb(self.path("root", "pkg", "p.tar.gz"))
        self.put("etc/other.conf", b"tampered\n")

    def audit_bomb(self, *extra):
        rc, out, err, secs, rss = measure(["audit", "--manifest", self.manifest, "--trust",
                                           self.trust, "--root", self.root, "--json"] +
                                          list(extra))
        self.assertEqual(rc, 1, err)
        rep = eialib.load_json(out)
        # the rest of the audit was still done
        self.find(rep, "modified", "etc/other.conf")
        self.find(rep, "modified", "pkg/p.tar.gz")
        return rep, secs, rss

    def test_4gib_zero_bomb_ratio(self):
        self.assertLess(os.path.getsize(self.path("root", "pkg", "p.tar.gz")), 8 << 20)
        rep, secs, rss = self.audit_bomb()
        report_measure("audit of a 4 GiB tar.gz zero bomb", secs, rss)
        self.assertLess(secs, 60)
        if rss is not None:
            self.assertLess(rss, 256 << 10)
        f = self.find(rep, "limit-exceeded", "pkg/p.tar.gz")
        self.assertIn("ratio", f["message"])
        self.assertEqual(len(rep["findings"]), 3, rep["findings"])

    def test_max_bytes(self):
        rep, secs, rss = self.audit_bomb("--max-ratio", "1000000", "--max-bytes", "100000000")
        report_measure("audit of the bomb with --max-bytes 1e8", secs, rss)
        f = self.find(rep, "limit-exceeded", "pkg/p.tar.gz")
        self.assertIn("max-bytes", f["message"])
        self.assertLess(secs, 60)


class CorruptTest(ArchiveCase):
    """Truncated or damaged archives: malformed, exit 1, the rest still done."""

    def check(self, fmt, damage):
        names, files = package_files(fmt)
        files[names["bin"]] = os.urandom(200000)  # data that spans the cut
        p = self.build(fmt, "pkg/p." + fmt, files)
        self.put("etc/other.conf", b"other\n")
        self.put("etc/same.conf", b"same\n")
        m, _ = self.baseline()
        with open(p, "rb") as f:
            data = f.read()
        with open(p, "wb") as f:
            f.write(damage(data))
        self.put("etc/other.conf", b"tampered\n")
        rc, rep = self.audit(m, code=1)
        rel = "pkg/p." + fmt
        self.find(rep, "malformed", rel)
        self.find(rep, "modified", rel)
        self.find(rep, "modified", "etc/other.conf")
        self.assertEqual(self.entry(rep, "etc/same.conf")["status"], "ok")
        self.assertNotIn("member-missing", {f["kind"] for f in rep["findings"]})

    def truncate(self, fmt):
        # iso9660 ends in padding: cut inside the file data instead
        self.check(fmt, lambda d: d[:100000] if fmt == "iso" else d[:len(d) // 2])

    def test_truncated_tar_gz(self):
        self.truncate("tar.gz")

    def test_truncated_tar_xz(self):
        self.truncate("tar.xz")

    def test_truncated_zip(self):
        self.truncate("zip")

    def test_truncated_cpio(self):
        self.truncate("cpio")

    def test_truncated_odc_cpio(self):
        self.truncate("odc.cpio")

    def test_truncated_iso(self):
        self.truncate("iso")

    def test_truncated_7z(self):
        if not have("7z"):
            self.skipTest("7z missing")
        self.truncate("7z")

    def test_truncated_ar(self):
        self.truncate("ar")

    def flip(self, d):
        i = len(d) // 2
        return d[:i] + bytes(b ^ 0x55 for b in d[i:i + 64]) + d[i + 64:]

    def test_corrupt_tar_xz(self):
        self.check("tar.xz", self.flip)

    def test_corrupt_zip(self):
        self.check("zip", self.flip)

    def test_corrupt_7z(self):
        if not have("7z"):
            self.skipTest("7z missing")
        self.check("7z", self.flip)

    def test_corrupt_nested_zip(self):
        inner = zip_bytes({"bin/x": os.urandom(5000)})
        self.put("p.tar.gz", gz(tar_bytes([("in.zip", inner)])))
        m, _ = self.baseline()
        bad = inner[:len(inner) // 2] + bytes(b ^ 0x55 for b in inner[len(inner) // 2:][:64]) + \
            inner[len(inner) // 2 + 64:]
        self.put("p.tar.gz", gz(tar_bytes([("in.zip", bad)])))
        rc, rep = self.audit(m, code=1)
        self.find(rep, "malformed", "p.tar.gz", ("in.zip",))
        self.find(rep, "modified", "p.tar.gz", ("in.zip",))


if __name__ == "__main__":
    eialib.main()
