"""services.documents.form_pdf: the 报名表 builder, read back from the PDF itself with pypdf and fontTools."""
import io

from pypdf import PdfReader
from pypdf.generic import ContentStream

from services.documents import form_pdf, qr
from services.accounts import names
from services.reference import rarechars
from tests.factories import CODE, RARE_NAME, URL, build, drawn_chars, images, snapshot, text_of

# A name with an Ext A, an Ext B and an Ext G character: one character per shipped rare font at least.


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
    expected = [list(row) for row in qr.matrix(URL)]
    assert qr_modules(build(), len(expected)) == expected


def test_the_printed_qr_code_is_read_back_by_a_real_reader():
    """The page drawn by PDFium and read by ZXing (the decoder of most phones' scanner apps): the mask fixed for
    speed (services/documents/qr.py) gives a code a reader decodes."""
    import pypdfium2
    import zxingcpp

    page = pypdfium2.PdfDocument(build())[0].render(scale=2).to_pil()
    assert [r.text for r in zxingcpp.read_barcodes(page)] == [URL]


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
