"""services.documents.form_pdf: the 报名表 builder, read back from the PDF itself with pypdf and fontTools."""
import io
import re
from datetime import datetime, timezone

import segno
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import ContentStream

from services.documents import form_pdf
from services.accounts import names
from services.reference import rarechars
from tests import images

# A name with an Ext A, an Ext B and an Ext G character: one character per shipped rare font at least.
RARE_NAME = "张䶮𠀀𫟷𱗋·" + rarechars.search(pinyin="shu", strokes=20)[0].char
CODE = "ABCD2345EFGH6789"
URL = f"https://kjks.example.cn/verify/{CODE}"
AT = datetime(2027, 1, 10, 2, 5, tzinfo=timezone.utc)  # 10:05 in Beijing


def snapshot(name="张三丰", **over) -> dict:
    s = {
        "exam": {"name": "2027年度全国会计专业技术初级资格考试", "level": "初级", "year": 2027},
        "province": {"code": "11", "name": "北京"}, "city": "朝阳区",
        "site": {"name": "朝阳区财政局会计考试报名点", "address": "北京市朝阳区日坛北路1号"},
        "subjects": ["初级会计实务", "经济法基础"], "fee_fen": 11200,
        "condition": {"code": "chuji_high_school", "label": "具备国家教育部门认可的高中毕业（含高中、中专、职高和技校）及以上学历"},
        "candidate": {"name": name, "id_type": "mainland", "id_number": "110105199003071234", "phone": "13800138000",
                      "gender": "男", "birth_date": "1990-03-07"},
        "photo": "application/0123456789abcdef0123456789abcdef.jpg",
        "personal": {"ethnicity": "汉族", "political_status": "群众", "address": "北京市朝阳区建国路1号", "postcode": "100020",
                     "email": "a@example.com", "level": "大学本科", "school": "首都经济贸易大学", "major": "会计学",
                     "graduated_on": "2012-07-01", "certificate_no": "100381201205001234", "degree": "学士",
                     "degree_org": "首都经济贸易大学", "degree_date": "2012-07-01", "no_employer": "",
                     "employer": "北京某某会计师事务所有限公司", "employer_province": "11", "employer_city": "110105",
                     "accounting_start": "2013-03-01", "position": "审计员"},
        "materials": [], "review_mode": "manual",
    }
    s.update(over)
    return s


def build(s=None, photo=None, **kw) -> bytes:
    args = {"status_label": "待审核", "order_number": None, "payment_label": "未生成订单", "generated_at": AT,
            "code": CODE, "verify_url": URL, "photo_bytes": photo}
    return form_pdf.build_form(s or snapshot(), **{**args, **kw})


def text_of(data: bytes) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


def drawn_chars(data: bytes) -> dict[str, str]:
    """Every character the PDF can draw: char -> embedded font. A character counts when the font's ToUnicode
    maps a code to it, and the font program embedded in the PDF (read with fontTools) maps that code to a real
    glyph with outlines (not .notdef, the box a font draws for a character it lacks)."""
    drawn = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            program = font["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
            tt = TTFont(io.BytesIO(program))
            glyphs = {code: name for table in tt["cmap"].tables for code, name in table.cmap.items()}
            to_unicode = font["/ToUnicode"].get_object().get_data().decode()
            for code, utf16 in re.findall(r"<([0-9A-F]{2})> <([0-9A-F]+)>", to_unicode):
                name = glyphs.get(int(code, 16))
                if name and tt.getGlyphID(name) != 0 and tt["glyf"][name].numberOfContours != 0:  # not .notdef
                    drawn[bytes.fromhex(utf16).decode("utf-16-be")] = font["/BaseFont"]
    return drawn


def test_a_rare_name_is_drawn_by_the_embedded_fonts_and_read_back():
    assert names.name_error(RARE_NAME, "mainland") is None
    assert len({rarechars.font_for_char(ch) for ch in RARE_NAME}) == len(rarechars.pdf_fonts())  # all fonts needed
    data = build(snapshot(RARE_NAME))
    drawn = drawn_chars(data)
    for ch in RARE_NAME:
        assert ch in drawn, f"U+{ord(ch):04X} is not covered by an embedded font"
    assert {f.split("+")[-1] for f in drawn.values()} >= {"WenQuanYiZenHei", "HanaMinA", "HanaMinB", "BabelStoneHan"}
    assert RARE_NAME in text_of(data)


def test_form_has_title_sections_status_order_time_and_code_on_one_a4_page():
    data = build(status_label="审核通过", order_number="20271130-11-7F3K9Q2M", payment_label="待支付",
                 photo=images.photo())
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(box.width), round(box.height)) == (595, 842)
    text = text_of(data)
    for expected in ("2027年度全国会计专业技术初级资格考试报名表", "基本信息", "学历信息", "学位信息", "工作信息",
                     "报考信息", "张三丰", "110105199003071234", "内地居民身份证", "首都经济贸易大学", "单位所在地北京朝阳区",
                     "朝阳区财政局会计考试报名点", "初级会计实务、经济法基础", "112.00元", "审核通过",
                     "20271130-11-7F3K9Q2M", "待支付", "2027-01-1010:05", CODE, URL):
        assert expected in text, expected
    assert reader.metadata.title == "2027年度全国会计专业技术初级资格考试报名表"


def test_photo_is_embedded_as_an_image():
    with_photo, without = build(photo=images.photo()), build()
    page = PdfReader(io.BytesIO(with_photo)).pages[0]
    assert len(page.images) == 1 and page.images[0].image.size == (330, 440)
    assert not PdfReader(io.BytesIO(without)).pages[0].images and "照片" in text_of(without)


def test_no_order_says_so_and_no_employer_prints_none():
    s = snapshot()
    s["personal"].update(no_employer="1", employer="", position="")
    text = text_of(build(s))
    assert "未生成订单" in text and "工作单位无" in text


def qr_modules(data: bytes, size: int) -> list[list[int]]:
    """The dark modules drawn in the QR area (bottom left), read back from the page's rectangles."""
    page = PdfReader(io.BytesIO(data)).pages[0]
    operations = ContentStream(page.get_contents(), page.pdf).operations
    rects = [[float(v) for v in ops] for ops, op in operations if op == b"re"]
    qr = [r for r in rects if r[0] < form_pdf.MARGIN + 80 and r[3] < 5]  # module-high squares beside the margin
    left, top, module = min(r[0] for r in qr), max(r[1] + r[3] for r in qr), qr[0][3]
    grid = [[0] * size for _ in range(size)]
    for x, y, w, _ in qr:
        row, col = round((top - y) / module) - 1, round((x - left) / module)
        for i in range(round(w / module)):
            grid[row][col + i] = 1
    return grid


def test_qr_code_encodes_the_verify_url():
    expected = [list(row) for row in segno.make(URL, error="m").matrix]
    assert qr_modules(build(), len(expected)) == expected


def test_long_texts_wrap_and_overflow_to_a_second_page_rather_than_being_cut():
    s = snapshot()
    s["personal"]["address"] = "北京市朝阳区建国路" * 30
    s["site"]["address"] = "很长的地址" * 200
    data = build(s)
    assert len(PdfReader(io.BytesIO(data)).pages) == 2
    text = text_of(data)
    assert "北京市朝阳区建国路" * 30 in text and CODE in text


def test_verification_codes_are_random_and_readable():
    codes = {form_pdf.new_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(form_pdf.is_code(c) for c in codes)
    assert not form_pdf.is_code("ABCD2345EFGH678O") and not form_pdf.is_code("abcd2345efgh6789")
    assert not form_pdf.is_code(CODE[:-1]) and not form_pdf.is_code("../" + CODE[3:])


def test_to_unicode_fix_is_applied_at_import():
    from reportlab.pdfbase import ttfonts

    assert ttfonts.makeToUnicodeCMap is form_pdf._to_unicode_cmap
    cmap = form_pdf._to_unicode_cmap("F1", [0x5F20, 0x20000])
    assert "<00> <5F20>" in cmap and "<01> <D840DC00>" in cmap and "<00> <01>" in cmap
