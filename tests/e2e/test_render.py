"""eia render: the JSON report as text, HTML, JUnit and SARIF.

Fixtures are hand-written reports: a pass, a drift (nested archive member,
firmware region and chunk, a warn finding, a name that is not UTF-8, Persian
names, names with newlines and terminal escapes) and an untrusted audit.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

from eialib import EiaTest, main

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
PASS = os.path.join(FIXTURES, "render-pass.json")
DRIFT = os.path.join(FIXTURES, "render-drift.json")
UNTRUSTED = os.path.join(FIXTURES, "render-untrusted.json")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
XMLLINT = shutil.which("xmllint")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class RenderText(EiaTest):
    def text(self, report):
        rc, out, err = self.eia("render", report, "--text")
        self.assertEqual(rc, 0, err)
        return out

    def test_verdict_is_the_first_line(self):
        self.assertEqual(self.text(PASS).splitlines()[0], "PASS")
        self.assertEqual(self.text(DRIFT).splitlines()[0],
                         "DRIFT: 8 findings (7 fail, 1 warn)")
        first = self.text(UNTRUSTED).splitlines()[0]
        self.assertTrue(first.startswith("UNTRUSTED: "), first)
        self.assertIn("1 of 2 required", first)

    def test_one_line_per_finding_with_location(self):
        out = self.text(DRIFT)
        self.assertIn("FAIL modified  packages/tabulator-5.17.tar.gz -> "
                      "usr/share/ballots.zip -> ballots/ballot-style-3.pdf: "
                      "size 12 -> 10; sha256 expected 4a44dc153642.. actual "
                      "4fc82b26aecb..\n", out)
        self.assertIn("FAIL modified  firmware/ds200-2.17.bin [region bootloader]: ", out)
        self.assertIn("FAIL modified  firmware/ds200-2.17.bin [chunk 3]: ", out)
        self.assertIn("WARN unlisted  logs/debug\\nrm -rf.txt: ", out)
        self.assertIn("FAIL unlisted  extra/bad\\xffname.bin: ", out)
        lines = [l for l in out.splitlines() if l.startswith(("FAIL ", "WARN "))]
        self.assertEqual(len(lines), len(load(DRIFT)["findings"]))

    def test_signers_and_persian_names(self):
        out = self.text(DRIFT)
        self.assertIn("signed by مریم احمدی (key 6b86b273ff34fce1..): valid", out)
        self.assertIn("baseline پیکربندی انتخابات شهرستان serial 3", out)

    def test_control_characters_never_reach_the_terminal(self):
        out = self.text(DRIFT)
        for bad in ("\x1b", "\u202e", "\u0085", "\r"):
            self.assertNotIn(bad, out)
        self.assertIn("Officer\\nEvil \\x1b[31mRED", out)
        self.assertIn("bin/evil\\x1b[2J\\u202etxt.exe", out)


class RenderJUnit(EiaTest):
    def junit(self, report):
        out = self.path("junit.xml")
        rc, stdout, err = self.eia("render", report, "--junit", "-o", out)
        self.assertEqual(rc, 0, err)
        self.assertEqual(stdout, "")
        if XMLLINT:
            p = subprocess.run([XMLLINT, "--noout", out], capture_output=True)
            self.assertEqual(p.returncode, 0, p.stderr)
        return ET.parse(out).getroot()

    def cases(self, root):
        return {tc.get("name"): tc for tc in root.iter("testcase")}

    def test_drift(self):
        root = self.junit(DRIFT)
        self.assertEqual(root.tag, "testsuites")
        suite = root.find("testsuite")
        self.assertTrue(suite.get("name").startswith(
            "eia audit: isfahan-2026-precinct-tabulator"))
        cases = self.cases(root)
        report = load(DRIFT)
        # one per entry, one per unlisted path, one for trust
        self.assertEqual(len(cases), len(report["entries"]) + 3 + 1)
        self.assertEqual(int(suite.get("tests")), len(cases))
        failed = [n for n, tc in cases.items() if tc.find("failure") is not None]
        self.assertEqual(int(suite.get("failures")), len(failed))
        self.assertEqual(sorted(failed), sorted([
            "data/نتایج/شعبه-۱۲.csv", "firmware/ds200-2.17.bin",
            "packages/tabulator-5.17.tar.gz", "bin/evil\\x1b[2J\\u202etxt.exe",
            "extra/bad\\xffname.bin"]))
        self.assertIsNone(cases["trust"].find("failure"))
        self.assertIsNone(cases["bin/tabulate"].find("failure"))
        fw = cases["firmware/ds200-2.17.bin"].findall("failure")
        self.assertEqual(len(fw), 2)
        self.assertEqual(fw[0].get("type"), "modified")
        self.assertIn("expected: sha256 ef2d127de37b942b", fw[0].text)
        self.assertIn("actual:   sha256 4a44dc15364204a8", fw[0].text)
        warn = cases["logs/debug\\nrm -rf.txt"]
        self.assertIsNone(warn.find("failure"))
        self.assertIn("WARN unlisted", warn.find("system-out").text)
        for tc in cases.values():
            self.assertTrue(tc.get("classname").startswith("eia.isfahan-2026"))

    def test_untrusted_fails_the_trust_testcase(self):
        root = self.junit(UNTRUSTED)
        cases = self.cases(root)
        self.assertEqual(list(cases), ["trust"])
        failure = cases["trust"].find("failure")
        self.assertEqual(failure.get("type"), "untrusted")
        self.assertIn("unknown-key", failure.text)
        self.assertEqual(root.find("testsuite").get("failures"), "1")

    def test_pass(self):
        root = self.junit(PASS)
        self.assertEqual(root.find("testsuite").get("failures"), "0")
        self.assertEqual(len(self.cases(root)), 3)


class RenderSarif(EiaTest):
    def sarif(self, report):
        rc, out, err = self.eia("render", report, "--sarif")
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def test_drift(self):
        doc = self.sarif(DRIFT)
        report = load(DRIFT)
        self.assertEqual(doc["version"], "2.1.0")
        self.assertEqual(doc["$schema"], "https://json.schemastore.org/sarif-2.1.0.json")
        run = doc["runs"][0]
        self.assertEqual(run["tool"]["driver"]["name"], "eia")
        results = run["results"]
        self.assertEqual(len(results), len(report["findings"]))
        rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
        self.assertEqual(sorted(rule_ids), sorted({f["kind"] for f in report["findings"]}))
        for res, f in zip(results, report["findings"]):
            self.assertEqual(res["ruleId"], f["kind"])
            self.assertEqual(rule_ids[res["ruleIndex"]], f["kind"])
            self.assertEqual(res["level"], "error" if f["severity"] == "fail" else "warning")
            self.assertTrue(res["message"]["text"])
            self.assertEqual(res["properties"]["member"], f["member"])
            self.assertEqual(res["properties"]["expected"], f["expected"])
            self.assertEqual(res["properties"]["actual"], f["actual"])
        uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for r in results]
        self.assertIn("data/%D9%86%D8%AA%D8%A7%DB%8C%D8%AC/"
                      "%D8%B4%D8%B9%D8%A8%D9%87-%DB%B1%DB%B2.csv", uris)
        self.assertIn("extra/bad%FFname.bin", uris)      # lossless from path_hex
        self.assertIn("logs/debug%0Arm%20-rf.txt", uris)
        nested = results[-1]
        self.assertEqual(nested["properties"]["member"],
                         ["usr/share/ballots.zip", "ballots/ballot-style-3.pdf"])
        self.assertEqual(nested["locations"][0]["logicalLocations"][-1]["name"],
                         "ballots/ballot-style-3.pdf")
        self.assertEqual(results[3]["properties"]["region"], "bootloader")
        self.assertEqual(results[4]["properties"]["chunk"], 3)

    def test_untrusted_has_no_results_but_says_why(self):
        run = self.sarif(UNTRUSTED)["runs"][0]
        self.assertEqual(run["results"], [])
        note = run["invocations"][0]["toolExecutionNotifications"][0]
        self.assertTrue(note["message"]["text"].startswith("UNTRUSTED"))
        self.assertEqual(run["properties"]["result"], "untrusted")

    def test_pass(self):
        run = self.sarif(PASS)["runs"][0]
        self.assertEqual(run["results"], [])
        self.assertEqual(run["tool"]["driver"]["rules"], [])


class RenderHtml(EiaTest):
    def html(self, report, name="report.html"):
        out = self.path(name)
        rc, stdout, err = self.eia("render", report, "--html", "-o", out)
        self.assertEqual(rc, 0, err)
        with open(out, encoding="utf-8") as f:
            return out, f.read()

    def test_self_contained_and_escaped(self):
        _, page = self.html(DRIFT)
        self.assertTrue(page.startswith("<!DOCTYPE html>"))
        self.assertIn('<html lang="en" dir="ltr">', page)
        self.assertIn('<meta charset="utf-8">', page)
        low = page.lower()
        for banned in ("<script", "<link", "src=", "@import", "url(", "http://"):
            self.assertNotIn(banned, low)
        self.assertIn("@media print", page)
        self.assertIn("size:A4", page)
        self.assertIn("Reza M. &quot;Observer&quot; &lt;ngo&gt; &amp; co", page)
        self.assertIn("DS-200 &lt;rev B&gt;", page)
        self.assertNotIn("\x1b", page)
        self.assertNotIn("\u202e", page)

    def test_user_strings_are_isolated_for_rtl(self):
        _, page = self.html(DRIFT)
        for name in ("مریم احمدی", "زهرا کریمی", "پیکربندی انتخابات شهرستان",
                     "اصفهان، حوزه ۱۲", "شرکت رای\u200cافزار پارس"):
            pattern = r'(<bdi>|<t[dh] dir="auto">)%s</(bdi|td|th)>' % re.escape(name)
            self.assertTrue(re.search(pattern, page), "%s is not isolated" % name)
        # every occurrence of a Persian name sits in an isolating element
        for m in re.finditer("زهرا کریمی", page):
            before = page[:m.start()]
            self.assertTrue(before.endswith(("<bdi>", 'dir="auto">')),
                            page[m.start() - 60:m.end()])
        # paths stay left-to-right, each component isolated
        self.assertIn('<span class="path" dir="ltr"><bdi>data</bdi>/<bdi>نتایج</bdi>/'
                      '<bdi>شعبه-۱۲.csv</bdi></span>', page)

    def test_contents(self):
        _, page = self.html(DRIFT)
        self.assertLess(page.index(">DRIFT<"), page.index("Summary"))
        for text in ("Baseline identity", "Target and chain of custody", "Findings",
                     "Evidence", "Witnesses", "4a44dc15364204a80fe80e9039455cc1608281820fe2b24f1e5233ade6af1dd5",
                     "NOT match", "enforced", "unknown-key"):
            self.assertIn(text, page)
        self.assertGreaterEqual(page.count("<tr><td></td><td></td><td></td><td></td></tr>"), 3)
        _, page = self.html(UNTRUSTED, "u.html")
        self.assertIn(">UNTRUSTED<", page)
        self.assertIn("NOT enforced", page)

    @unittest.skipUnless(CHROMIUM, "chromium is not installed")
    def test_renders_in_headless_chromium(self):
        for report in (DRIFT, PASS, UNTRUSTED):
            html, _ = self.html(report, os.path.basename(report) + ".html")
            png = html + ".png"
            profile = tempfile.mkdtemp(dir=self.tmp)
            subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-quic", "--no-first-run",
                            "--disable-background-networking",
                            "--disable-component-update", "--disable-sync",
                            "--user-data-dir=" + profile, "--screenshot=" + png,
                            "--window-size=1200,1600", "file://" + html],
                           capture_output=True, timeout=120)
            self.assertTrue(os.path.exists(png), "no screenshot for " + report)
            with open(png, "rb") as f:
                data = f.read()
            self.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n")
            width, height = struct.unpack(">II", data[16:24])
            self.assertEqual((width, height), (1200, 1600))
            self.assertGreater(len(data), 20000)


class RenderErrors(EiaTest):
    def test_missing_file(self):
        self.assertExit(self.eia("render", self.path("missing.json"), "--text"), 2,
                        "missing.json")

    def test_not_a_report(self):
        p = self.write("other.json", '{"eia-manifest": 1}\n')
        self.assertExit(self.eia("render", p, "--html"), 2, "not an eia report")
        p = self.write("v2.json", '{"eia-report": 2, "result": "pass"}\n')
        self.assertExit(self.eia("render", p, "--html"), 2, "not an eia report")
        p = self.write("bad.json", '{"eia-report": 1,\n "result": "pass",,}\n')
        self.assertExit(self.eia("render", p, "--text"), 2, "bad.json:2:")

    def test_usage(self):
        self.assertExit(self.eia("render", PASS), 2, "--text")
        self.assertExit(self.eia("render", "--text"), 2)
        self.assertExit(self.eia("render", PASS, "--text", "--sarif"), 2)
        self.assertExit(self.eia("render", PASS, "--text", "-o"), 2)
        self.assertExit(self.eia("render", PASS, "--pdf"), 2)
        rc, out, err = self.eia("render", "--help")
        self.assertEqual(rc, 0)
        self.assertIn("usage: eia render", out)

    def test_output_file_replaced_whole(self):
        out = self.write("out.txt", "old contents\n" * 1000)
        rc, stdout, err = self.eia("render", PASS, "--text", "-o", out)
        self.assertEqual((rc, stdout), (0, ""), err)
        with open(out) as f:
            self.assertEqual(f.read().splitlines()[0], "PASS")
        self.assertEqual(sorted(os.listdir(self.tmp)), ["out.txt"])


if __name__ == "__main__":
    main()
