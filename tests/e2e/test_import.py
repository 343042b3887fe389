"""`eia import`: real `sha256sum` and `bsdtar --format=mtree` output of a real
tree becomes a canonical, unsigned manifest; bad lines are exit 2 with
FILE:LINE."""
import hashlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eialib  # noqa: E402

MTREE_OPTS = "!all,type,mode,size,sha256,link,uid,gid"


def sha(data):
    return hashlib.sha256(data).hexdigest()


class ImportTest(eialib.EiaTest):
    def make_tree(self):
        root = self.path("tree")
        self.write("tree/bin/tabulate", b"tabulator", mode=0o755)
        self.write("tree/with space.txt", b"space")
        self.write("tree/new\nline", b"newline")
        self.write("tree/back\\slash", b"backslash")
        self.write("tree/\u0635\u0646\u062f\u0648\u0642/ballot #1.pdf", b"ballot")
        os.symlink("bin/tabulate", os.path.join(root, "link"))
        return root

    def sha256sums(self, root, binary=False):
        files = []
        for d, _, names in os.walk(root):
            for n in names:
                p = os.path.join(d, n)
                if not os.path.islink(p):
                    files.append("./" + os.path.relpath(p, root))
        files.sort()
        args = ["sha256sum"] + (["-b"] if binary else []) + ["--"] + files
        out = subprocess.run(args, cwd=root, capture_output=True, check=True).stdout
        return self.write("sums.txt", out)

    def load(self, manifest):
        with open(manifest, encoding="utf-8") as f:
            return f.read()

    def test_sha256sum_output(self):
        root = self.make_tree()
        sums = self.sha256sums(root)
        with open(sums, "rb") as f:
            raw = f.read()
        self.assertIn(b"\\", raw)  # the newline name was escaped by sha256sum
        out = self.path("m.yaml")
        rc, stdout, err = self.eia("import", "--sha256sums", sums, "-o", out,
                                   "--name", "county-7", "--serial", "3")
        self.assertEqual(rc, 0, err)
        text = self.load(out)
        self.assertTrue(text.startswith('eia-manifest: 1\nname: "county-7"\nserial: 3\n'))
        self.assertIn("policy:\n  unlisted: fail\n", text)
        self.assertIn('  - {path: "bin", type: dir}\n', text)
        self.assertIn('  - {path: "bin/tabulate", type: file, sha256: %s}\n' % sha(b"tabulator"), text)
        self.assertIn('  - {path: "new\\nline", type: file, sha256: %s}\n' % sha(b"newline"), text)
        self.assertIn('  - {path: "back\\\\slash", type: file, sha256: %s}\n' % sha(b"backslash"), text)
        self.assertIn('  - {path: "with space.txt", type: file, sha256: %s}\n' % sha(b"space"), text)
        self.assertIn('\u0635\u0646\u062f\u0648\u0642/ballot #1.pdf", type: file', text)
        self.assertNotIn("./", text)
        # the written manifest is valid and canonical: diff against itself
        self.assertEqual(self.eia("diff", out, out)[:2], (0, "no differences\n"))

    def test_sha256sum_binary_mode_same_manifest(self):
        root = self.make_tree()
        a, b = self.path("a.yaml"), self.path("b.yaml")
        self.assertEqual(self.eia("import", "--sha256sums", self.sha256sums(root), "-o", a,
                                  "--name", "n", "--serial", "1")[0], 0)
        self.assertEqual(self.eia("import", "--sha256sums", self.sha256sums(root, True), "-o", b,
                                  "--name", "n", "--serial", "1")[0], 0)
        self.assertEqual(self.load(a), self.load(b))

    def test_bsdtar_mtree_output(self):
        root = self.make_tree()
        os.chmod(os.path.join(root, "bin"), 0o750)
        spec = self.path("out.mtree")
        eialib.sh("bsdtar --format=mtree --options='%s' -cf %s -C %s ." % (MTREE_OPTS, spec, root))
        out = self.path("m.yaml")
        rc, _, err = self.eia("import", "--mtree", spec, "-o", out, "--name", "n", "--serial", "7")
        self.assertEqual(rc, 0, err)
        text = self.load(out)
        uid, gid = os.getuid(), os.getgid()
        self.assertIn('  - {path: "bin", type: dir, mode: "0750", uid: %d, gid: %d}\n' % (uid, gid), text)
        self.assertIn('  - {path: "bin/tabulate", type: file, size: 9, sha256: %s, mode: "0755", '
                      'uid: %d, gid: %d}\n' % (sha(b"tabulator"), uid, gid), text)
        self.assertIn('  - {path: "link", type: symlink, mode: "0777", uid: %d, gid: %d, '
                      'target: "bin/tabulate"}\n' % (uid, gid), text)
        self.assertIn('  - {path: "new\\nline", type: file, size: 7', text)
        self.assertIn('  - {path: "with space.txt", type: file, size: 5', text)
        self.assertIn('\u0635\u0646\u062f\u0648\u0642/ballot #1.pdf", type: file, size: 6', text)
        self.assertNotIn('path: "."', text)
        self.assertEqual(self.eia("diff", out, out)[0], 0)

    def test_bsdtar_default_keywords_with_set(self):
        root = self.make_tree()
        spec = self.path("def.mtree")
        # default keywords include time=, uname=, gname= (ignored) and /set lines
        eialib.sh("bsdtar --format=mtree --options='sha256,use-set' -cf %s -C %s ." % (spec, root))
        with open(spec) as f:
            self.assertIn("/set ", f.read())
        a, b = self.path("a.yaml"), self.path("b.yaml")
        self.assertEqual(self.eia("import", "--mtree", spec, "-o", a, "--name", "n",
                                  "--serial", "1")[0], 0)
        strict = self.path("strict.mtree")
        eialib.sh("bsdtar --format=mtree --options='%s' -cf %s -C %s ." % (MTREE_OPTS, strict, root))
        self.assertEqual(self.eia("import", "--mtree", strict, "-o", b, "--name", "n",
                                  "--serial", "1")[0], 0)
        self.assertEqual(self.eia("diff", a, b)[:2], (0, "no differences\n"))

    def test_mtree_relative_form(self):
        spec = self.write("rel.mtree", "#\t   user: root\n"
                          "/set type=file uid=0 gid=0 mode=0644\n"
                          ".               type=dir mode=0755\n"
                          "    a\\040b      size=3 \\\n"
                          "                sha256digest=%s\n"
                          "sub             type=dir mode=0700\n"
                          "    c           time=1.0 nlink=1 sha256=%s\n"
                          "    ..\n"
                          "    ln          type=link link=sub/c\n"
                          "..\n" % (sha(b"abc"), sha(b"c")))
        out = self.path("m.yaml")
        rc, _, err = self.eia("import", "--mtree", spec, "-o", out, "--name", "n", "--serial", "1")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.load(out).split("entries:\n")[1],
                         '  - {path: "a b", type: file, size: 3, sha256: %s, mode: "0644", uid: 0, gid: 0}\n'
                         '  - {path: "ln", type: symlink, mode: "0644", uid: 0, gid: 0, target: "sub/c"}\n'
                         '  - {path: "sub", type: dir, mode: "0700", uid: 0, gid: 0}\n'
                         '  - {path: "sub/c", type: file, sha256: %s, mode: "0644", uid: 0, gid: 0}\n'
                         % (sha(b"abc"), sha(b"c")))

    def bad_sums(self, text, line, why):
        sums = self.write("bad.txt", text)
        out = self.path("m.yaml")
        rc, o, err = self.eia("import", "--sha256sums", sums, "-o", out, "--name", "n", "--serial", "1")
        self.assertExit((rc, o, err), 2, "%s:%d: %s" % (sums, line, why))
        self.assertFalse(os.path.exists(out))

    def test_bad_sha256sum_lines(self):
        h = sha(b"x")
        self.bad_sums("%s  ok\nnot a checksum line\n" % h, 2, "expected '<64 hex digits>  PATH'")
        self.bad_sums("%s  ok\n%s  short\n" % (h, h[:60]), 2, "expected")
        self.bad_sums("%s  ok\n%s  zz\n" % (h, "g" * 64), 2, "the sha256 is not 64 hex digits")
        self.bad_sums("%s  /etc/passwd\n" % h, 1, "path must be relative")
        self.bad_sums("%s  a/../b\n" % h, 1, "path has a '..' component")
        self.bad_sums("%s  a\n%s  ./a\n" % (h, h), 2, "'a' is listed twice")
        self.bad_sums("\\%s  a\\qb\n" % h, 1, "bad escape in file name")
        self.bad_sums("%s  a\r\n" % h, 1, "line ends with CR")
        self.bad_sums("%s  a\n%s  a/b\n" % (h, h), 1, "'a' is listed as a file but other paths are inside it")
        self.bad_sums("%s  ./\n" % h, 1, "path is empty")
        # a name with a newline stays on the one stderr line, escaped
        self.bad_sums("\\%s  a\\nb\n\\%s  ./a\\nb\n" % (h, h), 2, "'a\\nb' is listed twice")

    def bad_mtree(self, text, line, why):
        spec = self.write("bad.mtree", text)
        out = self.path("m.yaml")
        rc, o, err = self.eia("import", "--mtree", spec, "-o", out, "--name", "n", "--serial", "1")
        self.assertExit((rc, o, err), 2, "%s:%d: %s" % (spec, line, why))
        self.assertFalse(os.path.exists(out))

    def test_bad_mtree_lines(self):
        h = sha(b"x")
        self.bad_mtree("#mtree\n./a type=file size=1\n", 2, "no sha256digest")
        self.bad_mtree("#mtree\n./a type=file md5digest=%s\n" % ("0" * 32), 2, "no sha256digest")
        self.bad_mtree("#mtree\n./d type=dir\n./d/f type=fifo\n", 3, "unsupported mtree type 'fifo'")
        self.bad_mtree("#mtree\n./a type=file mode=0999 sha256digest=%s\n" % h, 2, "bad mode")
        self.bad_mtree("#mtree\n./a type=file size=-1 sha256digest=%s\n" % h, 2, "bad size")
        self.bad_mtree("#mtree\n./a type=file sha256digest=abc\n", 2, "bad digest value for 'sha256'")
        self.bad_mtree("#mtree\n./l type=link\n", 2, "link without a link= target")
        self.bad_mtree("#mtree\n./a\\000b type=dir\n", 2, "bad escape or NUL byte")
        self.bad_mtree("#mtree\n./a\\q type=dir\n", 2, "bad escape or NUL byte")
        self.bad_mtree("#mtree\n../x type=dir\n", 2, "path has a '..' component")
        self.bad_mtree("#mtree\n..\n", 2, "'..' above the top directory")
        self.bad_mtree("#mtree\n/etc type=dir\n", 2, "unknown mtree command or absolute path")
        self.bad_mtree("#mtree\n./a type=dir\n./a type=dir\n", 3, "'a' is listed twice")
        self.bad_mtree("#mtree\n./a type=bogus\n", 2, "unknown mtree type")
        self.bad_mtree("#mtree\n./new\\012line type=file\n", 2, "no sha256digest (eia needs sha256 on every file): './new\\nline'")

    def test_usage(self):
        sums = self.write("s.txt", "")
        self.assertExit(self.eia("import", "-o", self.path("m.yaml"), "--name", "n",
                                 "--serial", "1"), 2, "exactly one of --sha256sums and --mtree")
        self.assertExit(self.eia("import", "--sha256sums", sums, "--name", "n", "--serial", "1"),
                        2, "-o, --name and --serial are required")
        self.assertExit(self.eia("import", "--sha256sums", sums, "-o", self.path("m.yaml"),
                                 "--name", "n", "--serial", "x"), 2, "--serial")
        self.assertExit(self.eia("import", "--sha256sums", self.path("absent"), "-o",
                                 self.path("m.yaml"), "--name", "n", "--serial", "1"), 2, "absent")
        rc, out, _ = self.eia("import", "--help")
        self.assertEqual(rc, 0)
        self.assertIn("usage: eia import", out)

    def test_empty_list_gives_empty_manifest(self):
        sums = self.write("s.txt", "")
        out = self.path("m.yaml")
        self.assertEqual(self.eia("import", "--sha256sums", sums, "-o", out, "--name", "n",
                                  "--serial", "0")[0], 0)
        self.assertTrue(self.load(out).endswith("entries: []\n"))


if __name__ == "__main__":
    eialib.main()
