"""End to end: firmware images. Whole-image, region and chunk digests are
computed in one pass; drift is localised to the named region and to the
chunk index (offset // chunk-size); truncation reports both sizes and the
missing chunks; a region past the end of the image is drift, not a crash."""
import hashlib
import json
import os
import stat
import time

import eialib

CHUNK = 65536
SIZE = 1 << 20
BOOT = 65536


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class FirmwareTest(eialib.EiaTest):

    def setUp(self):
        super().setUp()
        self.root = self.path("root")
        self.image = os.urandom(SIZE)
        self.fw = self.write("root/fw/ds200.bin", self.image, 0o644)
        self.key, self.keyid = self.keygen("k")
        self.trust = self.trust_store([{"prefix": self.key, "id": self.keyid}])

    def sign(self, m):
        rc, out, err = self.eia("sign", "-k", self.key + ".key", m)
        self.assertEqual(rc, 0, err)

    def manifest(self, regions, size=True, chunks=True):
        """A hand-written manifest for fw/ds200.bin with named regions
        [(name, offset, length, data)] and this image's chunk digests."""
        img = self.image
        lines = ["eia-manifest: 1", "name: ds200-firmware", "serial: 3",
                 "policy: {unlisted: fail}", "entries:",
                 "  - {path: fw, type: dir, mode: \"0755\"}",
                 "  - path: fw/ds200.bin", "    type: firmware"]
        if size:
            lines.append("    size: %d" % len(img))
        lines.append("    sha256: %s" % sha256(img))
        if regions:
            lines.append("    regions:")
            for name, off, length, data in regions:
                lines.append("      - {name: %s, offset: %d, length: %d, sha256: %s}"
                             % (name, off, length, sha256(data)))
        if chunks:
            lines.append("    chunk-size: %d" % CHUNK)
            lines.append("    chunks:")
            for i in range(0, len(img), CHUNK):
                lines.append("      - %s" % sha256(img[i:i + CHUNK]))
        m = self.path("fw.yaml")
        with open(m, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.sign(m)
        return m

    def named_regions(self):
        img = self.image
        return [("bootloader", 0, BOOT, img[:BOOT]),
                ("app", BOOT, SIZE - BOOT, img[BOOT:])]

    def audit(self, m, code):
        rc, out, err = self.eia("audit", "--manifest", m, "--trust", self.trust,
                                "--root", self.root, "--json")
        self.assertEqual(rc, code, "stdout=%s stderr=%s" % (out[:3000], err))
        return json.loads(out)

    def patch(self, offset, data):
        with open(self.fw, "r+b") as f:
            f.seek(offset)
            f.write(data)
        with open(self.fw, "rb") as f:
            return f.read()

    @staticmethod
    def where(rep):
        return sorted(((f["kind"], f["region"] or "", -1 if f["chunk"] is None else f["chunk"])
                       for f in rep["findings"]))

    def test_baseline_chunks(self):
        m = self.path("b.yaml")
        rc, out, err = self.eia("baseline", "--root", self.root, "-o", m, "--name", "fw",
                                "--serial", 1, "--firmware", "fw/*.bin",
                                "--chunk-size", CHUNK)
        self.assertEqual(rc, 0, err)
        with open(m) as f:
            text = f.read()
        self.assertIn("type: firmware", text)
        self.assertIn("chunk-size: %d" % CHUNK, text)
        want = [sha256(self.image[i:i + CHUNK]) for i in range(0, SIZE, CHUNK)]
        got = [l.strip()[2:] for l in text.splitlines() if l.startswith("      - ")]
        self.assertEqual(got, want)
        self.sign(m)
        rep = self.audit(m, 0)
        ent = [e for e in rep["entries"] if e["path"] == "fw/ds200.bin"][0]
        self.assertEqual(ent["sha256"], sha256(self.image))
        # the whole image matches: chunks are not read (one digest per byte)
        self.assertNotIn("chunks", ent)
        # a byte changed in chunk 7: whole and chunk 7
        off = 7 * CHUNK + 123
        new = self.patch(off, bytes([self.image[off] ^ 0xff]))
        rep = self.audit(m, 1)
        self.assertEqual(self.where(rep), [("modified", "", -1), ("modified", "", 7)])
        f = [f for f in rep["findings"] if f["chunk"] == 7][0]
        self.assertEqual(f["expected"]["sha256"], want[7])
        self.assertEqual(f["actual"]["sha256"], sha256(new[7 * CHUNK:8 * CHUNK]))

    def test_clean_with_regions(self):
        m = self.manifest(self.named_regions())
        rep = self.audit(m, 0)
        ent = [e for e in rep["entries"] if e["path"] == "fw/ds200.bin"][0]
        self.assertEqual(ent["status"], "ok")
        self.assertNotIn("chunks", ent)
        self.assertNotIn("regions", ent)

    def test_one_byte_in_app_region(self):
        m = self.manifest(self.named_regions())
        off = 300000
        new = self.patch(off, bytes([self.image[off] ^ 0x01]))
        rep = self.audit(m, 1)
        n = off // CHUNK
        self.assertEqual(self.where(rep), [("modified", "", -1), ("modified", "", n),
                                           ("modified", "app", -1)])
        by = {(f["region"], f["chunk"]): f for f in rep["findings"]}
        whole = by[(None, None)]
        self.assertEqual(whole["expected"]["sha256"], sha256(self.image))
        self.assertEqual(whole["actual"]["sha256"], sha256(new))
        self.assertEqual(whole["path"], "fw/ds200.bin")
        app = by[("app", None)]
        self.assertEqual(app["expected"]["sha256"], sha256(self.image[BOOT:]))
        self.assertEqual(app["actual"]["sha256"], sha256(new[BOOT:]))
        chunk = by[(None, n)]
        self.assertEqual(chunk["expected"]["sha256"], sha256(self.image[n * CHUNK:(n + 1) * CHUNK]))
        self.assertEqual(chunk["actual"]["sha256"], sha256(new[n * CHUNK:(n + 1) * CHUNK]))

    def test_one_byte_in_bootloader(self):
        m = self.manifest(self.named_regions())
        self.patch(BOOT - 1, bytes([self.image[BOOT - 1] ^ 0x80]))
        rep = self.audit(m, 1)
        self.assertEqual(self.where(rep), [("modified", "", -1), ("modified", "", 0),
                                           ("modified", "bootloader", -1)])

    def test_truncated_image(self):
        m = self.manifest(self.named_regions())
        cut = 700000
        with open(self.fw, "r+b") as f:
            f.truncate(cut)
        rep = self.audit(m, 1)
        whole = [f for f in rep["findings"] if f["region"] is None and f["chunk"] is None][0]
        self.assertEqual(whole["kind"], "modified")
        self.assertEqual(whole["expected"]["size"], SIZE)
        self.assertEqual(whole["actual"]["size"], cut)
        self.assertEqual(whole["actual"]["sha256"], sha256(self.image[:cut]))
        last_full = cut // CHUNK  # chunk 10 is partial, 11.. are missing
        chunks = sorted(f["chunk"] for f in rep["findings"] if f["chunk"] is not None)
        self.assertEqual(chunks, list(range(last_full, SIZE // CHUNK)))
        partial = [f for f in rep["findings"] if f["chunk"] == last_full][0]
        self.assertEqual(partial["actual"]["sha256"], sha256(self.image[last_full * CHUNK:cut]))
        missing = [f for f in rep["findings"] if f["chunk"] == last_full + 1][0]
        self.assertIsNone(missing["actual"])
        self.assertIn("shorter", missing["message"])
        regions = {f["region"]: f for f in rep["findings"] if f["region"]}
        self.assertEqual(set(regions), {"app"})
        self.assertIn("past the end", regions["app"]["message"])

    def test_extended_image(self):
        m = self.manifest(self.named_regions())
        with open(self.fw, "ab") as f:
            f.write(b"\x00" * 100)
        rep = self.audit(m, 1)
        self.assertEqual(self.where(rep), [("modified", "", -1)])
        f = rep["findings"][0]
        self.assertEqual((f["expected"]["size"], f["actual"]["size"]), (SIZE, SIZE + 100))

    def test_region_past_end_of_image(self):
        # without a size, a region may name bytes the image does not have
        regions = self.named_regions() + [("tail", SIZE - 1000, 4096, b"\x00" * 4096)]
        m = self.manifest(regions, size=False)
        rep = self.audit(m, 1)
        self.assertEqual(self.where(rep), [("modified", "tail", -1)])
        self.assertIn("past the end", rep["findings"][0]["message"])
        self.assertEqual(rep["findings"][0]["actual"]["sha256"], sha256(self.image[SIZE - 1000:]))

    def test_region_beyond_size_is_refused(self):
        regions = [("tail", SIZE - 1000, 4096, b"\x00" * 4096)]
        m = self.manifest(regions)
        rc, out, err = self.eia("audit", "--manifest", m, "--trust", self.trust,
                                "--root", self.root)
        self.assertEqual(rc, 2, err)
        self.assertIn("past the size", err)

    def test_overlapping_regions(self):
        img = self.image
        regions = self.named_regions() + [("header", 0, 512, img[:512]),
                                          ("middle", 60000, 10000, img[60000:70000])]
        m = self.manifest(regions)
        self.audit(m, 0)
        self.patch(65000, bytes([img[65000] ^ 1]))
        rep = self.audit(m, 1)
        self.assertEqual(self.where(rep), [("modified", "", -1), ("modified", "", 0),
                                           ("modified", "bootloader", -1),
                                           ("modified", "middle", -1)])

    def test_regions_only_no_chunks(self):
        m = self.manifest(self.named_regions(), chunks=False)
        self.audit(m, 0)
        self.patch(SIZE - 1, bytes([self.image[-1] ^ 1]))
        rep = self.audit(m, 1)
        self.assertEqual(self.where(rep), [("modified", "", -1), ("modified", "app", -1)])

    def mknod_zero(self):
        if os.geteuid() != 0:
            self.skipTest("mknod needs root")
        os.remove(self.fw)
        try:
            os.mknod(self.fw, stat.S_IFCHR | 0o644, os.makedev(1, 5))  # like /dev/zero
        except PermissionError:
            self.skipTest("mknod not permitted here")

    def test_endless_device_in_place_of_image(self):
        # a device may stand for a firmware image, but is read for the
        # image's size only: /dev/zero must not hang the audit
        m = self.manifest(self.named_regions())
        self.mknod_zero()
        t0 = time.monotonic()
        rep = self.audit(m, 1)
        self.assertLess(time.monotonic() - t0, 20)
        whole = [f for f in rep["findings"] if f["region"] is None and f["chunk"] is None][0]
        self.assertEqual(whole["kind"], "modified")
        self.assertEqual(whole["actual"], {"size": SIZE, "sha256": sha256(bytes(SIZE))})
        self.assertEqual(len([f for f in rep["findings"] if f["chunk"] is not None]),
                         SIZE // CHUNK)

    def test_device_without_size_is_not_read(self):
        m = self.manifest(self.named_regions(), size=False)
        self.mknod_zero()
        rep = self.audit(m, 1)
        self.assertEqual(self.where(rep), [("unreadable", "", -1)])

    def test_tiny_chunks_on_a_larger_image_stay_fast(self):
        # chunk-size 1, a single chunk listed, no size: the other 32 Mi chunks
        # are not compared, so they must not cost a digest each
        big = b"\x00" * (32 << 20)
        self.write("root/fw/big.bin", big, 0o644)
        lines = ["eia-manifest: 1", "name: fw", "serial: 1", "policy: {unlisted: ignore}",
                 "entries:", "  - path: fw/big.bin", "    type: firmware",
                 "    sha256: %s" % sha256(big), "    chunk-size: 1",
                 "    chunks: [%s]" % sha256(big[:1])]
        m = self.path("tiny.yaml")
        with open(m, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.sign(m)
        t0 = time.monotonic()
        rep = self.audit(m, 0)
        self.assertLess(time.monotonic() - t0, 5.0)
        self.assertEqual(rep["findings"], [])

if __name__ == "__main__":
    eialib.main()
