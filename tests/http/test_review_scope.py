"""审核范围 and file access, each decided once: services.review.scope.Scope gives the condition on applications,
orders, payment notifications and 实名认证 requests; services.documents.access decides who sees an upload."""
from datetime import timedelta

import pytest

from models.accounts import Account, Reviewer
from models.applications import Application, Material
from models.payments import Order, PaymentNotification
from models.profiles import Profile, RealnameRequest
from services.clock import now
from services.documents import access
from services.review import decisions
from services.review.scope import scope_of
from tests.factories import mainland_id, make_app, pdf, photo, stored


@pytest.fixture
async def scopes(app, demo):
    """The scopes of a 北京 reviewer, a 朝阳区 (110105) reviewer and a 上海 reviewer."""
    out = {}
    for name, province, city in (("beijing", "11", None), ("chaoyang", "11", "110105"), ("shanghai", "31", None)):
        reviewer = await Reviewer.create(username=name, password_hash="x", province_code=province, city=city)
        out[name] = await scope_of(app.state.reference, reviewer)
    return out


async def order_of(application: Application, number: str, status="paid") -> Order:
    t = now()
    return await Order.create(number=number, application=application, amount_fen=5600, status=status, created_at=t,
                              expires_at=t + timedelta(minutes=30))


async def late(order: Order | None, number: str) -> PaymentNotification:
    return await PaymentNotification.create(order=order, order_number=number, outcome="late_paid", body="",
                                            received_at=now())


async def test_one_scope_places_applications_orders_notifications_and_realname_requests(scopes):
    chaoyang = await make_app(city="110105")
    haidian = await make_app(city="110108", status="withdrawn")  # withdrawn: still the reviewers' to see
    draft = await make_app(city="110105", status="draft")
    shanghai = await make_app(province="31", city="310101")
    for a, number in ((chaoyang, "20270101-11-AAAAAAAA"), (haidian, "20270101-11-BBBBBBBB"),
                      (shanghai, "20270101-31-CCCCCCCC")):
        await late(await order_of(a, number), number)
    await late(None, "20270101-11-UNKNOWN2")  # no such order: placed by the province code in its number
    for n, (province, city) in enumerate((("11", "110105"), ("11", "110108"), ("31", "310101"))):
        account = await Account.create(id_type="mainland", id_number=mainland_id(f"{city}19900307{n:03d}"),
                                       name="实名人", phone=f"13700{city}", password_hash="x")
        await RealnameRequest.create(account=account, province_code=province, city_code=city, front="f", back="b",
                                     handheld="h")

    async def seen(scope) -> tuple:
        apps = set(await Application.filter(scope.applications()).values_list("id", flat=True))
        orders = set(await Order.filter(scope.orders()).values_list("number", flat=True))
        notes = set(await PaymentNotification.filter(scope.notifications()).values_list("order_number", flat=True))
        requests = set(await RealnameRequest.filter(scope.realname_requests()).values_list("city_code", flat=True))
        return apps, orders, notes, requests

    beijing = await seen(scopes["beijing"])
    assert beijing == ({chaoyang.id, haidian.id}, {"20270101-11-AAAAAAAA", "20270101-11-BBBBBBBB"},
                       {"20270101-11-AAAAAAAA", "20270101-11-BBBBBBBB", "20270101-11-UNKNOWN2"}, {"110105", "110108"})
    assert draft.id not in beijing[0]  # reviewers never see drafts
    assert await seen(scopes["chaoyang"]) == ({chaoyang.id}, {"20270101-11-AAAAAAAA"}, {"20270101-11-AAAAAAAA"},
                                              {"110105"})
    assert await seen(scopes["shanghai"]) == ({shanghai.id}, {"20270101-31-CCCCCCCC"}, {"20270101-31-CCCCCCCC"},
                                              {"310101"})


async def test_a_reviewer_sees_the_files_a_submission_in_scope_recorded(scopes, settings):
    pic, doc = stored(settings, "photo", photo(), ".jpg"), stored(settings, "material", pdf(), ".pdf")
    a = await make_app(photo=pic, materials=[{"item": "学历证书", "stored": doc, "kind": "pdf", "pages": 1}])
    await Material.create(application=a, item="学历证书", stored=doc, kind="pdf")
    # A material row whose file the snapshot does not record is not the reviewers' to see: the snapshot decides.
    loose = stored(settings, "material", pdf(), ".pdf")
    await Material.create(application=a, item="工作证明", stored=loose, kind="pdf")
    other = await make_app(photo=stored(settings, "photo", photo(), ".jpg"))
    sh = await make_app(province="31", city="310101", photo=stored(settings, "photo", photo(), ".jpg"))
    draft = await make_app(status="draft", photo=stored(settings, "photo", photo(), ".jpg"))
    beijing, chaoyang, shanghai = scopes["beijing"], scopes["chaoyang"], scopes["shanghai"]
    assert await access.reviewer_may_see(beijing, pic) and await access.reviewer_may_see(beijing, doc)
    assert not await access.reviewer_may_see(beijing, sh.photo) and not await access.reviewer_may_see(beijing, draft.photo)
    assert await access.reviewer_may_see(chaoyang, pic)  # a 朝阳区 application
    assert not await access.reviewer_may_see(beijing, loose)
    assert not await access.reviewer_may_see(shanghai, pic) and not await access.reviewer_may_see(shanghai, doc)
    # Through an application's URL: that application's files only.
    assert await access.reviewer_may_see(beijing, doc, a.id)
    assert not await access.reviewer_may_see(beijing, other.photo, a.id)
    assert not await access.reviewer_may_see(shanghai, pic, a.id)


async def test_the_owner_sees_their_uploads_and_nobody_else_does(app, scopes, settings):
    from types import SimpleNamespace
    pic, pending, doc = (stored(settings, "photo", photo(), ".jpg"), stored(settings, "photo", photo(), ".jpg"),
                         stored(settings, "material", pdf(), ".pdf"))
    a = await make_app(status="draft", photo=pic, pending_photo=pending)
    await Material.create(application=a, item="学历证书", stored=doc, kind="pdf")
    profile_photo = stored(settings, "photo", photo(), ".jpg")
    await Profile.create(account_id=a.account_id, photo=profile_photo)
    front = stored(settings, "realname", photo(), ".jpg")
    await RealnameRequest.create(account_id=a.account_id, province_code="11", city_code="110105", front=front,
                                 back="b", handheld="h")
    stranger = await make_app()
    owner = SimpleNamespace(account_id=a.account_id, reviewer_id=None)
    other = SimpleNamespace(account_id=stranger.account_id, reviewer_id=None)
    reviewer = SimpleNamespace(account_id=None, reviewer_id=scopes["beijing"].reviewer.id,
                               reviewer=scopes["beijing"].reviewer)
    ref = app.state.reference
    for name in (pic, pending, doc, profile_photo, front):
        assert await access.may_see(ref, owner, name), name
        assert not await access.may_see(ref, other, name), name
        assert not await access.may_see(ref, None, name), name
    assert not await access.may_see(ref, reviewer, pic)  # a draft: not the reviewers'
    assert await access.may_see(ref, reviewer, front)  # an 实名认证 image of a request in scope
    assert not await access.may_see(ref, reviewer, front, application_id=a.id)  # not through an application
    assert not await access.may_see(ref, owner, pic, application_id=a.id)  # the board's URLs are reviewers' only


async def test_a_stored_file_is_sent_as_a_download_when_it_is_a_pdf(settings):
    pic, doc = stored(settings, "photo", photo(), ".jpg"), stored(settings, "material", pdf(), ".pdf")
    image, document = access.stored_file(settings.upload_dir, pic), access.stored_file(settings.upload_dir, doc)
    assert (image.media_type, image.headers["Content-Disposition"]) == ("image/jpeg", "inline")
    assert (document.media_type, document.headers["Content-Disposition"]) == ("application/pdf", "attachment")
    assert access.stored_file(settings.upload_dir, "photo/" + "0" * 32 + ".jpg") is None  # no such file
    assert access.stored_file(settings.upload_dir, "../secret_key") is None


async def test_a_photo_flag_is_cleared_and_logged_once(scopes):
    from models.reviews import ReviewLog
    a = await make_app(photo_flag="照片过暗")
    beijing = scopes["beijing"]
    assert await decisions.clear_photo_flag(beijing, a, now()) is True
    assert await decisions.clear_photo_flag(beijing, a, now()) is False  # another reviewer's click: nothing to do
    assert (await Application.get(id=a.id)).photo_flag is None
    assert await ReviewLog.filter(application_id=a.id, action="photo_ok").count() == 1
    shanghai_flag = await make_app(photo_flag="照片过暗", province="31", city="310101")
    assert await decisions.clear_photo_flag(beijing, shanghai_flag, now()) is False  # out of scope: unchanged
    assert (await Application.get(id=shanghai_flag.id)).photo_flag == "照片过暗"
