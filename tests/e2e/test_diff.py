"""`eia diff OLD NEW [--json]`: exit 0 when identical, 1 with one line per
change (or a JSON object) when they differ, 2 on malformed input."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eialib  # noqa: E402

A, B, C, D, E, F = ("a" * 64, "b" * 64, "c" * 64, "d" * 64, "e" * 64, "f" * 64)

BASE = """eia-manifest: 1
name: county-7
serial: 12
expires: 2027-01-31T00:00:00Z
description: build 5.17
system: {vendor: ACME}
policy:
  unlisted: fail
  ignore: [logs/**]
entries:
  - {path: bin/tabulate, type: file, size: 10, sha256: %(A)s, mode: "0755"}
  - {path: data/cvr.db, type: file, class: dynamic}
  - {path: lib/libvote.so, type: symlink, target: libvote.so.5}
  - path: pkg/t.tar.gz
    type: archive
    sha256: %(B)s
    members:
      - {path: usr/bin/x, type: file, sha256: %(C)s}
      - path: usr/share/b.zip
        type: archive
        sha256: %(D)s
        members:
          - {path: ballot.pdf, type: file, sha256: %(E)s}
  - path: fw.bin
    type: firmware
    size: 4
    sha256: %(F)s
    regions:
      - {name: boot, offset: 0, length: 2, sha256: %(A)s}
    chunk-size: 2
    chunks: [%(B)s, %(C)s]
"""


def base(**over):
    d = dict(A=A, B=B, C=C, D=D, E=E, F=F)
    d.update(over)
    return BASE % d


class DiffTest(eialib.EiaTest):
    def diff(self, old_text, new_text, *extra):
        old = self.write("old.yaml", old_text)
        new = self.write("new.yaml", new_text)
        return self.eia("diff", old, new, *extra)

    def diff_json(self, old_text, new_text):
        rc, out, err = self.diff(old_text, new_text, "--json")
        self.assertIn(rc, (0, 1), err)
        return rc, json.loads(out)

    def test_identical(self):
        rc, out, err = self.diff(base(), base())
        self.assertEqual((rc, out, err), (0, "no differences\n", ""))

    def test_reordered_and_restyled_is_identical(self):
        lines = base().split("\n")
        # swap the first two entries and quote a path: same manifest
        i = lines.index("  - {path: bin/tabulate, type: file, size: 10, sha256: %s, mode: \"0755\"}" % A)
        lines[i], lines[i + 1] = lines[i + 1], lines[i].replace("bin/tabulate", '"bin/tabulate"')
        rc, out, _ = self.diff(base(), "\n".join(lines))
        self.assertEqual((rc, out), (0, "no differences\n"))

    def test_identical_json(self):
        rc, doc = self.diff_json(base(), base())
        self.assertEqual(rc, 0)
        self.assertTrue(doc["identical"])
        self.assertEqual(doc["changes"], [])
        self.assertEqual(doc["old"], {"name": "county-7", "serial": 12})

    def test_changed_digest_and_size(self):
        new = base().replace("size: 10, sha256: %s" % A, "size: 12, sha256: %s" % C)
        rc, out, err = self.diff(base(), new)
        self.assertEqual(rc, 1, err)
        self.assertEqual(err, "")
        self.assertEqual(out, "changed  bin/tabulate: size 10 -> 12, sha256 %s -> %s\n" % (A, C))
        rc, doc = self.diff_json(base(), new)
        self.assertEqual(rc, 1)
        self.assertFalse(doc["identical"])
        self.assertEqual(doc["changes"], [{
            "change": "changed", "path": "bin/tabulate", "member": [], "region": None,
            "fields": {"size": {"old": 10, "new": 12}, "sha256": {"old": A, "new": C}}}])

    def test_added_and_removed_entries(self):
        new = base().replace("  - {path: data/cvr.db, type: file, class: dynamic}\n",
                             "  - {path: etc/new.conf, type: file, sha256: %s}\n" % D)
        rc, out, _ = self.diff(base(), new)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "removed  data/cvr.db\nadded    etc/new.conf\n")
        _, doc = self.diff_json(base(), new)
        self.assertEqual([(c["change"], c["path"]) for c in doc["changes"]],
                         [("removed", "data/cvr.db"), ("added", "etc/new.conf")])

    def test_mode_target_class_changes(self):
        new = (base().replace('mode: "0755"}', 'mode: "4755"}')
               .replace("target: libvote.so.5", "target: /tmp/evil.so")
               .replace("{path: data/cvr.db, type: file, class: dynamic}",
                        "{path: data/cvr.db, type: file, sha256: %s}" % A))
        rc, out, _ = self.diff(base(), new)
        self.assertEqual(rc, 1)
        self.assertIn("changed  bin/tabulate: mode 0755 -> 4755\n", out)
        self.assertIn("changed  lib/libvote.so: target libvote.so.5 -> /tmp/evil.so\n", out)
        self.assertIn("changed  data/cvr.db: class dynamic -> static, sha256 (none) -> %s\n" % A, out)

    def test_member_changes(self):
        new = (base().replace("{path: usr/bin/x, type: file, sha256: %s}" % C,
                              "{path: usr/bin/y, type: file, sha256: %s}" % C)
               .replace("{path: ballot.pdf, type: file, sha256: %s}" % E,
                        "{path: ballot.pdf, type: file, sha256: %s}" % F))
        rc, out, _ = self.diff(base(), new)
        self.assertEqual(rc, 1)
        self.assertEqual(out.splitlines(), [
            "removed  pkg/t.tar.gz member usr/bin/x",
            "added    pkg/t.tar.gz member usr/bin/y",
            "changed  pkg/t.tar.gz member usr/share/b.zip member ballot.pdf: sha256 %s -> %s" % (E, F),
        ])
        _, doc = self.diff_json(base(), new)
        self.assertEqual(doc["changes"][2]["member"], ["usr/share/b.zip", "ballot.pdf"])
        self.assertEqual(doc["changes"][2]["path"], "pkg/t.tar.gz")
        self.assertEqual(doc["changes"][0]["member"], ["usr/bin/x"])

    def test_region_and_chunk_changes(self):
        new = (base().replace("{name: boot, offset: 0, length: 2, sha256: %s}" % A,
                              "{name: boot, offset: 0, length: 2, sha256: %s}\n"
                              "      - {name: conf, offset: 2, length: 2, sha256: %s}" % (D, E))
               .replace("chunks: [%s, %s]" % (B, C), "chunks: [%s, %s]" % (B, D)))
        rc, out, _ = self.diff(base(), new)
        self.assertEqual(rc, 1)
        self.assertEqual(out.splitlines(), [
            "changed  fw.bin: chunk[1] %s -> %s" % (C, D),
            "changed  fw.bin region boot: sha256 %s -> %s" % (A, D),
            "added    fw.bin region conf",
        ])
        _, doc = self.diff_json(base(), new)
        self.assertEqual(doc["changes"][1]["region"], "boot")
        self.assertEqual(doc["changes"][1]["fields"], {"sha256": {"old": A, "new": D}})
        self.assertEqual(doc["changes"][2]["change"], "added")

    def test_chunk_size_change(self):
        new = base().replace("chunk-size: 2\n    chunks: [%s, %s]" % (B, C),
                             "chunk-size: 4\n    chunks: [%s]" % D)
        rc, out, _ = self.diff(base(), new)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "changed  fw.bin: chunk-size 2 -> 4, chunks 2 -> 1\n")

    def test_policy_changes(self):
        new = (base().replace("unlisted: fail", "unlisted: warn")
               .replace("ignore: [logs/**]", "ignore: [logs/**, tmp/**]\n  compare: [type, digest]"))
        rc, out, _ = self.diff(base(), new)
        self.assertEqual(rc, 1)
        self.assertEqual(out.splitlines(), [
            "policy   unlisted: fail -> warn",
            "policy   ignore: [logs/**] -> [logs/**, tmp/**]",
            "policy   compare: [type, size, digest, mode, target] -> [type, digest]",
        ])
        _, doc = self.diff_json(base(), new)
        self.assertEqual(doc["policy"][0], {"field": "unlisted", "old": "fail", "new": "warn"})
        self.assertEqual(doc["policy"][1]["new"], ["logs/**", "tmp/**"])
        self.assertEqual(doc["changes"], [])

    def test_header_changes(self):
        new = (base().replace("serial: 12", "serial: 13")
               .replace("expires: 2027-01-31T00:00:00Z\n", "")
               .replace("description: build 5.17", "description: build 5.18")
               .replace("{vendor: ACME}", "{vendor: ACME, model: DS200}"))
        rc, out, _ = self.diff(base(), new)
        self.assertEqual(rc, 1)
        self.assertEqual(out.splitlines(), [
            "manifest serial: 12 -> 13",
            "manifest expires: 2027-01-31T00:00:00Z -> (none)",
            "manifest description: build 5.17 -> build 5.18",
            "manifest system.model: (none) -> DS200",
        ])
        _, doc = self.diff_json(base(), new)
        self.assertEqual(doc["new"], {"name": "county-7", "serial": 13})
        self.assertEqual(doc["manifest"][1], {"field": "expires",
                                              "old": "2027-01-31T00:00:00Z", "new": None})

    def test_tricky_names_stay_on_one_line(self):
        old = self.write("old.yaml", base())
        new = self.write("new.yaml", base().replace(
            "entries:\n", 'entries:\n  - {path: "new\\nline\\\\x", type: dir}\n'))
        rc, out, _ = self.eia("diff", old, new)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "added    new\\nline\\\\x\n")
        rc, out, _ = self.eia("diff", old, new, "--json")
        self.assertEqual(json.loads(out)["changes"][0]["path"], "new\nline\\x")

    def test_unicode_line_breaks_are_escaped_in_text(self):
        old = self.write("old.yaml", base())
        new = self.write("new.yaml", base().replace(
            "entries:\n", 'entries:\n  - {path: "ls\\u2028nel\\u0085x", type: dir}\n'))
        rc, out, _ = self.eia("diff", old, new)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "added    ls\\u2028nel\\u0085x\n")
        self.assertEqual(len(out.splitlines()), 1)

    def test_members_list_appears(self):
        old = self.write("old.yaml", base().replace(
            "entries:\n", "entries:\n  - {path: z.tar, type: archive, sha256: %s}\n" % A))
        new = self.write("new.yaml", base().replace(
            "entries:\n", "entries:\n  - {path: z.tar, type: archive, sha256: %s, members: []}\n" % A))
        rc, out, _ = self.eia("diff", old, new)
        self.assertEqual((rc, out), (1, "changed  z.tar: members (none) -> listed\n"))

    def test_malformed_new_is_exit_2(self):
        rc, out, err = self.diff(base(), base().replace("serial: 12", "serial: twelve"))
        self.assertExit((rc, out, err), 2, "new.yaml:3:9: serial must be")
        self.assertEqual(out, "")


if __name__ == "__main__":
    eialib.main()
