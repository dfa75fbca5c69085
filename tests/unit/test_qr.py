"""QR codes drawn with a fixed mask (services/documents/qr.py) are read back by ZXing, and the SVG shown on the
scan pages is that same code."""

import zxingcpp
from PIL import Image

from services.documents import qr


def drawn(matrix, module=6, quiet=4) -> Image.Image:
    n = len(matrix)
    image = Image.new("L", ((n + 2 * quiet) * module,) * 2, 255)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                image.paste(0, ((c + quiet) * module, (r + quiet) * module, (c + quiet + 1) * module,
                                (r + quiet + 1) * module))
    return image


def test_scan_codes_are_read_back_by_a_real_reader():
    for url in ("https://kjks.example.cn/dev/alipay/certify?certify_id=mUIxNfUzL2ddkt9tcRqsEx3cvv6P7k6u",
                "https://kjks.example.cn/dev/wechat/authorize?state=Qk3Xw1a9v2b8c7d6e5f4g3h2i1j0kLmN"):
        assert [r.text for r in zxingcpp.read_barcodes(drawn(qr.matrix(url)))] == [url]
        svg = qr.svg_data_uri(url)
        assert svg.startswith("data:image/svg+xml") and qr.code(url).mask == qr.MASK
