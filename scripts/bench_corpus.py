#!/usr/bin/env python3
"""Helper for scripts/bench: deterministic corpora and the results table.

    bench_corpus.py tree DIR COUNT                 small-file tree (1-8 KiB files)
    bench_corpus.py packages DIR COUNT MEMBERS     tar.gz and zip packages
    bench_corpus.py repack SRC DST                 same members, different bytes
    bench_corpus.py sumlist DIR OUT                sha256sum-style list of DIR's files
    bench_corpus.py report RESULTS_DIR OUT.md      table from hyperfine/time output
    bench_corpus.py splice OUT.md DOC.md           put the table into DOC.md's
                                                   generated part, keep the rest

Every byte is a function of fixed seeds, so two runs (or two machines) get the
same corpus. Members and files are slices of a pseudo-random pool, so making
50,000 files costs a few seconds of Python, not minutes.
"""
import gzip
import hashlib
import io
import json
import os
import random
import re
import sys
import tarfile
import zipfile

SEED = 20261124
MTIME = 1767225600  # 2026-01-01T00:00:00Z, every member and file header


def binary_pool(size, seed):
    return random.Random(seed).randbytes(size)


def text_pool(size, seed):
    """Compressible, text-like bytes: words from a small vocabulary."""
    rnd = random.Random(seed)
    syll = ["ba", "lot", "vo", "te", "pre", "cin", "ct", "tab", "ula", "tor", "can",
            "di", "date", "re", "port", "seal", "card", "poll", "book", "count"]
    words = ["".join(rnd.choice(syll) for _ in range(rnd.randint(1, 4)))
             for _ in range(2000)]
    out = io.StringIO()
    n = 0
    while n < size:
        line = " ".join(rnd.choice(words) for _ in range(rnd.randint(4, 14))) + "\n"
        out.write(line)
        n += len(line)
    return out.getvalue().encode()[:size]


def content(pool, rnd, label):
    """1-8 KiB: a unique header line, then a slice of the pool."""
    size = rnd.randint(1024, 8192)
    head = ("%s\n" % label).encode()
    off = rnd.randrange(0, len(pool) - size)
    return (head + pool[off:off + size])[:size]


def tree_path(i):
    # 50 x 20 folders, 50 files per leaf folder at 50,000 files
    return "d%02d/s%02d/f%05d.dat" % (i % 50, (i // 50) % 20, i)


def cmd_tree(root, count):
    count = int(count)
    pool = binary_pool(16 << 20, SEED)
    rnd = random.Random(SEED + 1)
    made = set()
    for i in range(count):
        rel = tree_path(i)
        d = os.path.dirname(rel)
        if d not in made:
            os.makedirs(os.path.join(root, d), exist_ok=True)
            made.add(d)
        with open(os.path.join(root, rel), "wb") as f:
            f.write(content(pool, rnd, rel))


def member_list(pkg, members, pool):
    rnd = random.Random(SEED + 7 * pkg)
    out = []
    for m in range(members):
        name = "usr/share/pkg%d/dir%02d/sub%d/file%05d.txt" % (pkg, m % 40, (m // 40) % 5, m)
        out.append((name, content(pool, rnd, name)))
    return out


def write_tar_gz(path, items, level):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in items:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = MTIME
            ti.mode = 0o644
            ti.uname = ti.gname = "root"
            t.addfile(ti, io.BytesIO(data))
    with open(path, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0,
                           compresslevel=level) as g:
            g.write(raw.getvalue())


def write_zip(path, items, level):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=level) as z:
        for name, data in items:
            zi = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            zi.external_attr = (0o100644 << 16)
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data, compress_type=zipfile.ZIP_DEFLATED,
                       compresslevel=level)


def pkg_name(i):
    return "pkg%d.zip" % i if i % 3 == 2 else "pkg%d.tar.gz" % i


def cmd_packages(root, count, members, level=6):
    os.makedirs(root, exist_ok=True)
    pool = text_pool(8 << 20, SEED + 3)
    for i in range(int(count)):
        items = member_list(i, int(members), pool)
        path = os.path.join(root, pkg_name(i))
        if path.endswith(".zip"):
            write_zip(path, items, int(level))
        else:
            write_tar_gz(path, items, int(level))


def cmd_repack(src, dst):
    """Same members (names, modes, times, bytes), recompressed at level 1."""
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        s, d = os.path.join(src, name), os.path.join(dst, name)
        if name.endswith(".zip"):
            with zipfile.ZipFile(s) as z:
                items = [(zi.filename, z.read(zi)) for zi in z.infolist()]
            write_zip(d, items, 1)
        else:
            with gzip.open(s, "rb") as g:
                raw = g.read()
            with open(d, "wb") as f:
                with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0,
                                   compresslevel=1) as g:
                    g.write(raw)


def cmd_sumlist(root, out):
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            p = os.path.join(dirpath, fn)
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for blk in iter(lambda: f.read(1 << 20), b""):
                    h.update(blk)
            lines.append("%s  %s\n" % (h.hexdigest(), os.path.relpath(p, root)))
    with open(out, "w") as f:
        f.writelines(lines)


# ---- report ---------------------------------------------------------------

def hf(results, name):
    """(mean wall s, stddev, mean user+sys s, min wall s) of one hyperfine export."""
    p = os.path.join(results, name + ".json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        r = json.load(f)["results"][0]
    return r["mean"], r.get("stddev") or 0.0, r["user"] + r["system"], r["min"]


def rss(results, name):
    """Peak RSS in MiB from /usr/bin/time -v output, or None."""
    p = os.path.join(results, name + ".time")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
    return int(m.group(1)) / 1024.0 if m else None


def read_kv(path):
    kv = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    kv[k] = v
    return kv


def contended(results):
    """True when other processes used more than 10 % of the CPUs while measuring."""
    m = re.search(r"used (\d+)%", read_kv(os.path.join(results, "info.txt"))
                  .get("cpu_idle_during_run", ""))
    return m is not None and int(m.group(1)) > 10


def both(peer, eia):
    """'wall X× · CPU Y×' for a peer/eia pair of hyperfine results."""
    return "wall %.2f× · CPU %.2f×" % (peer[0] / eia[0], peer[2] / eia[2])


def fmt_rate(units, seconds, unit):
    if unit == "GB/s":
        return "%.2f GB/s" % (units / seconds / 1e9)
    return "%.0f files/s" % (units / seconds)


def verdict(ok):
    return "met" if ok else "**missed**"


def section(out, title, results, rows, units, unit, eia_key, targets, note=""):
    e = hf(results, eia_key)
    if all(hf(results, key) is None for key, _ in rows):
        return  # shape not measured (scripts/bench --only)
    out.append("### %s\n" % title)
    if note:
        out.append(note + "\n")
    out.append("| command | wall: mean ± sd (min) | CPU user+sys | throughput | peak RSS | "
               "eia faster by (wall) | eia cheaper by (CPU) |")
    out.append("| --- | --- | --- | --- | --- | --- | --- |")
    for key, label in rows:
        r = hf(results, key)
        if r is None:
            out.append("| %s | not measured | | | | | |" % label)
            continue
        m = rss(results, key)
        same = key == eia_key or e is None
        ratio = "—" if same else "%.2f×" % (r[0] / e[0])
        cpu_ratio = "—" if same else "%.2f×" % (r[2] / e[2])
        out.append("| %s | %.3f s ± %.3f (%.3f) | %.3f s | %s | %s | %s | %s |" % (
            label, r[0], r[1], r[3], r[2], fmt_rate(units, r[0], unit),
            "%.1f MiB" % m if m is not None else "?", ratio, cpu_ratio))
    out.append("")
    if targets:
        if contended(results):
            out.append("Other processes kept the CPUs busy during this run: the wall-time "
                       "verdicts below are not reliable; compare the CPU columns.\n")
        out.append("| target | measured | |")
        out.append("| --- | --- | --- |")
        for label, value, ok in targets:
            out.append("| %s | %s | %s |" % (label, value, verdict(ok)))
        out.append("")


def cmd_report(results, out_path):
    info = read_kv(os.path.join(results, "info.txt"))
    out = ["## Latest results", ""]
    out.append("Produced by `%s` on %s (%s, build type Release)." % (
        info.get("command", "scripts/bench"), info.get("date", "?"),
        info.get("eia_version", "?")))
    out.append("")
    out.append("| machine | |")
    out.append("| --- | --- |")
    for k in ("cpu", "cores", "sha_ni", "memory", "kernel", "os", "openssl", "coreutils",
              "aide", "bsdtar", "hyperfine", "cpu_idle_during_run"):
        if k in info:
            out.append("| %s | %s |" % (k.replace("_", " "), info[k]))
    out.append("")
    out.append("Warm page cache (every corpus is read once before measuring), hyperfine "
               "`--warmup 1 --runs %s`, peak RSS from one `/usr/bin/time -v` run "
               "(the largest of the process and its children). "
               "\"eia faster by (wall)\" = peer wall time / eia wall time, "
               "\"eia cheaper by (CPU)\" = peer user+sys / eia user+sys "
               "(>1: eia is better; the CPU ratio is the one to trust when other work "
               "shared the CPUs). GB = 10^9 bytes. `eia audit` includes the "
               "signature check and the manifest parse." % info.get("runs", "?"))
    out.append("")

    speed1 = float(info.get("openssl_speed_1", "0") or 0)
    speed2 = float(info.get("openssl_speed_2", "0") or 0)
    cores = info.get("cores", "?")
    if speed1:
        out.append("### openssl speed -evp sha256 -bytes 1048576 -seconds 3\n")
        out.append("| | GB/s |")
        out.append("| --- | --- |")
        out.append("| one core | %.2f |" % (speed1 / 1e9))
        out.append("| `-multi %s` (sum) | %.2f |" % (cores, speed2 / 1e9))
        out.append("| one core × %s (the spec's ideal) | %.2f |" % (
            cores, int(cores) * speed1 / 1e9 if cores.isdigit() else 0))
        out.append("")

    # -- firmware images
    img_bytes = int(info.get("img_bytes", "0") or 0)
    e = hf(results, "img-eia")
    j1 = hf(results, "img-eia-j1")
    j2 = hf(results, "img-eia-j2")
    sc = hf(results, "img-sha256sum")
    targets = []
    if e and speed1:
        got = img_bytes / e[0]
        n = int(cores) if cores.isdigit() else 2
        targets.append(("≥ 0.85 × openssl speed per core × %d (%.2f GB/s)"
                        % (n, 0.85 * n * speed1 / 1e9),
                        "%.2f GB/s = %.2f × (per core × %d)" % (got / 1e9,
                                                               got / (n * speed1), n),
                        got >= 0.85 * n * speed1))
    dg = hf(results, "img-dgst")
    if e and dg:
        targets.append(("(context, not a target) vs `openssl dgst -sha256`, one process per "
                        "core: the read-and-hash floor of this machine",
                        "%.2f × its throughput" % (dg[0] / e[0]), True))
    if j1 and speed1:
        got = img_bytes / j1[2]
        targets.append(("(CPU view) bytes per CPU-second of `--jobs 1` vs openssl "
                        "speed per core", "%.2f GB/s = %.2f ×" % (got / 1e9, got / speed1),
                        got >= 0.85 * speed1))
    if e and sc:
        targets.append(("≥ 5× sha256sum -c", both(sc, e),
                        sc[0] / e[0] >= 5))
    if j1 and j2:
        targets.append(("--jobs 2 ≥ 1.8× --jobs 1", "wall %.2f× (CPU %.2f s vs %.2f s)"
                        % (j1[0] / j2[0], j2[2], j1[2]),
                        j1[0] / j2[0] >= 1.8))
    m = rss(results, "img-eia")
    if m is not None:
        targets.append(("peak RSS < 64 MiB", "%.1f MiB" % m, m < 64))
    section(out, "Large firmware images: %s × %d MiB (%.2f GB)" % (
        info.get("img_count", "?"), int(info.get("img_mib", "0")), img_bytes / 1e9),
        results,
        [("img-eia", "`eia audit --quiet` (default jobs = %s)" % info.get("cores", "?")),
         ("img-eia-j1", "`eia audit --quiet --jobs 1`"),
         ("img-eia-j2", "`eia audit --quiet --jobs 2`"),
         ("img-sha256sum", "`sha256sum -c`"),
         ("img-aide", "`aide --check` (sha256 only%s)" % info.get("aide_workers_note", "")),
         ("img-cat", "`cat > /dev/null` (read floor)"),
         ("img-dgst", "`openssl dgst -sha256`, one process per core (read + hash floor)")],
        img_bytes, "GB/s", "img-eia", targets,
        note="Manifest made with `--firmware '*.bin'` (chunk digests of 1 MiB, the "
             "default), so the audit also checks %s chunk digests."
             % info.get("img_chunks", "?"))

    # -- small files
    n_files = int(info.get("tree_files", "0") or 0)
    e = hf(results, "tree-eia")
    sc = hf(results, "tree-sha256sum")
    ai = hf(results, "tree-aide")
    targets = []
    if e and sc:
        targets.append(("≥ 3.5× sha256sum -c", both(sc, e),
                        sc[0] / e[0] >= 3.5))
    if e and ai:
        targets.append(("≥ 8× AIDE", both(ai, e), ai[0] / e[0] >= 8))
    m = rss(results, "tree-eia")
    if m is not None:
        targets.append(("peak RSS < 64 MiB", "%.1f MiB" % m, m < 64))
    section(out, "Small files: %d files of 1-8 KiB (%.1f MB) in %s folders" % (
        n_files, int(info.get("tree_bytes", "0")) / 1e6, info.get("tree_dirs", "?")),
        results,
        [("tree-eia", "`eia audit --quiet` (default jobs)"),
         ("tree-eia-j1", "`eia audit --quiet --jobs 1`"),
         ("tree-sha256sum", "`sha256sum -c`"),
         ("tree-aide", "`aide --check` (sha256 only%s)" % info.get("aide_workers_note", "")),
         ("tree-cat", "`find -type f -print0 \\| xargs -0 cat > /dev/null` (read floor)")],
        n_files, "files/s", "tree-eia", targets,
        note="Manifest of %s bytes (%s entries); the audit verifies its signature and "
             "parses it in every run." % (info.get("tree_manifest_bytes", "?"),
                                          info.get("tree_entries", "?")))

    # -- packages
    pk_members = int(info.get("pkg_members_total", "0") or 0)
    e_match = hf(results, "pkg-eia-match")
    e_diff = hf(results, "pkg-eia-members")
    e_diff1 = hf(results, "pkg-eia-members-j1")
    bt = hf(results, "pkg-bsdtar")
    targets = []
    if e_diff and bt:
        targets.append(("member comparison no slower than `bsdtar -xOf` (one after "
                        "another)", both(bt, e_diff), bt[0] >= e_diff[0]))
    if e_diff1 and bt:
        targets.append(("same, eia on one job", both(bt, e_diff1),
                        bt[0] >= e_diff1[0]))
    m = rss(results, "pkg-eia-members")
    if m is not None:
        targets.append(("peak RSS < 64 MiB (parent and archive boxes)", "%.1f MiB" % m,
                        m < 64))
    section(out, "Packages: %s archives (tar.gz and zip), %d members in all, %.1f MB" % (
        info.get("pkg_count", "?"), pk_members, int(info.get("pkg_bytes", "0")) / 1e6),
        results,
        [("pkg-eia-match", "`eia audit --quiet`, archive digests match"),
         ("pkg-eia-members", "`eia audit --quiet`, every archive re-packed: members "
          "parsed (exit 1, drift)"),
         ("pkg-eia-members-j1", "same, `--jobs 1`"),
         ("pkg-bsdtar", "`bsdtar -xOf` on each re-packed archive, one after another"),
         ("pkg-sha256sum", "`sha256sum -c` of the archives (digest-match peer)")],
        pk_members, "files/s", "pkg-eia-members", targets,
        note="Files/s counts archive members. In the second row the archives' bytes "
             "differ (recompressed at another level) but every member is identical, "
             "so eia must decompress and hash every member to say so.")

    extra = os.path.join(results, "profile.md")
    if os.path.exists(extra):
        with open(extra) as f:
            out.append(f.read())
    text = "\n".join(out) + "\n"
    with open(out_path, "w") as f:
        f.write(text)
    sys.stdout.write(text)


BEGIN = "<!-- bench:results:begin (scripts/bench --update-docs rewrites this part) -->"
END = "<!-- bench:results:end -->"


def cmd_splice(results_md, doc):
    """Replaces the generated part of doc (between the markers) with results_md;
    the text around it (the analysis) is kept. A doc without markers gets them."""
    with open(results_md) as f:
        new = f.read().rstrip("\n")
    old = ""
    if os.path.exists(doc):
        with open(doc) as f:
            old = f.read()
    block = "%s\n%s\n%s" % (BEGIN, new, END)
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = block + "\n" + old
    with open(doc, "w") as f:
        f.write(text if text.endswith("\n") else text + "\n")


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    table = {"tree": cmd_tree, "packages": cmd_packages, "repack": cmd_repack,
             "sumlist": cmd_sumlist, "report": cmd_report, "splice": cmd_splice}
    if cmd not in table:
        sys.stderr.write(__doc__)
        return 2
    table[cmd](*args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
