"""Build the 生僻字 (rare Han character) picker data and the font subsets the platform ships.

How to run (from the repo root; needs Debian packages, so only maintainers run it, never the app):

    apt-get install -y unicode-data fonts-wqy-zenhei fonts-hanazono fonts-babelstone-han
    .venv/bin/pip install -e '.[build]'          # fonttools, brotli (for woff2), pypinyin
    .venv/bin/python scripts/build_rarechars.py

It is deterministic: the same packages give byte-identical outputs, so re-running it is safe and a
`git diff` after a re-run shows only real changes. It writes:

- data/rarechars.tsv        one row per offered character: codepoint, char, toneless pinyin readings
                            (space-separated, ü kept), kTotalStrokes, Kangxi radical number.
- data/rarechars_meta.json  the 214 Kangxi radicals, the codepoint ranges each PDF font and each web
                            font file covers, and the counts per block (read by services/rarechars.py).
- fonts/*.ttf               TrueType (glyf) subsets for reportlab: the primary font (WenQuanYi Zen Hei:
                            Latin, punctuation, full-width forms, the CJK Unified Ideographs) and the
                            rare-character fonts (Hanazono Mincho A/B, then BabelStone Han).
- fonts/LICENSES/, fonts/README.md   licence texts and the list of fonts, versions and sources.
- static/fonts/rarehan-NN.woff2 + static/css/rarechars.css   the web subset, split in a few files
                            with one @font-face each so a browser downloads only the files it needs.

Offered characters: those of the "CJK Unified Ideographs Extension *" blocks of the installed Unihan
(Debian unicode-data) that have a Mandarin reading (Unihan kMandarin, kTGHZ2013, kXHC1983,
kHanyuPinyin; pypinyin only where Unihan has none) and that one of the rare-character fonts draws.
"""
from __future__ import annotations

import bz2
import json
import re
import shutil
import subprocess
import unicodedata
from collections import defaultdict
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from pypinyin import Style, pinyin

ROOT = Path(__file__).resolve().parent.parent
UCD = Path("/usr/share/unicode")
WEB_CHUNK = 4000  # glyphs per woff2 file: about 1 MB each, so a search page fetches one or two files

# (reportlab name, source file, face index in a .ttc, output file, Debian package). Each source is
# subset into its own file: their licences (GPL-2 + embedding exception, Hanazono Font License,
# Arphic Public License) must not be mixed inside one font file.
PRIMARY = ("WQYZenHei", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0,
           "fonts/wqy-zenhei-subset.ttf", "fonts-wqy-zenhei")
# In order of preference: Hanazono covers nearly all of Ext A-F, BabelStone adds G and H. HanaMinB
# (Ext B-F) goes before HanaMinA (URO, Ext A and some Ext B) so that each web file spans one block.
RARE = [
    ("HanaMinB", "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf", 0,
     "fonts/hanamin-b-rare.ttf", "fonts-hanazono"),
    ("HanaMinA", "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", 0,
     "fonts/hanamin-a-rare.ttf", "fonts-hanazono"),
    ("BabelStoneHan", "/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf", 0,
     "fonts/babelstone-han-rare.ttf", "fonts-babelstone-han"),
]
LICENCE_FILES = {  # copied verbatim into fonts/LICENSES/
    "fonts-wqy-zenhei": ["/usr/share/doc/fonts-wqy-zenhei/copyright", "/usr/share/common-licenses/GPL-2"],
    "fonts-hanazono": ["/usr/share/doc/fonts-hanazono/copyright"],
    "fonts-babelstone-han": ["/usr/share/doc/fonts-babelstone-han/copyright"],
}
# What a registration form prints besides Han characters: Latin with pinyin tone letters, general
# and CJK punctuation, ℃ № Ⅰ, arrows, √ ≤, ①, box and shapes (□■○●), ★☆☐☑☒, full-width forms.
PRIMARY_RANGES = [(0x20, 0x7E), (0xA0, 0x24F), (0x2B0, 0x2FF), (0x2000, 0x206F), (0x20A0, 0x20CF),
                  (0x2100, 0x22FF), (0x2460, 0x24FF), (0x2500, 0x257F), (0x25A0, 0x25FF),
                  (0x2605, 0x2606), (0x2610, 0x2612), (0x3000, 0x303F), (0x4E00, 0x9FFF),
                  (0xF900, 0xFAFF), (0xFF00, 0xFFEF)]
URO = (0x4E00, 0x9FFF)
# U+4E00-U+9FA5 (Unicode 1.1, all of GBK) is drawn by every Chinese system font; the later URO
# additions may not be, so the web subset carries them too.
URO_LATE = (0x9FA6, 0x9FFF)


def unihan(name: str) -> dict[int, dict[str, str]]:
    fields: dict[int, dict[str, str]] = defaultdict(dict)
    with bz2.open(UCD / f"Unihan_{name}.txt.bz2", "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cp, key, value = line.rstrip("\n").split("\t", 2)
            fields[int(cp[2:], 16)][key] = value
    return fields


def unihan_version() -> str:
    with bz2.open(UCD / "Unihan_Readings.txt.bz2", "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("# Unicode version:"):
                return line.split(":", 1)[1].strip()
    return ""


def toneless(syllable: str) -> str:
    s = unicodedata.normalize("NFD", syllable.lower()).replace("u\u0308", "ü")
    return unicodedata.normalize("NFC", "".join(c for c in s if not unicodedata.combining(c)))


def readings(cp: int, fields: dict[str, str]) -> list[str]:
    raw = fields.get("kMandarin", "").split()
    for key in ("kTGHZ2013", "kXHC1983", "kHanyuPinyin"):  # "loc[,loc]:r1,r2 loc:r3"
        for entry in fields.get(key, "").split():
            raw += entry.split(":", 1)[1].split(",")
    if not raw:  # pypinyin returns the character itself when it knows no reading
        got = pinyin(chr(cp), style=Style.NORMAL, heteronym=True)[0]
        raw = [] if got == [chr(cp)] else [r.replace("v", "ü") for r in got]
    out = []
    for r in map(toneless, raw):
        if re.fullmatch("[a-zü]+", r) and r not in out:
            out.append(r)
    return out


def ext_blocks() -> list[tuple[str, int, int]]:
    blocks = []
    for line in (UCD / "Blocks.txt").read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"([0-9A-F]+)\.\.([0-9A-F]+); (CJK Unified Ideographs Extension \w+)", line)
        if m:
            blocks.append((m[3], int(m[1], 16), int(m[2], 16)))
    return blocks


def radicals() -> list[tuple[int, str]]:
    out = []
    for line in (UCD / "CJKRadicals.txt").read_text(encoding="utf-8").splitlines():
        parts = [p.strip() for p in line.split(";")]
        if len(parts) == 3 and parts[0].isdigit():  # "90'" etc. are simplified forms: skip
            out.append((int(parts[0]), chr(int(parts[2], 16))))
    assert [n for n, _ in out] == list(range(1, 215)), "expected the 214 Kangxi radicals"
    return out


def ranges(cps) -> list[list[int]]:
    out: list[list[int]] = []
    for cp in sorted(cps):
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


def cmap(path: str, index: int = 0) -> set[int]:
    return set(TTFont(path, fontNumber=index, lazy=True).getBestCmap())


def make_subset(src: str, index: int, cps, out: Path, flavor: str | None = None) -> set[int]:
    opts = subset.Options()
    opts.font_number = index
    opts.layout_features = []  # reportlab does no shaping and single ideographs need none
    opts.hinting = False  # hints only help tiny on-screen sizes and double the file size
    opts.drop_tables += ["EBDT", "EBLC", "EBSC", "BDF", "FFTM", "meta"]  # embedded bitmaps etc.
    opts.notdef_outline = True
    opts.flavor = flavor
    font = subset.load_font(src, opts)
    font.recalcTimestamp = False  # keep the source's head.modified: the output stays deterministic
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=sorted(cps))
    sub.subset(font)
    # The Arphic Public License asks for a notice of the change in each modified file.
    font["name"].setName(f"Subset of {Path(src).name} made by scripts/build_rarechars.py (fontTools "
                         "subsetter): only the characters the registration platform needs; glyphs "
                         "unchanged, hinting and layout tables removed.", 10, 3, 1, 0x409)
    out.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(out), opts)
    return set(TTFont(out, lazy=True).getBestCmap())


def package_version(pkg: str) -> str:
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True,
                          check=True).stdout


def write_readme(fonts: list[tuple[str, str, int, str, str]]) -> None:
    rows = []
    for name, src, index, out, pkg in fonts:
        font_name = TTFont(src, fontNumber=index, lazy=True)["name"]
        licence = ", ".join(f"`LICENSES/{pkg}-{Path(p).name}.txt`" for p in LICENCE_FILES[pkg])
        rows.append(f"| `{Path(out).name}` | {name} | {font_name.getDebugName(4)} ({font_name.getDebugName(5)}) "
                    f"| Debian `{pkg}` {package_version(pkg)}, `{src}` | {licence} |")
    (ROOT / "fonts" / "README.md").write_text(
        "# Fonts\n\nGenerated by `scripts/build_rarechars.py` (do not edit by hand; re-run the script).\n\n"
        "All are TrueType-outline (glyf) subsets, so reportlab can embed them in the PDF form. "
        "`services.rarechars.pdf_fonts()` lists them in the order to try them (primary first); "
        "`static/fonts/rarehan-*.woff2` are woff2 subsets of the same rare-character fonts for the browser "
        "(font family \"RareHan\", declared in `static/css/rarechars.css`).\n\n"
        "| file | reportlab name | font (version) | source | licence |\n| --- | --- | --- | --- | --- |\n"
        + "\n".join(rows) + "\n\n"
        "Licences, as chosen where the authors offer a choice:\n\n"
        "- WenQuanYi Zen Hei: GPL-2 with the font embedding exception (PDFs embedding it are not covered by "
        "the GPL); the subset is a modified version and keeps that exception. The unmodified source is "
        "Debian's `fonts-wqy-zenhei` (http://wenq.org/).\n"
        "- Hanazono Mincho A/B (GlyphWiki): used under the Hanazono Font License (unlimited permission to use, "
        "copy and distribute, with or without modification); the alternative OFL with its reserved names "
        "is not the one relied on.\n"
        "- BabelStone Han: Arphic Public License (the subset is a modification: its name table, ID 10, "
        "says how it was changed; the build script and the Debian package `fonts-babelstone-han` make it "
        "freely available).\n"
        "- The woff2 files in `static/fonts/` are subsets of the same fonts under the same licences; each "
        "file is cut from one font only, so no file mixes licences.\n",
        encoding="utf-8")
    lic_dir = ROOT / "fonts" / "LICENSES"
    lic_dir.mkdir(parents=True, exist_ok=True)
    for pkg, files in LICENCE_FILES.items():
        for p in files:
            shutil.copyfile(p, lic_dir / f"{pkg}-{Path(p).name}.txt")


def main() -> None:
    read = unihan("Readings")
    irg = unihan("IRGSources")  # kRSUnicode and kTotalStrokes live here since Unicode 13
    kangxi = unihan("RadicalStrokeCounts")
    primary_src = cmap(PRIMARY[1], PRIMARY[2])
    rare_src = [cmap(src, index) for _, src, index, _, _ in RARE]

    rows, counts = [], {}
    for block, lo, hi in ext_blocks():
        n = 0
        for cp in range(lo, hi + 1):
            rs = irg.get(cp, {}).get("kRSUnicode") or kangxi.get(cp, {}).get("kRSKangXi")
            strokes = irg.get(cp, {}).get("kTotalStrokes")
            if not (rs and strokes and any(cp in c for c in rare_src)):
                continue
            py = readings(cp, read.get(cp, {}))
            if py:  # first value of each field is the one for China (G source)
                radical = int(rs.split()[0].split(".")[0].rstrip("'"))
                rows.append((cp, py, int(strokes.split()[0]), radical))
                n += 1
        counts[block] = n

    # Primary font: everything a form prints; the rare fonts carry the offered characters, the
    # URO characters the primary lacks, and the late URO additions (for the web subset).
    primary_cps = {cp for lo, hi in PRIMARY_RANGES for cp in range(lo, hi + 1) if cp in primary_src}
    wanted = {cp for cp, *_ in rows} | set(range(URO_LATE[0], URO_LATE[1] + 1))
    wanted |= {cp for cp in range(URO[0], URO[1] + 1) if cp not in primary_cps}
    per_font: list[set[int]] = [set() for _ in RARE]
    for cp in sorted(wanted):
        i = next((i for i, c in enumerate(rare_src) if cp in c), None)
        if i is not None:
            per_font[i].add(cp)

    for old in [*(ROOT / "static" / "fonts").glob("rarehan-*.woff2"), *(ROOT / "fonts").glob("*.ttf")]:
        old.unlink()
    pdf_fonts = [{"name": PRIMARY[0], "file": PRIMARY[3],
                  "ranges": ranges(make_subset(PRIMARY[1], PRIMARY[2], primary_cps, ROOT / PRIMARY[3]))}]
    web_chunks = []  # (source index, codepoints)
    for i, (name, src, index, out, _) in enumerate(RARE):
        if per_font[i]:
            got = make_subset(src, index, per_font[i], ROOT / out)
            pdf_fonts.append({"name": name, "file": out, "ranges": ranges(got)})
            cps = sorted(per_font[i])
            web_chunks += [(i, cps[k:k + WEB_CHUNK]) for k in range(0, len(cps), WEB_CHUNK)]

    webfonts, owner = [], {}
    for n, (i, cps) in enumerate(web_chunks, 1):
        out = f"static/fonts/rarehan-{n:02d}.woff2"
        got = make_subset(RARE[i][1], RARE[i][2], cps, ROOT / out, flavor="woff2")
        assert got == set(cps), out
        webfonts.append({"file": out, "cps": got})
        owner.update(dict.fromkeys(got, n - 1))
    # unicode-range of each file: its runs in the sorted list of all web codepoints, so ranges stay
    # few (they also span codepoints no file has) and never overlap another file's.
    runs: list[list[list[int]]] = [[] for _ in webfonts]
    prev = None
    for cp in sorted(owner):
        f = owner[cp]
        if prev is not None and owner[prev] == f:
            runs[f][-1][1] = cp
        else:
            runs[f].append([cp, cp])
        prev = cp
    css = ["/* Generated by scripts/build_rarechars.py: do not edit. Licences: fonts/README.md */"]
    for w, r in zip(webfonts, runs):
        urange = ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in r)
        css.append(f'@font-face {{\n  font-family: "RareHan";\n  src: url(/{w["file"]}) format("woff2");\n'
                   f"  font-display: swap;\n  unicode-range: {urange};\n}}")
        w["ranges"] = ranges(w.pop("cps"))
    css.append('/* Put "RareHan" first: its unicode-range keeps it to the rare characters. */\n'
               '.rarehan { font-family: "RareHan", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", '
               "sans-serif; }")
    (ROOT / "static" / "css").mkdir(parents=True, exist_ok=True)
    (ROOT / "static" / "css" / "rarechars.css").write_text("\n".join(css) + "\n", encoding="utf-8")

    (ROOT / "data").mkdir(exist_ok=True)
    with open(ROOT / "data" / "rarechars.tsv", "w", encoding="utf-8", newline="\n") as f:
        f.write("codepoint\tchar\tpinyin\tstrokes\tradical\n")
        for cp, py, strokes, radical in rows:
            f.write(f"U+{cp:04X}\t{chr(cp)}\t{' '.join(py)}\t{strokes}\t{radical}\n")
    meta = {"unihan_version": unihan_version(), "counts": counts, "radicals": radicals(), "pdf_fonts": pdf_fonts, "webfonts": webfonts}
    (ROOT / "data" / "rarechars_meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    write_readme([PRIMARY, *(f for i, f in enumerate(RARE) if per_font[i])])

    print(f"offered {len(rows)} characters:", ", ".join(f"{b.split()[-1]} {n}" for b, n in counts.items()))
    for p in sorted([*(ROOT / "fonts").glob("*.ttf"), *(ROOT / "static" / "fonts").glob("rarehan-*.woff2")]):
        print(f"{p.relative_to(ROOT)}: {p.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
