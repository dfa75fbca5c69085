"""services.reference.rarechars: the 生僻字 search, and that every offered character is really in the fonts.

The font checks open the shipped TTF and woff2 files with fontTools (woff2 needs brotli).
"""
import re
from pathlib import Path

from fontTools.ttLib import TTFont

from services.reference import rarechars
from services.reference.rarechars import RareChar, search

ROOT = Path(__file__).resolve().parents[2]


def all_offered() -> list[RareChar]:
    return list(rarechars._data().chars)


def test_yan_finds_U_4DAE():
    found = {c.char: c for c in search(pinyin="yan")}
    assert "䶮" in found
    assert found["䶮"] == RareChar("䶮", "U+4DAE", ("yan",), 9, 212)


def test_pinyin_is_exact_first_case_and_space_insensitive_and_ordered():
    results = search(pinyin="yan", limit=10_000)
    assert results == search(pinyin="  YAN\t", limit=10_000) == search(pinyin="yǎn", limit=10_000)
    exact = [c for c in results if "yan" in c.pinyin]
    assert results[: len(exact)] == exact and len(exact) > 100
    assert all(p.startswith("yan") for c in results[len(exact):] for p in c.pinyin if p.startswith("ya"))
    assert {"yang"} & {p for c in results[len(exact):] for p in c.pinyin}  # prefix matches follow
    keys = [(c.strokes, ord(c.char)) for c in exact]
    assert keys == sorted(keys)


def test_u_umlaut_typed_v_or_u():
    lv = search(pinyin="lv", limit=10_000)
    n = sum("lü" in c.pinyin for c in lv)
    assert n > 10 and all("lü" in c.pinyin for c in lv[:n])  # exact lü first, then lüe
    assert {p for c in lv[n:] for p in c.pinyin if p.startswith("l")} <= {"lü", "lüe"}
    assert lv == search(pinyin="lü", limit=10_000) == search(pinyin="Lǚ", limit=10_000)
    lu = search(pinyin="lu", limit=10_000)
    m = sum("lu" in c.pinyin or "lü" in c.pinyin for c in lu)
    assert {c.char for c in lv[:n]} < {c.char for c in lu[:m]}  # "lu" finds lu and lü
    assert any("lu" in c.pinyin and "lü" not in c.pinyin for c in lu[:m])


def test_strokes_and_radical_search():
    results = search(strokes=9, radical=212, limit=10_000)
    assert "䶮" in [c.char for c in results]
    assert all(c.strokes == 9 and c.radical == 212 for c in results)
    by_radical = search(radical=212, limit=10_000)
    assert len(by_radical) > len(results)
    keys = [(c.strokes, ord(c.char)) for c in by_radical]
    assert keys == sorted(keys)
    assert [c.char for c in search(strokes=1, limit=10_000)] == [c.char for c in all_offered() if c.strokes == 1]


def test_combined_filters_are_anded():
    assert [c.char for c in search(pinyin="yan", strokes=9, radical=212)] == ["䶮"]
    assert search(pinyin="yan", strokes=9, radical=1) == []
    some = search(pinyin="yan", strokes=12, limit=10_000)
    assert some and all(c.strokes == 12 and any(p.startswith("yan") for p in c.pinyin) for c in some)


def test_no_filter_bad_input_and_limit():
    assert search() == []
    assert search(pinyin="   ") == []
    assert search(pinyin="yan'<script>") == []
    assert search(pinyin="qqq") == []
    assert len(search(pinyin="yan", limit=3)) == 3
    assert len(search(strokes=10)) == 200


def test_radicals():
    rads = rarechars.radicals()
    assert len(rads) == 214 and [n for n, _ in rads] == list(range(1, 215))
    assert rads[0] == (1, "一") and rads[84] == (85, "水") and rads[211] == (212, "龍")


def test_offered_counts_per_block():
    cps = [ord(c.char) for c in all_offered()]
    assert len(cps) == len(set(cps)) > 20_000
    assert sum(0x3400 <= cp <= 0x4DBF for cp in cps) > 5_000  # Ext A
    assert sum(0x20000 <= cp <= 0x2A6DF for cp in cps) > 14_000  # Ext B
    assert any(cp >= 0x30000 for cp in cps)  # Ext G/H
    assert not any(0x4E00 <= cp <= 0x9FFF for cp in cps)  # URO is not "rare"
    assert all(c.pinyin and all(re.fullmatch("[a-zü]+", p) for p in c.pinyin) for c in all_offered())
    assert all(1 <= c.radical <= 214 and 1 <= c.strokes <= 80 for c in all_offered())


def test_renderable():
    for ch in "张欧阳王䶮𠀀鿏·A（":
        assert rarechars.is_renderable(ch), ch
    for ch in "😀\ue000\U000f0000\u0000":
        assert not rarechars.is_renderable(ch), repr(ch)
    assert not rarechars.is_renderable("\U00030000")  # Ext G, no reading: in no font we ship
    assert rarechars.font_for_char("张") == rarechars.pdf_fonts()[0][0]
    assert rarechars.font_for_char("䶮") != rarechars.pdf_fonts()[0][0]
    assert rarechars.webfont_covers("张") and rarechars.webfont_covers("䶮") and rarechars.webfont_covers("鿏")
    assert not rarechars.webfont_covers("😀") and not rarechars.webfont_covers("\U00030000")


def test_every_offered_char_is_in_the_pdf_fonts():
    fonts = rarechars.pdf_fonts()
    cmaps = {}
    for name, path in fonts:
        font = TTFont(path)
        assert "glyf" in font, f"{path} must have TrueType outlines for reportlab"
        cmaps[name] = set(font.getBestCmap())
    primary = cmaps[fonts[0][0]]
    assert all(cp in primary for cp in [*range(0x20, 0x7F), 0xB7, 0x3001, 0x3002, 0xFF08, 0xFF09, 0x5F20])
    assert all(any(cp in c for c in cmaps.values()) for cp in range(0x4E00, 0xA000))  # all of the URO
    for c in all_offered():
        assert rarechars.is_renderable(c.char), c
        assert ord(c.char) in cmaps[rarechars.font_for_char(c.char)], c


def test_every_offered_char_is_in_the_web_subset():
    css = (ROOT / "static" / "css" / "rarechars.css").read_text(encoding="utf-8")
    faces = re.findall(r"url\(/(static/fonts/[\w-]+\.woff2)\) format\(\"woff2\"\);.*?unicode-range: ([^;]+);",
                       css, re.S)
    assert len(faces) >= 3
    web: dict[int, str] = {}
    for file, urange in faces:
        spans = [tuple(int(x, 16) for x in r.strip()[2:].split("-")) for r in urange.split(",")]
        for cp in TTFont(ROOT / file).getBestCmap():
            assert any(s[0] <= cp <= s[-1] for s in spans), f"U+{cp:X} outside the unicode-range of {file}"
            web[cp] = file
    for c in all_offered():
        assert ord(c.char) in web, c
        assert rarechars.webfont_covers(c.char), c


def test_pdf_with_reportlab_embeds_rare_chars(tmp_path):
    from pypdf import PdfReader
    from reportlab.pdfbase import pdfmetrics, ttfonts
    from reportlab.pdfgen import canvas

    # reportlab 5.1 writes the ToUnicode entry of U+20000 as <20000> instead of UTF-16 <D840DC00>, so the glyph
    # draws but copy/paste and text extraction lose it; services.form_pdf fixes that when it is imported.
    from services.documents import form_pdf

    assert ttfonts.makeToUnicodeCMap is form_pdf._to_unicode_cmap
    form_pdf.register_fonts()
    text = "张䶮𠀀𫟷鿏𱗋" + search(pinyin="shu", strokes=20)[0].char
    assert len({rarechars.font_for_char(ch) for ch in text}) == len(rarechars.pdf_fonts())  # all fonts used
    out = tmp_path / "form.pdf"
    pdf = canvas.Canvas(str(out))
    x = 72
    for ch in text:
        font = rarechars.font_for_char(ch)
        pdf.setFont(font, 14)
        pdf.drawString(x, 700, ch)
        x += pdfmetrics.stringWidth(ch, font, 14)
    pdf.save()
    page = PdfReader(out).pages[0]
    assert "".join(page.extract_text().split()) == text
    embedded = {f.get_object()["/BaseFont"].split("+")[-1] for f in page["/Resources"]["/Font"].values()}
    assert {TTFont(path)["name"].getDebugName(6) for _, path in rarechars.pdf_fonts()} <= embedded
