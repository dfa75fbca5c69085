"""Demo candidates and applications for `make run`: the reviewers' board has a queue to work through, and
one candidate, already approved, can go on to 网上缴费 and 报名表打印. Everything goes through the real
submission and review operations, once (a second run finds the demo candidates and changes nothing)."""
from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image, ImageDraw
from tortoise.expressions import F

from models.accounts import Account, Reviewer
from models.applications import Application
from models.exams import ExamProvince, Site
from services.accounts import passwords
from services.review import decisions
from services.review.scope import scope_of
from services.registration import submission
from services.documents import uploads
from services.accounts.idnumbers import check_digit
from services.reference.exams import ReferenceData

PASSWORD = "Kaoshi2027"
PHONE_PREFIX = "1390000"
# (name, city code): 12 candidates of 北京 初级; the first is the one who logs in (approved, can pay).
# (东城区's one place is left for trying a full site.)
CANDIDATES = [("张伟", "110105"), ("王芳", "110105"), ("李娜", "110108"), ("刘洋", "110102"), ("陈静", "110102"),
              ("杨帆", "110105"), ("赵磊", "110108"), ("黄敏", "110108"), ("欧阳䶮", "110102"), ("吴婷", "110105"),
              ("徐强", "110108"), ("孙丽", "110102")]
PERSONAL = {"ethnicity": "汉族", "political_status": "群众", "address": "北京市朝阳区建国路1号", "postcode": "100020",
            "email": "demo@example.com", "level": "大学本科", "school": "首都经济贸易大学", "major": "会计学",
            "graduated_on": "2012-07-01", "certificate_no": "100361201205001234", "degree": "学士",
            "degree_org": "首都经济贸易大学", "degree_date": "2012-07-01", "no_employer": "", "employer": "北京某有限公司",
            "employer_province": "11", "employer_city": "110100", "accounting_start": "2013-03-01",
            "position": "会计", "complete": True, "materials_done": True}
APPROVE, REJECT = (0, 1, 2), {3: "证明材料不清晰"}  # by index in CANDIDATES; the rest wait for review


def id_number(i: int) -> str:
    first17 = f"1101051990{i % 12 + 1:02d}{i + 10:02d}{100 + i * 2:03d}"
    return first17 + check_digit(first17)


def login_hint() -> str:
    return f"证件号码 {id_number(0)}  密码 {PASSWORD}"


def portrait(i: int) -> bytes:
    """A 295×413 stand-in for an ID photo: light background, head and shoulders."""
    img = Image.new("RGB", (295, 413), (246, 247, 249))
    d = ImageDraw.Draw(img)
    tone = (60 + i * 7 % 40, 70, 90)
    d.ellipse((92, 70, 203, 200), fill=(225, 190, 165))
    d.pieslice((22, 250, 273, 520), 180, 360, fill=tone)
    d.rectangle((130, 195, 165, 255), fill=(225, 190, 165))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=92)
    return out.getvalue()


async def seed_applications(upload_dir, now, reference: ReferenceData) -> int:
    """Create the demo candidates with submitted applications; returns how many were created (0 if present)."""
    if await Account.exists(phone__startswith=PHONE_PREFIX):
        return 0
    ep = await ExamProvince.get(province_code="11", exam__code="demo-chuji").select_related("exam")
    reviewer = await Reviewer.get(username="beijing")
    scope = await scope_of(reference, reviewer)
    hashed = await passwords.hash_password(PASSWORD)
    for i, (name, city) in enumerate(CANDIDATES):
        number = id_number(i)
        account = await Account.create(
            id_type="mainland", id_number=number, name=name, phone=f"{PHONE_PREFIX}{i + 1:04d}",
            password_hash=hashed, birth_date=date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
            gender="男" if int(number[16]) % 2 else "女", realname_at=now, realname_method="alipay")
        site = await Site.filter(city__exam_province=ep, city__code=city, taken__lt=F("capacity")).order_by("id").first()
        photo = uploads.store(upload_dir, "photo", portrait(i), ".jpg")
        app = await Application.create(
            account=account, exam=ep.exam, active_key=f"{account.id}:{ep.exam_id}", province=ep,
            notice_agreed_at=now, announcements_read_at=now, condition="chuji_high_school", site=site,
            subjects=list(ep.exam.subjects), photo=photo, personal=dict(PERSONAL), info_done=True,
            materials_done=True)
        app.exam = ep.exam
        await submission.submit(app, ep, account, now - timedelta(hours=7 * (len(CANDIDATES) - i)), commitment=False,
                                upload_dir=upload_dir)
        if i in APPROVE or i in REJECT:
            await decisions.decide(scope, app.id, i in APPROVE, REJECT.get(i, ""), now)
    return len(CANDIDATES)
