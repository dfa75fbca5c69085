"""Time the 报名表 builder: N forms with a photo, each with its own verification code, p50/p90 per form.

    .venv/bin/python bench/form_pdf.py [N]    (default 200; the first form, which registers the fonts, is timed apart)
"""
import io
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from models.snapshot import Snapshot  # noqa: E402
from services.documents import form_pdf  # noqa: E402


def id_photo() -> bytes:
    """A 295×413 JPEG of about 30 KB, the size the 报名信息填写 step stores."""
    rng = random.Random(7)
    img = Image.new("RGB", (295, 413), (90, 140, 210))
    for _ in range(6000):
        img.putpixel((rng.randrange(295), rng.randrange(413)), (rng.randrange(256), 120, rng.randrange(256)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92)
    return out.getvalue()


SNAPSHOT = Snapshot.from_json({
    "exam": {"name": "2027年度全国会计专业技术中级资格考试", "level": "中级", "year": 2027},
    "province": {"code": "44", "name": "广东"}, "city": "广州市",
    "site": {"name": "广州市财政局会计考试报名点", "address": "广东省广州市越秀区府前路1号"},
    "subjects": ["中级会计实务", "财务管理", "经济法"], "fee_fen": 20100,
    "condition": {"code": "zhongji_benke", "label": "具备大学本科学历或学士学位，从事会计工作满4年"},
    "candidate": {"name": "欧阳䶮𠀀", "id_type": "mainland", "id_number": "440104198505121236", "phone": "13600136000",
                  "gender": "女", "birth_date": "1985-05-12"},
    "photo": None,
    "personal": {"ethnicity": "汉族", "political_status": "中共党员", "address": "广东省广州市天河区体育西路100号",
                 "postcode": "510620", "email": "ouyang@example.com", "level": "大学本科", "school": "中山大学",
                 "major": "财务管理", "graduated_on": "2007-07-01", "certificate_no": "105581200705003456",
                 "degree": "管理学学士", "degree_org": "中山大学", "degree_date": "2007-07-01", "no_employer": "",
                 "employer": "广州某某集团有限公司", "employer_province": "44", "employer_city": "440100",
                 "accounting_start": "2008-03-01", "position": "财务主管"},
    "materials": [],
})


def one(photo: bytes) -> float:
    code = form_pdf.new_code()
    start = time.perf_counter()
    form_pdf.build_form(SNAPSHOT, status_label="审核通过", order_number="20271130-44-7F3K9Q2M", payment_label="待支付",
                        generated_at=datetime.now(timezone.utc), code=code,
                        verify_url=f"https://kjks.example.cn/verify/{code}", photo_bytes=photo)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    photo = id_photo()
    first = one(photo)
    times = sorted(one(photo) for _ in range(n))
    p50, p90 = statistics.median(times), times[int(len(times) * 0.9) - 1]
    print(f"first form (registers the fonts): {first:.0f} ms")
    print(f"{n} forms with a {len(photo) // 1024} KB photo: p50 {p50:.1f} ms, p90 {p90:.1f} ms per form")


if __name__ == "__main__":
    main()
