"""The strict manifest schema, driven through `eia diff` (which parses
manifests without a trust check). Every malformed input must give exit 2 and
exactly one stderr line "eia: FILE:LINE:COL: why" pointing at the culprit."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eialib  # noqa: E402

H = "a" * 64
HDR = "eia-manifest: 1\nname: n\nserial: 1\n"
GOOD = HDR + "entries:\n  - {path: bin/x, type: file, size: 1, sha256: %s}\n" % H

# (name, manifest bytes, line, column, substring of the reason)
CASES = [
    ("unknown_top_key", HDR + "entries: []\nexpiry: 2027-01-01T00:00:00Z\n", 5, 1,
     "unknown key 'expiry'"),
    ("unknown_policy_key", HDR + "policy:\n  unlisted: fail\n  ignores: [x]\nentries: []\n",
     6, 3, "unknown key 'ignores'"),
    ("unknown_entry_key", HDR + "entries:\n  - {path: a, type: dir, owner: 0}\n", 5, 26,
     "unknown key 'owner'"),
    ("duplicate_key", HDR + "serial: 2\nentries: []\n", 4, 1, "duplicate key 'serial'"),
    ("duplicate_entry_key", HDR + "entries:\n  - {path: a, type: dir, path: b}\n", 5, 26,
     "duplicate key 'path'"),
    ("serial_quoted", "eia-manifest: 1\nname: n\nserial: \"12\"\nentries: []\n", 3, 9,
     "serial must be an unquoted non-negative integer"),
    ("serial_negative", "eia-manifest: 1\nname: n\nserial: -3\nentries: []\n", 3, 9,
     "serial must be an unquoted non-negative integer"),
    ("serial_too_big", "eia-manifest: 1\nname: n\nserial: 9007199254740992\nentries: []\n",
     3, 9, "serial is out of range"),
    ("size_negative", HDR + "entries:\n  - {path: a, type: file, size: -1, sha256: %s}\n" % H,
     5, 33, "size must be an unquoted non-negative integer"),
    ("entries_scalar", HDR + "entries: none\n", 4, 10, "entries must be a sequence"),
    ("entries_missing", HDR, 1, 1, "missing required key 'entries'"),
    ("name_missing", "eia-manifest: 1\nserial: 1\nentries: []\n", 1, 1,
     "missing required key 'name'"),
    ("name_empty", "eia-manifest: 1\nname: \"\"\nserial: 1\nentries: []\n", 2, 7,
     "name must not be empty"),
    ("policy_scalar", HDR + "policy: strict\nentries: []\n", 4, 9, "policy must be a mapping"),
    ("unlisted_typo", HDR + "policy: {unlisted: fial}\nentries: []\n", 4, 20,
     "policy.unlisted must be fail, warn or ignore"),
    ("compare_typo", HDR + "policy: {compare: [type, digests]}\nentries: []\n", 4, 26,
     "unknown compare attribute 'digests'"),
    ("anchor", HDR + "policy: &p {unlisted: warn}\nentries: []\n", 4, 9,
     "YAML anchors are not allowed"),
    ("alias", HDR + "description: &d x\nentries: []\n", 4, 14, "YAML anchors are not allowed"),
    ("alias_only", HDR + "entries: *e\n", 4, 10, "YAML aliases are not allowed"),
    ("tag", HDR + "serial2: !!int 3\nentries: []\n", 4, 10, "YAML tags are not allowed"),
    ("multi_document", HDR + "entries: []\n---\n" + HDR + "entries: []\n", 5, 1,
     "multi-document streams are not allowed"),
    ("absolute_path", HDR + "entries:\n  - {path: /etc/passwd, type: dir}\n", 5, 12,
     "path must be relative"),
    ("dotdot_path", HDR + "entries:\n  - {path: a/../../etc, type: dir}\n", 5, 12,
     "path has a '..' component"),
    ("dot_path", HDR + "entries:\n  - {path: ./a, type: dir}\n", 5, 12,
     "path has a '.' component"),
    ("empty_component", HDR + "entries:\n  - {path: a//b, type: dir}\n", 5, 12,
     "path has an empty component"),
    ("trailing_slash", HDR + "entries:\n  - {path: a/, type: dir}\n", 5, 12,
     "path has an empty component"),
    ("empty_path", HDR + "entries:\n  - {path: \"\", type: dir}\n", 5, 12, "path is empty"),
    ("nul_in_path", HDR + "entries:\n  - {path: \"a\\0b\", type: dir}\n", 5, 12,
     "contains a NUL byte"),
    ("duplicate_paths", HDR + "entries:\n  - {path: b, type: dir}\n  - {path: a, type: dir}\n"
     "  - {path: b, type: dir}\n", 7, 12, "duplicate entry path 'b'"),
    ("duplicate_path_with_newline", HDR + "entries:\n  - {path: \"a\\nb\", type: dir}\n"
     "  - {path: \"a\\nb\", type: dir}\n", 6, 12, "duplicate entry path 'a\\nb'"),
    ("duplicate_member_paths", HDR + "entries:\n  - path: p.tar\n    type: archive\n"
     "    sha256: %s\n    members:\n      - {path: x, type: dir}\n"
     "      - {path: x, type: dir}\n" % H, 10, 16, "duplicate member path 'x'"),
    ("bad_member_path", HDR + "entries:\n  - path: p.tar\n    type: archive\n"
     "    sha256: %s\n    members:\n      - {path: ../x, type: dir}\n" % H, 9, 16,
     "path has a '..' component"),
    ("missing_sha256", HDR + "entries:\n  - {path: a, type: file, size: 1}\n", 5, 5,
     "missing sha256 on static file 'a'"),
    ("missing_sha256_member", HDR + "entries:\n  - path: p.tar\n    type: archive\n"
     "    sha256: %s\n    members:\n      - {path: x, type: file}\n" % H, 9, 9,
     "missing sha256 on static file 'x'"),
    ("md5_refused", HDR + "entries:\n  - {path: a, type: file, md5: %s}\n" % ("0" * 32), 5, 27,
     "md5 is refused: use sha256"),
    ("sha1_refused", HDR + "entries:\n  - {path: a, type: file, sha256: %s, sha1: %s}\n"
     % (H, "0" * 40), 5, 101, "sha1 is refused: use sha256"),
    ("bad_hex_length", HDR + "entries:\n  - {path: a, type: file, sha256: %s}\n" % H[:63], 5, 35,
     "sha256 must be 64 hex digits, not 63"),
    ("bad_hex_chars", HDR + "entries:\n  - {path: a, type: file, sha256: %s}\n" % ("g" * 64),
     5, 35, "sha256 must be lowercase hex"),
    ("uppercase_hex", HDR + "entries:\n  - {path: a, type: file, sha256: %s}\n" % ("A" * 64),
     5, 35, "sha256 must be lowercase hex"),
    ("bad_sha512_length", HDR + "entries:\n  - {path: a, type: file, sha256: %s, sha512: %s}\n"
     % (H, H), 5, 109, "sha512 must be 128 hex digits"),
    ("mode_not_octal", HDR + "entries:\n  - {path: a, type: dir, mode: \"0789\"}\n", 5, 32,
     "mode must be 3 or 4 octal digits"),
    ("mode_too_long", HDR + "entries:\n  - {path: a, type: dir, mode: \"07555\"}\n", 5, 32,
     "mode must be 3 or 4 octal digits"),
    ("mode_symbolic", HDR + "entries:\n  - {path: a, type: dir, mode: rwxr-xr-x}\n", 5, 32,
     "mode must be 3 or 4 octal digits"),
    ("expires_not_rfc3339", HDR + "expires: 2027-01-31\nentries: []\n", 4, 10,
     "expires must be an RFC 3339 time"),
    ("created_not_rfc3339", HDR + "created: yesterday\nentries: []\n", 4, 10,
     "created must be an RFC 3339 time"),
    ("unknown_type", HDR + "entries:\n  - {path: a, type: fifo}\n", 5, 21,
     "unknown type 'fifo'"),
    ("missing_type", HDR + "entries:\n  - {path: a}\n", 5, 5, "missing required key 'type'"),
    ("unknown_class", HDR + "entries:\n  - {path: a, type: dir, class: volatile}\n", 5, 33,
     "class must be static or dynamic"),
    ("dynamic_with_sha256", HDR + "entries:\n  - {path: a, type: file, class: dynamic, "
     "sha256: %s}\n" % H, 5, 5, "dynamic entry 'a' carries no size or digest"),
    ("dynamic_archive", HDR + "entries:\n  - {path: a, type: archive, class: dynamic}\n", 5, 5,
     "class dynamic is only for file and dir entries"),
    ("target_on_file", HDR + "entries:\n  - {path: a, type: file, sha256: %s, target: b}\n" % H,
     5, 109, "target is only allowed on type symlink, not file"),
    ("symlink_without_target", HDR + "entries:\n  - {path: a, type: symlink}\n", 5, 5,
     "symlink 'a' needs a target"),
    ("members_on_file", HDR + "entries:\n  - {path: a, type: file, sha256: %s, members: []}\n"
     % H, 5, 110, "members is only allowed on type archive, not file"),
    ("regions_on_archive", HDR + "entries:\n  - {path: a, type: archive, sha256: %s, "
     "regions: []}\n" % H, 5, 113, "regions is only allowed on type firmware"),
    ("size_on_dir", HDR + "entries:\n  - {path: a, type: dir, size: 4096}\n", 5, 5,
     "a dir entry carries no size or digest"),
    ("region_without_sha256", HDR + "entries:\n  - path: f\n    type: firmware\n"
     "    sha256: %s\n    regions:\n      - {name: boot, offset: 0, length: 4}\n" % H, 9, 9,
     "region 'boot' needs a sha256"),
    ("region_overflow", HDR + "entries:\n  - path: f\n    type: firmware\n"
     "    sha256: %s\n    regions:\n      - {name: b, offset: 9007199254740991, length: 1, "
     "sha256: %s}\n" % (H, H), 9, 53, "region offset + length overflows"),
    ("region_duplicate_name", HDR + "entries:\n  - path: f\n    type: firmware\n"
     "    sha256: %s\n    regions:\n      - {name: b, offset: 0, length: 1, sha256: %s}\n"
     "      - {name: b, offset: 1, length: 1, sha256: %s}\n" % (H, H, H), 10, 9,
     "duplicate region name 'b'"),
    ("chunks_without_size", HDR + "entries:\n  - path: f\n    type: firmware\n"
     "    sha256: %s\n    chunks: [%s]\n" % (H, H), 8, 13, "chunks need a chunk-size"),
    ("chunk_count", HDR + "entries:\n  - path: f\n    type: firmware\n    size: 5\n"
     "    sha256: %s\n    chunk-size: 2\n    chunks: [%s]\n" % (H, H), 10, 13,
     "1 chunks given, but size 5 in chunks of 2 needs 3"),
    ("chunk_size_zero", HDR + "entries:\n  - path: f\n    type: firmware\n"
     "    sha256: %s\n    chunk-size: 0\n    chunks: []\n" % H, 8, 17,
     "chunk-size must be at least 1"),
    ("version_2", "eia-manifest: 2\nname: n\nserial: 1\nentries: []\n", 1, 15,
     "unsupported eia-manifest version 2"),
    ("version_missing", "name: n\nserial: 1\nentries: []\n", 1, 1,
     "missing required key 'eia-manifest'"),
    ("empty_file", "", 1, 1, "empty document"),
    ("comments_only", "# nothing here\n", 1, 1, "empty document"),
    ("not_a_mapping", "- eia-manifest: 1\n", 1, 1, "a manifest must be a mapping"),
    ("system_nested", HDR + "system: {vendor: {name: x}}\nentries: []\n", 4, 18,
     "system value must be a string"),
    ("yaml_syntax", HDR + "entries: [\n", 5, 1, ""),
]


class ManifestSchemaTest(eialib.EiaTest):
    def check_case(self, name, text, line, col, why):
        bad = self.path(name + ".yaml")
        with open(bad, "wb") as f:
            f.write(text.encode("utf-8") if isinstance(text, str) else text)
        good = self.write("good.yaml", GOOD)
        rc, out, err = self.eia("diff", bad, good)
        self.assertExit((rc, out, err), 2)
        self.assertIn("%s:%d:%d: " % (bad, line, col), err, name)
        self.assertIn(why, err, name)
        self.assertEqual(out, "", name)
        # the same error when the bad manifest is NEW
        rc2, _, err2 = self.eia("diff", good, bad)
        self.assertEqual((rc2, err2), (2, err), name)

    def test_every_malformed_rule(self):
        for name, text, line, col, why in CASES:
            with self.subTest(name):
                self.check_case(name, text, line, col, why)

    def test_invalid_utf8_bytes(self):
        self.check_case("invalid_utf8", HDR.encode() + b"description: caf\xe9\nentries: []\n",
                        4, 17, "invalid UTF-8 byte 0xe9")

    def test_invalid_utf8_overlong(self):
        self.check_case("overlong", HDR.encode() + b"entries:\n  - {path: \xc0\xaf, type: dir}\n",
                        5, 12, "invalid UTF-8 byte 0xc0")

    def test_raw_nul_byte(self):
        self.check_case("raw_nul", HDR.encode() + b"entries: []\n\0", 5, 1,
                        "control character U+0000 is not allowed (NUL byte)")

    def test_raw_control_character(self):
        self.check_case("raw_ctrl", HDR.encode() + b"description: a\x01b\nentries: []\n",
                        4, 15, "control character U+0001 is not allowed")
        self.check_case("raw_c1", HDR.encode() + b"entries:\n  - {path: \"a\xc2\x9bb\", type: dir}\n",
                        5, 14, "control character U+009B is not allowed")

    def test_good_manifest_parses(self):
        good = self.write("good.yaml", GOOD)
        self.assertExit(self.eia("diff", good, good), 0)

    def test_example_manifest_is_valid(self):
        example = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                               "manifests", "example.yaml")
        rc, out, err = self.eia("diff", example, example)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "no differences\n")

    def nested(self, levels):
        lines = [HDR + "entries:"]
        indent = "  "
        for depth in range(levels):
            lines.append("%s- path: a%d.tar" % (indent, depth))
            lines.append("%s  type: archive" % indent)
            lines.append("%s  sha256: %s" % (indent, H))
            lines.append("%s  members:" % indent)
            indent += "    "
        lines.append("%s- {path: leaf, type: dir}" % indent)
        return self.write("deep%d.yaml" % levels, "\n".join(lines) + "\n")

    def test_member_nesting_cap(self):
        ok = self.nested(16)
        self.assertEqual(self.eia("diff", ok, ok)[:2], (0, "no differences\n"))
        bad = self.nested(17)
        rc, out, err = self.eia("diff", bad, bad)
        self.assertExit((rc, out, err), 2, "%s:%d:%d: archive members nested deeper than 16 levels"
                        % (bad, 4 * 17 + 5, 4 * 17 + 3))

    def test_missing_file(self):
        good = self.write("good.yaml", GOOD)
        self.assertExit(self.eia("diff", self.path("absent.yaml"), good), 2, "absent.yaml")

    def test_usage_errors(self):
        good = self.write("good.yaml", GOOD)
        self.assertExit(self.eia("diff", good), 2, "expected OLD.yaml NEW.yaml")
        self.assertExit(self.eia("diff", good, good, "--frobnicate"), 2, "unknown option")
        rc, out, err = self.eia("diff", "--help")
        self.assertEqual(rc, 0)
        self.assertIn("usage: eia diff OLD.yaml NEW.yaml [--json]", out)
        self.assertIn("NOT checked", out)


if __name__ == "__main__":
    eialib.main()
