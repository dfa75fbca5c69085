"""The automatic photo check: a plain light background passes; dark, burnt-out, flat or busy photos are flagged."""
import io

from PIL import Image, ImageDraw

from services.registration import photo_check


def _jpeg(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92)
    return out.getvalue()


def portrait(background=(245, 245, 245), face=(60, 45, 40)) -> Image.Image:
    """A light background with a dark head-and-shoulders shape in the middle."""
    img = Image.new("RGB", (330, 440), background)
    d = ImageDraw.Draw(img)
    d.ellipse((100, 80, 230, 240), fill=face)
    d.rectangle((60, 260, 270, 440), fill=face)
    return img


def test_a_plain_light_background_with_a_subject_passes():
    assert photo_check.check(_jpeg(portrait())) is None
    assert photo_check.check(_jpeg(portrait(background=(220, 235, 250)))) is None  # light blue


def test_a_dark_background_is_flagged():
    assert "背景" in photo_check.check(_jpeg(portrait(background=(90, 90, 140), face=(230, 200, 180))))


def test_a_too_dark_photo_is_flagged():
    assert photo_check.check(_jpeg(portrait(background=(40, 40, 40), face=(10, 10, 10)))) == "照片过暗"


def test_an_overexposed_photo_is_flagged():
    assert photo_check.check(_jpeg(portrait(background=(255, 255, 255), face=(252, 252, 252)))) == "照片曝光过度"


def test_a_flat_low_contrast_photo_is_flagged():
    assert photo_check.check(_jpeg(portrait(background=(200, 200, 200), face=(185, 185, 185)))) == "照片对比度过低"


def test_a_busy_background_is_flagged():
    img = portrait()
    d = ImageDraw.Draw(img)
    for x in range(0, 330, 8):
        d.line((x, 0, x, 440), fill=(0, 0, 0), width=3)
    d.ellipse((100, 80, 230, 240), fill=(60, 45, 40))
    assert photo_check.check(_jpeg(img)) is not None


def test_bytes_that_are_no_image_are_flagged_not_raised():
    assert photo_check.check(b"not an image") == "照片无法识别"
