"""Hostile configuration files: manifests (properly signed, so the YAML parser
is reached after trust), trust stores and signature files, generated here and
driven through `eia audit`, `eia verify` and `eia diff`.

Every case asserts the exact exit code (2 malformed input, 3 trust failure),
exactly one stderr line "eia: ..." naming the file (with LINE:COL where the
parser knows it), and a bounded run time; the alias bomb, the deep nesting and
the 50 MB scalar also have their peak RSS measured (limit 1 GiB)."""
import hashlib
import json
import os
import random
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eialib  # noqa: E402
import hostile_lib  # noqa: E402
from hostile_lib import H64, note  # noqa: E402

HDR = "eia-manifest: 1\nname: hostile\nserial: 1\n"
POL = "policy: {unlisted: ignore}\n"
FW = ("entries:\n  - path: fw.bin\n    type: firmware\n    sha256: %s\n" % H64)


def billion_laughs(levels=10, width=10):
    """The classic alias bomb: each anchor holds `width` aliases of the one before."""
    lines = ["lol0: &a0 [%s]" % ", ".join(["lol"] * width)]
    for i in range(1, levels):
        lines.append("lol%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * width)))
    return HDR + "\n".join(lines) + "\nentries: *a%d\n" % (levels - 1)


def big_ints():
    return [("2p64", "18446744073709551616"), ("2p64plus1", "18446744073709551617"),
            ("2p64minus1", "18446744073709551615"), ("2p53", "9007199254740992"),
            ("minus1", "-1"), ("1e3", "1e3"), ("hex", "0x10"), ("octal", "0o10"),
            ("plus", "+1"), ("float", "1.0"), ("underscore", "1_000"), ("inf", ".inf"),
            ("null", "~"), ("huge", "9" * 5000)]


# (name, manifest text, expected exit, (line, col) or None, substring of the reason or None)
MANIFEST_CASES = [
    ("billion_laughs", billion_laughs(), 2, (4, 7), "anchors are not allowed"),
    ("alias_of_undefined_anchor", HDR + "entries: [*a, *a, *a]\n", 2, (4, 11),
     "aliases are not allowed"),
    ("merge_key", HDR + POL + "entries:\n  - {<<: *base, path: a}\n", 2, None, "alias"),
    ("anchor_on_entry", HDR + POL + "entries:\n  - &e {path: a, type: dir}\n", 2, (6, 5),
     "anchors are not allowed"),
    ("deep_flow_sequences", HDR + "entries: " + "[" * 10000 + "]" * 10000 + "\n", 2, None,
     "nesting too deep"),
    ("deep_flow_mappings", HDR + "entries: " + "{a: " * 10000 + "b" + "}" * 10000 + "\n", 2,
     None, "nesting too deep"),
    ("deep_unclosed", HDR + "entries: " + "[" * 10000 + "\n", 2, None, None),
    ("deep_at_top", "[" * 10000 + "]" * 10000 + "\n", 2, (1, 65), "nesting too deep"),
    ("deep_block_mappings", HDR + "".join("  " * i + "k:\n" for i in range(1000)) + "  " * 1000
     + "v\n", 2, None, None),
    ("deep_block_sequences", HDR + "entries: " + "- " * 10000 + "x\n", 2, None, None),
    ("nul_byte", HDR + POL + "description: a\0b\nentries: []\n", 2, (5, 15), "NUL"),
    ("nul_at_start", "\0" + HDR + POL + "entries: []\n", 2, (1, 1), "NUL"),
    ("invalid_utf8_ff", HDR + POL + "description: \xff\xfe\nentries: []\n", 2, (5, 14), "UTF-8"),
    ("invalid_utf8_overlong", HDR + POL + "description: \xc0\xaf\nentries: []\n", 2, (5, 14),
     "UTF-8"),
    ("invalid_utf8_surrogate", HDR + POL + "description: \xed\xa0\x80\nentries: []\n", 2,
     (5, 14), "UTF-8"),
    ("invalid_utf8_truncated_at_eof", HDR + POL + "entries: []\ndescription: \xe2\x82", 2, None,
     "UTF-8"),
    ("invalid_utf8_in_path", HDR + POL + "entries:\n  - {path: \"a\xffb\", type: dir}\n", 2,
     (6, 14), "UTF-8"),
    ("duplicate_top_key", HDR + POL + "name: other\nentries: []\n", 2, (5, 1),
     "duplicate key 'name'"),
    ("duplicate_key_in_entry", HDR + POL + "entries:\n  - {path: a, type: dir, type: file}\n",
     2, (6, 26), "duplicate key 'type'"),
    ("duplicate_policy", HDR + POL + "policy: {unlisted: fail}\nentries: []\n", 2, (5, 1),
     "duplicate key 'policy'"),
    ("unknown_top_key", HDR + POL + "entries: []\nsignatures: []\n", 2, (6, 1),
     "unknown key 'signatures'"),
    ("unknown_region_key", HDR + "entries:\n  - path: fw.bin\n    type: firmware\n"
     "    sha256: %s\n    regions:\n      - {name: boot, offset: 0, length: 1, sha256: %s,"
     " crc: 1}\n" % (H64, H64), 2, None, "unknown key 'crc'"),
    ("entries_mapping", HDR + "entries: {path: a}\n", 2, (4, 10), "entries must be a sequence"),
    ("serial_sequence", "eia-manifest: 1\nname: n\nserial: [1]\nentries: []\n", 2, (3, 9),
     "serial"),
    ("name_mapping", "eia-manifest: 1\nname: {a: b}\nserial: 1\nentries: []\n", 2, (2, 7),
     "name"),
    ("path_sequence", HDR + "entries:\n  - {path: [a], type: dir}\n", 2, (5, 12), "path"),
    ("ignore_scalar", HDR + "policy: {ignore: logs}\nentries: []\n", 2, (4, 18), "ignore"),
    ("compare_mapping", HDR + "policy: {compare: {type: 1}}\nentries: []\n", 2, (4, 19),
     "compare"),
    ("entry_scalar", HDR + "entries: [bin/x]\n", 2, (4, 11), None),
    ("mapping_key_is_mapping", HDR + "? {a: b}\n: c\nentries: []\n", 2, None,
     "mapping keys must be plain scalars"),
    ("version_2", "eia-manifest: 2\nname: n\nserial: 1\nentries: []\n", 2, (1, 15), None),
    ("region_offset_length_overflow", HDR + "entries:\n  - path: fw.bin\n    type: firmware\n"
     "    sha256: %s\n    regions:\n      - {name: boot, offset: 9007199254740991, length: 1,"
     " sha256: %s}\n" % (H64, H64), 2, None, "overflows"),
    ("region_offset_length_sum_2p53", HDR + "entries:\n  - path: fw.bin\n    type: firmware\n"
     "    sha256: %s\n    regions:\n      - {name: boot, offset: 4503599627370496, "
     "length: 4503599627370496, sha256: %s}\n" % (H64, H64), 2, None, "overflows"),
    ("region_past_size", HDR + "entries:\n  - path: fw.bin\n    type: firmware\n    size: 10\n"
     "    sha256: %s\n    regions:\n      - {name: boot, offset: 8, length: 4, sha256: %s}\n"
     % (H64, H64), 2, None, "past the size"),
    ("chunk_size_zero", HDR + "entries:\n  - path: fw.bin\n    type: firmware\n    size: 1\n"
     "    sha256: %s\n    chunk-size: 0\n    chunks: [%s]\n" % (H64, H64), 2, (9, 17),
     "chunk-size must be at least 1"),
    ("chunks_count_mismatch", HDR + "entries:\n  - path: fw.bin\n    type: firmware\n"
     "    size: 3000000\n    sha256: %s\n    chunk-size: 1\n    chunks: [%s]\n" % (H64, H64),
     2, None, "chunks given"),
    ("empty_file", "", 2, None, None),
    ("only_whitespace", "   \n\n\t\n", 2, None, None),
    ("only_comment", "# nothing here\n", 2, None, None),
    ("only_document_marker", "---\n", 2, None, None),
    ("scalar_document", "eia-manifest\n", 2, (1, 1), None),
    ("sequence_document", "- eia-manifest: 1\n", 2, (1, 1), None),
    ("multi_document", HDR + POL + "entries: []\n---\n" + HDR + POL + "entries: []\n", 2,
     (6, 1), "multi-document"),
    ("document_end_then_more", HDR + POL + "entries: []\n...\n" + HDR + "entries: []\n", 2,
     (7, 1), None),
    ("explicit_tag", HDR + POL + "entries: !!seq []\n", 2, (5, 10), "tags are not allowed"),
    ("yaml_directive_1_3", "%YAML 1.3\n---\n" + HDR + POL + "entries: []\n", 2, None, None),
    ("tab_indentation", HDR + "entries:\n\t- {path: a, type: dir}\n", 2, None, None),
    ("unterminated_quote", HDR + "description: \"abc\nentries: []\n", 2, None, None),
    ("lone_surrogate_escape", HDR + POL + "description: \"\\ud800\"\nentries: []\n", 2,
     None, None),
]

for field in ("size", "serial", "offset", "length", "chunk-size", "uid"):
    for tag, val in big_ints():
        if field == "serial":
            text = "eia-manifest: 1\nname: n\nserial: %s\nentries: []\n" % val
        elif field == "size":
            text = HDR + "entries:\n  - {path: a, type: file, size: %s, sha256: %s}\n" % (val, H64)
        elif field == "uid":
            text = HDR + "entries:\n  - {path: a, type: dir, uid: %s}\n" % val
        elif field in ("offset", "length"):
            reg = {"offset": "0", "length": "1"}
            reg[field] = val
            text = HDR + FW + ("    regions:\n      - {name: b, offset: %s, length: %s, "
                               "sha256: %s}\n" % (reg["offset"], reg["length"], H64))
        else:
            text = HDR + FW + "    chunk-size: %s\n    chunks: [%s]\n" % (val, H64)
        if field == "uid" and tag == "2p53":
            continue  # a valid id range question, not an overflow (uids are 32-bit)
        MANIFEST_CASES.append(("int_%s_%s" % (field.replace("-", "_"), tag), text, 2, None,
                               field if field != "chunk-size" else "chunk-size"))


def _bytes(text):
    return text.encode("latin-1") if isinstance(text, str) else text


class HostileManifestTest(hostile_lib.SignedFixture):
    """Each generated manifest is signed by the trusted officer key: trust
    holds, so the strict parser is what must refuse it (exit 2)."""

    def check_manifest(self, text, code, pos, why):
        m = self.signed(_bytes(text))
        line = self.assertOneError(self.audit(m), code, m, pos, why)
        self.assertRegex(line, re.escape(m) + r":\d+:\d+: ", "no LINE:COL")
        # `eia diff` reads the same file without a trust check: same verdict
        rc, out, err = eialib.run(["diff", m, m], timeout=60)
        self.assertEqual(rc, code, err)
        self.assertEqual(len([l for l in err.splitlines() if l.strip()]), 1, err[:2000])
        return line

    def test_utf16(self):
        m = self.signed((HDR + POL + "entries: []\n").encode("utf-16"))
        self.assertOneError(self.audit(m), 2, m)

    def test_random_bytes(self):
        rnd = random.Random(20261124)
        for i in range(20):
            data = bytes(rnd.getrandbits(8) for _ in range(rnd.choice((1, 17, 4096, 65536))))
            m = self.signed(data, name="r%d.yaml" % i)
            self.assertOneError(self.audit(m), 2, m)

    def test_random_printable_garbage(self):
        rnd = random.Random(7)
        alphabet = "{}[]:,-?&*!|>'\"%@` \n\tabc019#."
        for i in range(30):
            data = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 3000)))
            m = self.signed(data, name="g%d.yaml" % i)
            self.assertOneError(self.audit(m), 2, m)

    def test_truncated_good_manifest_at_every_byte(self):
        """A signed prefix of a valid manifest: either refused (exit 2) or, if
        the prefix happens to be complete, a normal verdict; never a crash."""
        full = _bytes(self.good_manifest_text())
        for cut in range(0, len(full), 7):
            m = self.signed(full[:cut], name="t%d.yaml" % cut)
            rc, out, err = self.audit(m)
            self.assertIn(rc, (0, 1, 2), err)
            if rc == 2:
                self.assertOneError((rc, out, err), 2, m)

    def test_alias_bomb_rss(self):
        m = self.signed(billion_laughs(levels=12))
        rc, out, err, rss, secs = hostile_lib.run_rss(
            ["audit", "--manifest", m, "--trust", self.trust, "--root", self.root, "--quiet"])
        self.assertOneError((rc, out, err), 2, m, (4, 7), "anchors are not allowed")
        note("alias bomb (audit) peak RSS KiB", rss)
        self.assertLess(rss, hostile_lib.RSS_LIMIT_KB)
        rc, out, err, rss, secs = hostile_lib.run_rss(["diff", m, m])
        self.assertEqual(rc, 2, err)
        note("alias bomb (diff) peak RSS KiB", rss)
        self.assertLess(rss, hostile_lib.RSS_LIMIT_KB)

    def test_deep_nesting_rss(self):
        for tag, text in (("flow [", HDR + "entries: " + "[" * 10000 + "]" * 10000 + "\n"),
                          ("flow {", HDR + "entries: " + "{a: " * 10000 + "b" + "}" * 10000 + "\n"),
                          ("10^6 [", HDR + "entries: " + "[" * 1000000 + "]" * 1000000 + "\n")):
            m = self.signed(text)
            rc, out, err, rss, secs = hostile_lib.run_rss(
                ["audit", "--manifest", m, "--trust", self.trust, "--root", self.root, "--quiet"])
            self.assertOneError((rc, out, err), 2, m, None, "nesting too deep")
            note("deep nesting %s (audit) peak RSS KiB / secs" % tag, "%d / %.2f" % (rss, secs))
            self.assertLess(rss, hostile_lib.RSS_LIMIT_KB)
            self.assertLess(secs, 60)

    def test_50mb_scalar_rss(self):
        big = "x" * (50 << 20)
        # a 50 MB free-text description is valid: accepted, memory bounded
        m = self.signed(HDR + POL + "description: " + big + "\nentries: []\n")
        rc, out, err, rss, secs = hostile_lib.run_rss(
            ["audit", "--manifest", m, "--trust", self.trust, "--root", self.root, "--quiet"])
        self.assertEqual(rc, 0, err[:500])
        note("50 MB plain scalar (audit, accepted) peak RSS KiB / secs", "%d / %.2f" % (rss, secs))
        self.assertLess(rss, hostile_lib.RSS_LIMIT_KB)
        # the same scalar double-quoted, as an entry path: a `missing` finding
        m = self.signed(HDR + POL + "entries:\n  - {path: \"" + big + "\", type: dir}\n")
        rc, out, err, rss, secs = hostile_lib.run_rss(
            ["audit", "--manifest", m, "--trust", self.trust, "--root", self.root, "--quiet"])
        self.assertEqual(rc, 1, err[:500])
        note("50 MB quoted path (audit, missing) peak RSS KiB / secs", "%d / %.2f" % (rss, secs))
        self.assertLess(rss, hostile_lib.RSS_LIMIT_KB)
        # as a mapping key: YAML refuses simple keys over 1024 characters
        m = self.signed(HDR + big + ": 1\nentries: []\n")
        rc, out, err, rss, secs = hostile_lib.run_rss(
            ["audit", "--manifest", m, "--trust", self.trust, "--root", self.root, "--quiet"])
        self.assertOneError((rc, out, err), 2, m, None)
        note("50 MB mapping key (audit, refused) peak RSS KiB / secs", "%d / %.2f" % (rss, secs))
        self.assertLess(rss, hostile_lib.RSS_LIMIT_KB)
        # and through diff (no trust check)
        rc, out, err, rss, secs = hostile_lib.run_rss(["diff", m, m])
        self.assertEqual(rc, 2, err[:500])
        self.assertLess(rss, hostile_lib.RSS_LIMIT_KB)

    def test_manifest_over_the_input_limit(self):
        """A 300 MiB manifest (past the 256 MiB cap) is refused, not loaded."""
        m = self.path("huge.yaml")
        with open(m, "wb") as f:
            f.write(HDR.encode() + b"description: ")
            f.truncate(300 << 20)          # sparse: cheap to make
        with open(m + ".sig", "w") as f:   # never reached: the size cap comes first
            f.write("eia-signatures: 1\nsignatures: []\n")
        rc, out, err, rss, secs = hostile_lib.run_rss(
            ["audit", "--manifest", m, "--trust", self.trust, "--root", self.root, "--quiet"])
        self.assertOneError((rc, out, err), 2, m)
        note("300 MiB manifest (refused) peak RSS KiB / secs", "%d / %.2f" % (rss, secs))
        self.assertLess(rss, hostile_lib.RSS_LIMIT_KB)

    def test_200k_entries_finish(self):
        lines = [HDR, "policy: {unlisted: fail}\n", "entries:\n"]
        for i in range(200000):
            lines.append("  - {path: d/f%06d, type: file, size: 1, sha256: %s}\n" % (i, H64))
        m = self.signed("".join(lines))
        rp = self.path("r.json")
        rc, out, err, rss, secs = hostile_lib.run_rss(
            ["audit", "--manifest", m, "--trust", self.trust, "--root", self.root, "--quiet",
             "--report", rp], timeout=120)
        self.assertEqual(rc, 1, err[:500])
        rep = json.load(open(rp))
        self.assertEqual(rep["summary"]["entries"], 200000)
        self.assertEqual(rep["summary"]["fail"], 200001)    # 200k missing + app.bin unlisted
        note("200k-entry manifest (audit, all missing) peak RSS KiB / secs",
             "%d / %.2f" % (rss, secs))
        self.assertLess(secs, 60)
        rc, out, err, rss, secs = hostile_lib.run_rss(["diff", m, m], timeout=120)
        self.assertEqual(rc, 0, err[:500])
        note("200k-entry manifest (diff) peak RSS KiB / secs", "%d / %.2f" % (rss, secs))
        self.assertLess(secs, 60)

    # Regression test for the fixed bug findings-cap-16: findings.c finding_add() starts every per-entry
    # findings array at capacity 16 (sizeof(finding) ~ 600 bytes, two attrs
    # with 4 x 64-byte digest slots each), so 200k entries with one finding
    # each take ~1.5 GB (a 23 MB manifest; `eia diff` of it needs 0.4 GB). An
    # audit with the wrong --root and a large baseline is enough. Fix: start
    # at capacity 1-2 (findings.c:35), and move rather than copy in
    # audit.c collect().
    def test_200k_missing_entries_memory(self):
        lines = [HDR, "policy: {unlisted: fail}\n", "entries:\n"]
        for i in range(200000):
            lines.append("  - {path: d/f%06d, type: file, size: 1, sha256: %s}\n" % (i, H64))
        m = self.signed("".join(lines))
        rc, out, err, rss, secs = hostile_lib.run_rss(
            ["audit", "--manifest", m, "--trust", self.trust, "--root", self.root, "--quiet"],
            timeout=120)
        self.assertEqual(rc, 1, err[:500])
        self.assertLess(rss, hostile_lib.RSS_LIMIT_KB)

    def test_200k_duplicate_keys_is_not_quadratic(self):
        keys = "".join("k%06d: 1\n" % i for i in range(200000))
        m = self.signed(HDR + POL + keys + "k000000: 2\nentries: []\n")
        rc, out, err, rss, secs = hostile_lib.run_rss(
            ["audit", "--manifest", m, "--trust", self.trust, "--root", self.root, "--quiet"])
        self.assertOneError((rc, out, err), 2, m, (200005, 1))
        self.assertLess(secs, 30)


class HostileGlobTest(hostile_lib.SignedFixture):
    """Signed ignore globs meet names chosen by whoever controls the media."""

    # Regression test for the fixed bug glob-backtracking: paths.c glob_match() backtracks recursively on
    # every '*' / '**': a signed `ignore` glob with several stars and a
    # 200-byte file name on the media take exponential time (the audit never
    # ends). Fix: the linear two-pointer wildcard match (remember the last
    # star, per component), or memoise (pattern pos x string pos).
    def test_star_glob_against_long_name(self):
        m = self.signed(HDR + 'policy: {unlisted: fail, ignore: ["*a*a*a*a*a*a*a*a*a*a*b"]}\n'
                        "entries:\n  - {path: app.bin, type: file, size: 10, sha256: %s}\n"
                        % hashlib.sha256(b"certified\n").hexdigest())
        self.write("root/" + "a" * 200, "x")
        rc, out, err = self.audit(m, timeout=10)
        self.assertEqual(rc, 1, err)

    # Regression test for the fixed bug glob-backtracking: the same through "**"
    def test_globstar_against_long_name(self):
        m = self.signed(HDR + 'policy: {unlisted: fail, ignore: ["**a**a**a**a**a**a**a**a**b"]}\n'
                        "entries:\n  - {path: app.bin, type: file, size: 10, sha256: %s}\n"
                        % hashlib.sha256(b"certified\n").hexdigest())
        self.write("root/" + "a" * 200, "x")
        rc, out, err = self.audit(m, timeout=10)
        self.assertEqual(rc, 1, err)

    def test_ordinary_globs_against_long_names_are_fast(self):
        m = self.signed(HDR + 'policy: {unlisted: fail, ignore: ["logs/**", "*.tmp", '
                        '"**/cache/*"]}\n'
                        "entries:\n  - {path: app.bin, type: file, size: 10, sha256: %s}\n"
                        % hashlib.sha256(b"certified\n").hexdigest())
        for i in range(200):
            self.write("root/" + ("%03d" % i) + "a" * 250, "x")
        rc, out, err = self.audit(m, timeout=30)
        self.assertEqual(rc, 1, err)


class HostileReportTest(hostile_lib.SignedFixture):
    """`eia render` reads reports that may come from anywhere: malformed
    JSON is exit 2 with FILE:LINE:COL, within bounded time and memory."""

    CASES = [
        ("deep_arrays", b'{"eia-report": 1, "x": ' + b"[" * 1000000 + b"]" * 1000000 + b"}",
         "nesting too deep"),
        ("deep_objects", b'{"eia-report": 1, "x": ' + b'{"a":' * 100000 + b"1" + b"}" * 100000
         + b"}", "nesting too deep"),
        ("duplicate_key", b'{"eia-report": 1, "eia-report": 1}', "duplicate key"),
        ("nul", b'{"eia-report": 1, "x": "\x00"}', None),
        ("invalid_utf8", b'{"eia-report": 1, "x": "\xff"}', "UTF-8"),
        ("lone_surrogate", b'{"eia-report": 1, "x": "\\ud800"}', "surrogate"),
        ("huge_number", b'{"eia-report": 1e999999}', None),
        ("empty", b"", None),
        ("yaml", b"eia-report: 1\n", None),
        ("random", bytes(random.Random(11).getrandbits(8) for _ in range(4096)), None),
        ("truncated", b'{"eia-report": 1, "result": "pa', None),
    ]

    def test_malformed_reports(self):
        for tag, data, why in self.CASES:
            with self.subTest(case=tag):
                rp = self.path("r-%s.json" % tag)
                with open(rp, "wb") as f:
                    f.write(data)
                rc, out, err, rss, secs = hostile_lib.run_rss(["render", rp, "--text"])
                self.assertOneError((rc, out, err), 2, rp, None, why)
                self.assertLess(rss, hostile_lib.RSS_LIMIT_KB)

    def test_50mb_string(self):
        rp = self.path("big.json")
        with open(rp, "wb") as f:
            f.write(b'{"eia-report": 1, "x": "' + b"a" * (50 << 20) + b'"}')
        rc, out, err, rss, secs = hostile_lib.run_rss(["render", rp, "--text"])
        self.assertOneError((rc, out, err), 2, rp)
        note("50 MB JSON string (render) peak RSS KiB / secs", "%d / %.2f" % (rss, secs))
        self.assertLess(rss, hostile_lib.RSS_LIMIT_KB)

    # Regression test for the fixed bug json-node-amplification: json_read.c allocates a node per value
    # (~100 bytes each): a 20 MB report holding ten million small numbers
    # takes ~1 GiB RSS (a 50 MB one 2.6 GB / 12 s; at the 256 MiB input cap
    # ~13 GB), and under a memory limit xmalloc aborts (SIGABRT, exit 134)
    # instead of exit 2. Fix: cap the number of values per document (e.g.
    # 4 million, or by input size / 8) with "too many values" at LINE:COL.
    def test_many_small_values(self):
        rp = self.path("many.json")
        with open(rp, "wb") as f:
            f.write(b'{"eia-report": 1, "x": [' + b"1," * 10000000 + b"1]}")
        rc, out, err, rss, secs = hostile_lib.run_rss(["render", rp, "--text"])
        note("20 MB JSON of 10M numbers (render) peak RSS KiB / secs", "%d / %.2f" % (rss, secs))
        self.assertOneError((rc, out, err), 2, rp)
        self.assertLess(rss, 512 * 1024 * hostile_lib.RSS_SCALE)


def _make_case(text, code, pos, why):
    def test(self):
        self.check_manifest(text, code, pos, why)
    return test


for _name, _text, _code, _pos, _why in MANIFEST_CASES:
    setattr(HostileManifestTest, "test_manifest_" + _name, _make_case(_text, _code, _pos, _why))


class HostileTrustStoreTest(hostile_lib.SignedFixture):
    """Trust stores are parsed before any manifest: a bad one is exit 2."""

    def setUp(self):
        super().setUp()
        self.m = self.signed(self.good_manifest_text())

    def check_trust(self, data, code=2, pos=None, why=None):
        t = self.write_trust(_bytes(data), name="bad-trust.yaml")
        self.assertOneError(self.audit(self.m, trust=t), code, t, pos, why)
        self.assertOneError(eialib.run(["verify", "--trust", t, self.m], timeout=60), code, t,
                            pos, why)

    def test_fixture_is_good(self):
        rc, out, err = self.audit(self.m)
        self.assertEqual(rc, 0, err)
        self.assertEqual(eialib.run(["verify", "--trust", self.trust, self.m])[0], 0)

    def test_alias_bomb(self):
        bomb = ["x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for i in range(1, 10):
            bomb.append("x%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10)))
        self.check_trust("\n".join(bomb) + "\n" + self.trust_text(), pos=(1, 5),
                         why="anchors are not allowed")

    def test_alias_for_a_key(self):
        text = self.trust_text().replace("roles: [baseline, report]", "roles: *r")
        self.check_trust(text, why="aliases are not allowed")

    def test_deep_nesting(self):
        self.check_trust(self.trust_text() + "extra: " + "[" * 10000 + "]" * 10000 + "\n",
                         why="nesting too deep")

    def test_nul_byte(self):
        self.check_trust(self.trust_text().replace("Hostile", "Hos\0tile"), why="NUL")

    def test_invalid_utf8(self):
        self.check_trust(self.trust_text().replace("Hostile", "Hos\xfftile"), why="UTF-8")

    # Regression test for the fixed bug yaml-char-positions: trust stores, .sig and state files get no
    # LINE:COL for a NUL byte or invalid UTF-8 (libyaml's reader reports 1:1);
    # only manifest.c runs check_chars() before yt_parse().
    def test_invalid_utf8_and_nul_positions(self):
        self.check_trust(self.trust_text().replace("Hostile", "Hos\xfftile"), pos=(2, 10),
                         why="UTF-8")
        self.check_trust(self.trust_text().replace("Hostile", "Hos\0tile"), pos=(2, 10),
                         why="NUL")

    def test_duplicate_key(self):
        self.check_trust(self.trust_text().replace("    name: Officer\n",
                                                   "    name: Officer\n    name: Other\n"),
                         pos=(7, 5), why="duplicate key 'name'")

    def test_duplicate_key_id(self):
        t = self.trust_text()
        keys = t[t.index("  - id:"):]
        self.check_trust(t + keys, why="duplicate")

    def test_unknown_key(self):
        self.check_trust(self.trust_text().replace("    roles:", "    role: [report]\n    roles:"),
                         pos=(7, 5), why="unknown key 'role'")

    def test_unknown_role(self):
        self.check_trust(self.trust_text().replace("roles: [baseline, report]",
                                                   "roles: [baseline, admin]"), why="admin")

    def test_wrong_types(self):
        for old, new in (("keys:\n", "keys: none\n"),
                         ("roles: [baseline, report]", "roles: baseline"),
                         ("thresholds: {baseline: 1, report: 1}", "thresholds: [1, 1]"),
                         ("name: Hostile Test Office", "name: [a]")):
            with self.subTest(new=new):
                self.check_trust(self.trust_text().replace(old, new))

    def test_threshold_values(self):
        for tag, val in big_ints() + [("zero", "0"), ("257", "257")]:
            with self.subTest(threshold=tag):
                self.check_trust(self.trust_text().replace("{baseline: 1,", "{baseline: %s," % val),
                                 why="baseline")

    def test_key_id_wrong(self):
        for kid in (self.keyid[:63], self.keyid + "0", self.keyid.upper(), "z" * 64, "",
                    self.other_id):
            with self.subTest(kid=kid):
                self.check_trust(self.trust_text(keyid=kid or '""'))

    def test_public_key_garbage(self):
        for pem in ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                    "not a key at all\n",
                    "-----BEGIN PUBLIC KEY-----\n" + "QUFB" * 20000
                    + "\n-----END PUBLIC KEY-----\n",
                    self.private_pem()):
            with self.subTest(pem=pem[:40]):
                self.check_trust(self.trust_text(pem=pem))

    def private_pem(self):
        with open(self.key + ".key") as f:
            return f.read()

    def test_bad_validity_times(self):
        for line in ("    not-after: tomorrow", "    not-before: 2026-13-01T00:00:00Z",
                     "    revoked: [2026-01-01T00:00:00Z]",
                     "    not-after: 99999999999-01-01T00:00:00Z"):
            with self.subTest(line=line):
                self.check_trust(self.trust_text(extra_key_lines=[line]))

    def test_empty_and_garbage(self):
        rnd = random.Random(99)
        for tag, data in (("empty", b""), ("newline", b"\n"), ("comment", b"# x\n"),
                          ("scalar", b"eia-trust\n"), ("random", bytes(rnd.getrandbits(8)
                                                                        for _ in range(5000))),
                          ("multidoc", (self.trust_text() + "---\n" + self.trust_text()).encode()),
                          ("version2", self.trust_text().replace("eia-trust: 1", "eia-trust: 2")
                           .encode())):
            with self.subTest(case=tag):
                self.check_trust(data)

    def test_many_keys(self):
        """1,025 keys (past the 1,024 cap), and 200k tiny keys (past the 4 MiB cap)."""
        t = self.trust_text()
        entry = t[t.index("  - id:"):]
        head = t[:t.index("  - id:")]
        many = head + "".join(entry.replace(self.keyid, "%064x" % i) for i in range(1025))
        self.check_trust(many)
        huge = head + "".join("  - {id: %064x, name: k, roles: [report], public-key: x}\n" % i
                              for i in range(200000))
        t = self.write_trust(huge, name="huge-trust.yaml")
        rc, out, err, rss, secs = hostile_lib.run_rss(
            ["audit", "--manifest", self.m, "--trust", t, "--root", self.root, "--quiet"])
        self.assertOneError((rc, out, err), 2, t)
        note("200k-key trust store (refused) peak RSS KiB / secs", "%d / %.2f" % (rss, secs))

    def test_50mb_scalar(self):
        t = self.write_trust(self.trust_text().replace("Hostile Test Office", "x" * (50 << 20)),
                             name="big-trust.yaml")
        rc, out, err, rss, secs = hostile_lib.run_rss(
            ["audit", "--manifest", self.m, "--trust", t, "--root", self.root, "--quiet"])
        self.assertOneError((rc, out, err), 2, t)
        note("50 MB trust store (refused) peak RSS KiB / secs", "%d / %.2f" % (rss, secs))
        self.assertLess(rss, hostile_lib.RSS_LIMIT_KB)

    # Regression test for the fixed bug fifo-input-blocks: file_read_all() opens without O_NONBLOCK, so
    # open(2) on a FIFO waits forever for a writer.
    def test_trust_store_is_a_fifo(self):
        """A FIFO in place of the trust store must not block the audit."""
        t = self.path("fifo-trust.yaml")
        os.mkfifo(t)
        self.assertOneError(self.audit(self.m, trust=t, timeout=5), 2, t)

    def test_trust_store_is_a_directory_or_device(self):
        for t in (self.path("root"), "/dev/zero"):
            with self.subTest(t=t):
                self.assertOneError(self.audit(self.m, trust=t, timeout=15), 2, t)


class HostileSignatureFileTest(hostile_lib.SignedFixture):
    """FILE.sig: malformed ones are input errors (exit 2); well-formed ones
    whose signatures do not verify are trust failures (exit 3)."""

    def setUp(self):
        super().setUp()
        self.m = self.signed(self.good_manifest_text())
        with open(self.m + ".sig") as f:
            self.good_sig = f.read()
        self.sig = self.m + ".sig"

    def put_sig(self, data):
        with open(self.sig, "wb") as f:
            f.write(_bytes(data))

    def check(self, data, code, pos=None, why=None):
        if data is not None:
            self.put_sig(data)
        res = self.audit(self.m)
        if code == 0:
            self.assertEqual(res[0], 0, res[2])
        else:
            self.assertOneError(res, code, self.sig if code == 2 else self.m, pos, why)
        rc, out, err = eialib.run(["verify", "--trust", self.trust, self.m], timeout=60)
        self.assertEqual(rc, code, err)
        if code == 2:
            self.assertOneError((rc, out, err), 2, self.sig, pos, why)

    def entry(self, key=None, alg="ed25519", sig=None):
        import base64
        sig = sig if sig is not None else base64.b64encode(os.urandom(64)).decode()
        return "  - key: %s\n    algorithm: %s\n    signature: %s\n" % (key or self.keyid, alg, sig)

    def test_fixture_is_good(self):
        self.assertEqual(self.audit(self.m)[0], 0)

    def test_missing_sig(self):
        os.remove(self.sig)
        self.check(None, 3)

    def test_forged_signature(self):
        self.check("eia-signatures: 1\nsignatures:\n" + self.entry(), 3)

    def test_signature_of_other_bytes(self):
        m2 = self.signed(self.good_manifest_text(serial=2), name="m2.yaml")
        with open(m2 + ".sig") as f:
            self.check(f.read(), 3)

    def test_untrusted_key(self):
        os.remove(self.sig)
        self.signed(self.good_manifest_text(), key=self.other)
        self.check(None, 3)

    def test_empty_signature_list(self):
        self.check("eia-signatures: 1\nsignatures: []\n", 3)

    def test_wrong_algorithm_for_key(self):
        self.check(self.good_sig.replace("ed25519", "ecdsa-p256"), 3)

    def test_base64_garbage(self):
        for bad in ("!!!not-base64!!!", "QUJD=", "QUJ", "QU JD", "====", "\"\"", "QUJD\\n",
                    "A" * 2000):
            with self.subTest(sig=bad):
                self.check("eia-signatures: 1\nsignatures:\n" + self.entry(sig=bad), 2, (5, 16))

    def test_key_id_wrong(self):
        for kid in (self.keyid[:63], self.keyid + "0", self.keyid.upper(), "g" * 64, "[a]",
                    "\"\"", "12"):
            with self.subTest(kid=kid):
                self.check("eia-signatures: 1\nsignatures:\n" + self.entry(key=kid), 2, (3, 10))

    def test_unknown_algorithm(self):
        for alg in ("rsa-1024", "ed448", "ED25519", "[ed25519]", "md5"):
            with self.subTest(alg=alg):
                self.check("eia-signatures: 1\nsignatures:\n" + self.entry(alg=alg), 2, (4, 16))

    def test_10000_entries(self):
        body = "".join(self.entry(key="%064x" % i) for i in range(10000))
        self.put_sig("eia-signatures: 1\nsignatures:\n" + body)
        rc, out, err, rss, secs = hostile_lib.run_rss(
            ["audit", "--manifest", self.m, "--trust", self.trust, "--root", self.root, "--quiet"])
        self.assertOneError((rc, out, err), 2, self.sig)
        note("10,000-entry .sig (refused) peak RSS KiB / secs", "%d / %.2f" % (rss, secs))
        self.assertLess(secs, 30)

    def test_257_entries(self):
        body = "".join(self.entry(key="%064x" % i, sig="QUJD") for i in range(257))
        self.check("eia-signatures: 1\nsignatures:\n" + body, 2, (3, 3), "more than 256")

    def test_256_entries_with_one_good(self):
        good = self.good_sig.split("signatures:\n", 1)[1]
        body = "".join(self.entry(key="%064x" % i) for i in range(255)) + good
        self.check("eia-signatures: 1\nsignatures:\n" + body, 0)

    def test_same_key_twice(self):
        good = self.good_sig.split("signatures:\n", 1)[1]
        # a forged entry and the genuine one for the same key: the genuine
        # one counts at most once; a duplicate is refused or ignored, never counted twice
        p = self.write_trust(self.trust_text(baseline=2), name="t2.yaml")
        self.put_sig("eia-signatures: 1\nsignatures:\n" + good + good)
        rc, out, err = self.audit(self.m, trust=p)
        self.assertIn(rc, (2, 3), err)
        self.assertOneError((rc, out, err), rc, None)

    def test_yaml_attacks(self):
        cases = [
            ("alias", "eia-signatures: 1\nsignatures: &s []\nother: *s\n", (2, 13), "anchors"),
            ("deep", "eia-signatures: 1\nsignatures: " + "[" * 10000 + "]" * 10000 + "\n", None,
             "nesting too deep"),
            ("nul", "eia-signatures: 1\nsignatures: []\n\0", None, "NUL"),
            ("utf8", "eia-signatures: 1\nsignatures: [\xff]\n", None, None),
            ("dupkey", "eia-signatures: 1\nsignatures: []\nsignatures: []\n", (3, 1),
             "duplicate key"),
            ("unknown", "eia-signatures: 1\nsignatures: []\nsigned-by: me\n", (3, 1),
             "unknown key"),
            ("multidoc", "eia-signatures: 1\nsignatures: []\n---\neia-signatures: 1\n", (3, 1),
             "multi-document"),
            ("empty", "", None, None),
            ("random", bytes(random.Random(3).getrandbits(8) for _ in range(3000)), None, None),
            ("version", "eia-signatures: 18446744073709551616\nsignatures: []\n", (1, 17), None),
            ("entry_scalar", "eia-signatures: 1\nsignatures: [abc]\n", (2, 14), None),
            ("sigs_mapping", "eia-signatures: 1\nsignatures: {a: b}\n", (2, 13), None),
            ("entry_dup", "eia-signatures: 1\nsignatures:\n" + self.entry().replace(
                "    algorithm:", "    key: %s\n    algorithm:" % self.keyid), (4, 5),
             "duplicate key"),
        ]
        for tag, data, pos, why in cases:
            with self.subTest(case=tag):
                self.check(data, 2, pos, why)

    def test_huge_sig_file(self):
        self.put_sig("eia-signatures: 1\nsignatures: []\n# " + "x" * (50 << 20) + "\n")
        rc, out, err, rss, secs = hostile_lib.run_rss(
            ["audit", "--manifest", self.m, "--trust", self.trust, "--root", self.root, "--quiet"])
        self.assertOneError((rc, out, err), 2, self.sig)
        note("50 MB .sig (refused) peak RSS KiB / secs", "%d / %.2f" % (rss, secs))
        self.assertLess(rss, hostile_lib.RSS_LIMIT_KB)

    def test_sig_is_a_directory_symlink_or_device(self):
        os.remove(self.sig)
        os.mkdir(self.sig)
        self.check(None, 2)
        os.rmdir(self.sig)
        os.symlink("/dev/zero", self.sig)
        self.check(None, 2)

    # Regression test for the fixed bug fifo-input-blocks: see HostileTrustStoreTest.test_trust_store_is_a_fifo
    def test_sig_is_a_fifo(self):
        """A FIFO planted as MANIFEST.yaml.sig must not block the audit."""
        os.remove(self.sig)
        os.mkfifo(self.sig)
        self.assertOneError(self.audit(self.m, timeout=5), 2, self.sig)

    # Regression test for the fixed bug fifo-input-blocks
    def test_manifest_is_a_fifo(self):
        f = self.path("fifo.yaml")
        os.mkfifo(f)
        self.assertOneError(self.audit(f, timeout=5), 2, f)

    # Regression test for the fixed bug yaml-char-positions: see HostileTrustStoreTest
    def test_invalid_utf8_and_nul_positions(self):
        self.check("eia-signatures: 1\nsignatures: [\xff]\n", 2, (2, 14), "UTF-8")
        self.check("eia-signatures: 1\nsignatures: []\n\0", 2, (3, 1), "NUL")

    def test_sign_refuses_hostile_existing_sig(self):
        """`eia sign` appends to an existing .sig: a malformed one is refused
        (exit 2) and left as it was, never silently replaced."""
        for data in ("eia-signatures: 1\nsignatures: " + "[" * 10000, "\xff\xfe",
                     "eia-signatures: 1\nsignatures:\n" + "".join(
                         self.entry(key="%064x" % i) for i in range(256))):
            with self.subTest(data=data[:30]):
                self.put_sig(data)
                res = eialib.run(["sign", "-k", self.key + ".key", self.m], timeout=60)
                self.assertOneError(res, 2, self.sig)
                with open(self.sig, "rb") as f:
                    self.assertEqual(f.read(), _bytes(data))


class HostileStateFileTest(hostile_lib.SignedFixture):
    """The rollback state file is input too: a bad one is exit 2, unchanged."""

    def test_hostile_state(self):
        m = self.signed(self.good_manifest_text())
        st = self.path("state.yaml")
        for tag, data in (("alias", "eia-state: 1\nseries: &s []\n"),
                          ("deep", "eia-state: 1\nseries: " + "[" * 10000 + "]" * 10000 + "\n"),
                          ("serial_2p64", "eia-state: 1\nseries:\n  - {name: hostile, serial: "
                           "18446744073709551616, sha256: %s}\n" % H64),
                          ("nul", "eia-state: 1\n\0"), ("empty", ""),
                          ("utf8", "eia-state: 1\nseries: [\xff]\n"),
                          ("multidoc", "eia-state: 1\nseries: []\n---\neia-state: 1\n")):
            with self.subTest(case=tag):
                with open(st, "wb") as f:
                    f.write(_bytes(data))
                self.assertOneError(self.audit(m, extra=["--state", st]), 2, st)
                with open(st, "rb") as f:
                    self.assertEqual(f.read(), _bytes(data))


if __name__ == "__main__":
    eialib.main()
