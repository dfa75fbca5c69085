"""services.documents.uploads: every test image is drawn here with Pillow; nothing binary is kept in the repo."""
import io
import os
import struct
import time
import zlib

import pytest
from PIL import Image, ImageCms, ImageFile
from PIL.PngImagePlugin import PngInfo

from services.documents import uploads
from services.documents.uploads import CleanImage, ImageRules, UploadError, clean_image, delete, path_of, read_upload, store
from services.accounts import realname
from tests.factories import flat_png

MB = 1024 * 1024
RULES = ImageRules(max_bytes=5 * MB, min_width=600, min_height=400)
FORMATS_MSG = "只支持JPG、PNG格式的图片"


def encode(img, fmt, **kw):
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    return out.getvalue()


def photo(w=800, h=600, mode="RGB"):
    # A gradient rather than a flat colour, so the encoders have real work to do.
    return Image.linear_gradient("L").resize((w, h)).convert(mode)


def jpeg(w=800, h=600, **kw):
    return encode(photo(w, h), "JPEG", **kw)


def png(w=800, h=600, mode="RGB", **kw):
    return encode(photo(w, h, mode), "PNG", **kw)


def png_chunks(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, tags = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        tags.append(data[pos + 4:pos + 8])
        pos += 12 + length
    return tags


def huge_bilevel_png(width, height):
    """A valid 1-bit PNG built row by row, so neither this test nor Pillow's writer holds the pixels."""
    def chunk(tag, body):
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    comp = zlib.compressobj(9)
    row = b"\0" * (1 + (width + 7) // 8)  # filter byte + packed bits
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def refused(data, rules=RULES):
    with pytest.raises(UploadError) as exc:
        clean_image(data, rules)
    return str(exc.value)


@pytest.fixture
def no_decoding(monkeypatch):
    """Fails any attempt to decode pixels, to prove a refusal came from the header alone."""
    def boom(self):
        raise AssertionError("pixels were decoded")
    monkeypatch.setattr(ImageFile.ImageFile, "load", boom)


# --- accepted images ---------------------------------------------------------------------------

def test_valid_jpeg_is_accepted_and_reencoded():
    original = jpeg(800, 600)
    clean = clean_image(original, RULES)
    assert isinstance(clean, CleanImage)
    assert (clean.format, clean.width, clean.height) == ("JPEG", 800, 600)
    assert (clean.extension, clean.media_type) == (".jpg", "image/jpeg")
    assert clean.data != original
    with Image.open(io.BytesIO(clean.data)) as img:
        assert (img.format, img.mode, img.size) == ("JPEG", "RGB", (800, 600))


def test_format_comes_from_content_so_a_png_renamed_jpg_is_accepted_as_png():
    clean = clean_image(png(800, 600), RULES)
    assert (clean.format, clean.extension, clean.media_type) == ("PNG", ".png", "image/png")
    with Image.open(io.BytesIO(clean.data)) as img:
        assert (img.format, img.mode, img.size) == ("PNG", "RGB", (800, 600))


def test_png_with_alpha_is_composited_on_white():
    img = Image.new("RGBA", (800, 600), (255, 0, 0, 0))
    img.paste((0, 0, 255, 255), (0, 0, 10, 10))
    clean = clean_image(encode(img, "PNG"), RULES)
    with Image.open(io.BytesIO(clean.data)) as out:
        assert out.mode == "RGB"
        assert out.getpixel((500, 500)) == (255, 255, 255)
        assert out.getpixel((5, 5)) == (0, 0, 255)


def test_exif_orientation_is_applied_before_the_size_rules():
    img = photo(600, 800)
    img.paste((255, 0, 0), (0, 0, 40, 40))  # red mark top-left as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    clean = clean_image(encode(img, "JPEG", exif=exif, quality=95), RULES)
    assert (clean.width, clean.height) == (800, 600)
    with Image.open(io.BytesIO(clean.data)) as out:
        assert out.size == (800, 600)
        assert not out.getexif()
        r, g, b = out.getpixel((780, 20))  # the mark is now top-right
        assert r > 200 and g < 60 and b < 60

    # Stored 400×600 but displayed 600×400: meets "at least 600×400" only once turned upright.
    clean = clean_image(encode(photo(400, 600), "JPEG", exif=exif), RULES)
    assert (clean.width, clean.height) == (600, 400)


def gps_exif():
    exif = Image.Exif()
    exif[0x010E] = "ImageDescription: home"
    exif[0x0110] = "Phone model"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 30.0)})
    return exif


def test_all_metadata_is_removed_from_jpeg():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = encode(photo(), "JPEG", exif=gps_exif(), icc_profile=icc, comment=b"secret comment")
    with Image.open(io.BytesIO(original)) as img:  # the source really carries it all
        assert img.getexif().get_ifd(0x8825) and "icc_profile" in img.info and "comment" in img.info

    clean = clean_image(original, RULES)
    with Image.open(io.BytesIO(clean.data)) as out:
        assert not out.getexif()
        assert not {"exif", "icc_profile", "comment", "xmp"} & out.info.keys()
    assert b"Exif" not in clean.data and b"secret comment" not in clean.data and b"ICC_PROFILE" not in clean.data


def test_all_metadata_is_removed_from_png():
    text = PngInfo()
    text.add_text("Comment", "secret comment")
    text.add_text("Author", "someone", zip=True)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = encode(photo(), "PNG", pnginfo=text, exif=gps_exif(), icc_profile=icc, dpi=(300, 300))
    assert {b"tEXt", b"zTXt", b"eXIf", b"iCCP", b"pHYs"} <= set(png_chunks(original))

    clean = clean_image(original, RULES)
    assert set(png_chunks(clean.data)) == {b"IHDR", b"IDAT", b"IEND"}
    with Image.open(io.BytesIO(clean.data)) as out:
        assert not out.getexif()
        assert not out.info


def test_bytes_after_the_jpeg_end_marker_are_dropped():
    clean = clean_image(jpeg() + b"<?php system($_GET['c']); ?>", RULES)
    assert b"<?php" not in clean.data
    assert clean.data.endswith(b"\xff\xd9")


def test_sixteen_bit_greyscale_png_is_scaled_not_clipped():
    clean = clean_image(encode(Image.new("I;16", (800, 600), 40000), "PNG"), RULES)
    with Image.open(io.BytesIO(clean.data)) as out:
        assert out.getpixel((0, 0)) == (155, 155, 155)


# --- refused images ----------------------------------------------------------------------------

def test_empty_file_is_refused():
    assert refused(b"") == "文件为空，请重新选择"


def test_file_over_the_size_limit_is_refused_before_decoding(monkeypatch):
    data = jpeg() + os.urandom(6 * MB)  # a valid JPEG, padded past its end marker
    assert len(data) > 6 * MB

    def no_open(*a, **kw):
        raise AssertionError("Pillow was called")
    monkeypatch.setattr(uploads.Image, "open", no_open)
    assert refused(data) == "文件大小不能超过5MB"


def test_size_limit_message_names_the_limit():
    assert uploads.size_message(5 * MB) == "文件大小不能超过5MB"
    assert uploads.size_message(3 * MB // 2) == "文件大小不能超过1.5MB"
    assert uploads.size_message(500 * 1024) == "文件大小不能超过500KB"
    assert uploads.size_message(2_000_000) == "文件大小不能超过1.9MB"  # rounded down, never overstated
    assert refused(jpeg(), ImageRules(max_bytes=1024, min_width=1, min_height=1)) == "文件大小不能超过1KB"


def test_text_file_renamed_jpg_is_refused():
    assert refused("这不是图片 / not an image\n".encode() * 50) == FORMATS_MSG


def test_gif_is_refused():
    assert refused(encode(photo(), "GIF")) == FORMATS_MSG


def test_format_outside_the_accepted_set_is_refused():
    assert refused(png(), ImageRules(max_bytes=5 * MB, min_width=1, min_height=1, formats=("JPEG",))) == (
        "只支持JPG格式的图片")


def test_truncated_jpeg_is_refused():
    data = jpeg()
    assert refused(data[: len(data) // 2]) == "图片已损坏或不完整，请重新选择"


def test_truncated_or_garbled_png_is_refused():
    data = png()
    assert refused(data[: len(data) // 2]) == "图片已损坏或不完整，请重新选择"
    assert refused(data[:8] + b"\0" * 100) == "图片已损坏或不完整，请重新选择"  # right magic, no header


def test_decompression_bomb_is_refused_before_decoding(no_decoding):
    bomb = huge_bilevel_png(20_000, 20_000)  # 400 megapixels in well under a megabyte
    assert len(bomb) < RULES.max_bytes
    assert refused(bomb) == "图片尺寸过大：不能超过1300万像素，请重新拍摄或换一张较小的图片"


def test_image_over_the_pixel_limit_is_refused_before_decoding(no_decoding):
    # 13.4 megapixels: over our 13 MP budget yet far under Pillow's own thresholds, so this is our check.
    assert refused(huge_bilevel_png(4200, 3200)) == uploads.pixels_message(uploads.MAX_PIXELS)
    assert refused(png(800, 600), ImageRules(5 * MB, 1, 1, max_pixels=400_000)) == uploads.pixels_message(400_000)
    assert uploads.pixels_message(400_000) == "图片尺寸过大：不能超过40万像素，请重新拍摄或换一张较小的图片"


def test_pillow_bomb_warning_is_a_refusal_even_with_a_higher_limit(no_decoding):
    rules = ImageRules(max_bytes=5 * MB, min_width=1, min_height=1, max_pixels=10**9)
    with pytest.warns(Image.DecompressionBombWarning):
        assert refused(huge_bilevel_png(10_000, 10_000), rules) == uploads.pixels_message(Image.MAX_IMAGE_PIXELS)


def test_image_smaller_than_the_minimum_is_refused():
    assert refused(jpeg(300, 200)) == "图片尺寸不能小于600×400像素"
    assert refused(jpeg(400, 600)) == "图片尺寸不能小于600×400像素"  # width×height literally, as displayed
    assert clean_image(jpeg(600, 400), RULES).width == 600


def test_rules_only_know_jpeg_and_png():
    with pytest.raises(ValueError):
        ImageRules(max_bytes=1, min_width=1, min_height=1, formats=("GIF",))


# --- storage -----------------------------------------------------------------------------------

def test_store_writes_under_a_new_server_chosen_name(tmp_path):
    first = store(tmp_path, "realname", b"one", ".jpg")
    second = store(tmp_path, "realname", b"two", ".jpg")
    assert first != second
    assert first.startswith("realname/") and first.endswith(".jpg") and len(first) == len("realname/") + 32 + 4
    assert (tmp_path / first).read_bytes() == b"one"
    assert path_of(tmp_path, second).read_bytes() == b"two"
    assert sorted(p.name for p in (tmp_path / "realname").iterdir()) == sorted(
        [first.split("/")[1], second.split("/")[1]])  # no temp files left behind

    top = store(tmp_path, "", b"png", ".png")
    assert "/" not in top and (tmp_path / top).read_bytes() == b"png"


def test_store_is_atomic_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def fail(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(uploads.os, "replace", fail)
    with pytest.raises(OSError):
        store(tmp_path, "realname", b"data", ".jpg")
    assert list((tmp_path / "realname").iterdir()) == []


def test_store_refuses_names_it_did_not_choose(tmp_path):
    for kind in ("../x", "a/b", "/etc", "Realname", "real name"):
        with pytest.raises(ValueError):
            store(tmp_path, kind, b"x", ".jpg")
    for ext in (".php", "jpg", ".jpg/../x", ".gif"):
        with pytest.raises(ValueError):
            store(tmp_path, "realname", b"x", ext)
    assert list(tmp_path.iterdir()) == []


def test_path_of_only_accepts_the_servers_own_pattern(tmp_path):
    name = "realname/" + "0123456789abcdef" * 2 + ".jpg"
    assert path_of(tmp_path, name) == tmp_path / name
    bad = [
        "../x",
        "realname/../../etc/passwd",
        "/etc/passwd",
        str(tmp_path / name),
        "realname/../" + "0" * 32 + ".jpg",
        "realname/" + "0" * 32 + ".php",
        "realname/" + "0" * 32 + ".jpg\n",
        "realname/" + "0" * 31 + ".jpg",
        "realname/" + "0" * 32 + "/.jpg",
        "a/b/" + "0" * 32 + ".jpg",
        "realname\\" + "0" * 32 + ".jpg",
        "realname/" + "A" * 32 + ".jpg",
        "",
        None,
    ]
    for stored_name in bad:
        with pytest.raises(UploadError):
            path_of(tmp_path, stored_name)


def test_delete_removes_the_file_and_tolerates_a_missing_one(tmp_path):
    name = store(tmp_path, "realname", b"x", ".png")
    delete(tmp_path, name)
    assert not (tmp_path / name).exists()
    delete(tmp_path, name)  # already gone: fine
    with pytest.raises(UploadError):
        delete(tmp_path, "../secret.txt")


def test_clean_image_then_store_round_trip(tmp_path):
    clean = clean_image(jpeg(), RULES)
    name = store(tmp_path, "realname", clean.data, clean.extension)
    with Image.open(path_of(tmp_path, name)) as img:
        assert img.size == (800, 600)


# --- reading the request -----------------------------------------------------------------------

class FakeUpload:
    """Quacks like Starlette's UploadFile: async read(n); counts what was handed out."""

    def __init__(self, total):
        self.remaining = total
        self.served = 0

    async def read(self, size=-1):
        n = self.remaining if size < 0 else min(size, self.remaining)
        self.remaining -= n
        self.served += n
        return b"x" * n


async def test_read_upload_stops_as_soon_as_the_limit_is_passed():
    upload = FakeUpload(1024 * MB)  # a gigabyte that must never be read whole
    with pytest.raises(UploadError) as exc:
        await read_upload(upload, 5 * MB)
    assert str(exc.value) == "文件大小不能超过5MB"
    assert upload.served <= 5 * MB + 64 * 1024


async def test_read_upload_returns_everything_up_to_the_limit():
    assert await read_upload(FakeUpload(5 * MB), 5 * MB) == b"x" * (5 * MB)
    assert await read_upload(FakeUpload(10), 5 * MB) == b"x" * 10


async def test_read_upload_refuses_an_empty_file():
    with pytest.raises(UploadError) as exc:
        await read_upload(FakeUpload(0), 5 * MB)
    assert str(exc.value) == "文件为空，请重新选择"


# --- the pixel budget: what a request may cost (issue 11) ------------------------------------------


def test_the_issues_flat_pngs_are_refused_as_id_images_from_the_header(no_decoding):
    # Three of these in a 395 KB request took 5.3 s and 300 MB (1.6 GB for four requests at once).
    data = flat_png(7264, 5452)  # 39.6 megapixels of one colour
    assert len(data) < 150_000
    assert refused(data, realname.ID_IMAGE_RULES) == "图片尺寸过大：不能超过400万像素，请重新拍摄或换一张较小的图片"
    assert refused(data) == "图片尺寸过大：不能超过1300万像素，请重新拍摄或换一张较小的图片"  # and everywhere else


def test_a_jpeg_over_the_budget_is_decoded_smaller_by_libjpeg_instead_of_refused():
    rules = ImageRules(5 * MB, 1, 1, max_pixels=400_000)
    clean = clean_image(jpeg(1600, 1200), rules)  # 1.9 MP; at 1/2 still 480 000 pixels, at 1/4 within
    assert (clean.width, clean.height) == (400, 300)
    assert Image.open(io.BytesIO(clean.data)).size == (400, 300)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the reduction and the turn upright combine
    clean = clean_image(encode(photo(1600, 1200), "JPEG", exif=exif), rules)
    assert (clean.width, clean.height) == (300, 400)


def test_a_phone_photo_passes_as_an_id_image_at_half_size():
    clean = clean_image(jpeg(4032, 3024, quality=85), realname.ID_IMAGE_RULES)  # a 12 MP phone camera's picture
    assert (clean.format, clean.width, clean.height) == ("JPEG", 2016, 1512)
    clean = clean_image(jpeg(4000, 3000, quality=85), RULES)  # within the 13 MP of other uploads: as it is
    assert (clean.width, clean.height) == (4000, 3000)


def test_a_progressive_jpeg_is_held_to_the_budget_at_full_size(no_decoding):
    # libjpeg keeps every coefficient of a progressive JPEG whatever the scale: decoding it smaller saves nothing.
    rules = ImageRules(5 * MB, 1, 1, max_pixels=400_000)
    assert refused(jpeg(1600, 1200, progressive=True), rules) == uploads.pixels_message(400_000)


def test_a_noisy_png_is_reencoded_quickly_and_losslessly():
    # At zlib level 9 (optimize) this 3 MP PNG took about 4 s to re-encode: the worst of PNGs within 5 MB.
    img = Image.effect_noise((2000, 1500), 12).convert("RGB")
    data = encode(img, "PNG", compress_level=1)
    assert len(data) <= RULES.max_bytes
    started = time.perf_counter()
    clean = clean_image(data, RULES)
    assert time.perf_counter() - started < 1.5
    assert Image.open(io.BytesIO(clean.data)).tobytes() == img.tobytes()


def test_a_baseline_jpeg_in_several_scans_is_held_to_the_budget_like_a_progressive_one():
    """Issue 11 review: a sequential JPEG whose components come in scans of their own is not decoded smaller by
    libjpeg (it keeps every coefficient): 9000×9000 of it took 506 MB before it was refused."""
    import pytest

    from services.accounts import realname
    from tests.factories import multiscan_jpeg

    data = multiscan_jpeg(6000, 6000)
    with pytest.raises(uploads.UploadError, match="像素"):
        uploads.clean_image(data, realname.ID_IMAGE_RULES)
    assert uploads._one_scan(jpeg(4032, 3024)) and not uploads._one_scan(data)
