"""Test images made on the fly with Pillow (no binary fixtures in the repo)."""
import io

from PIL import Image


def jpeg(width=800, height=600, color=(120, 160, 200), quality=90, exif=None) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", (width, height), color)
    # Some texture so the JPEG is not trivially small.
    for x in range(0, width, 7):
        for y in range(0, height, 11):
            img.putpixel((x, y), ((x * 3) % 255, (y * 5) % 255, (x + y) % 255))
    kwargs = {"quality": quality}
    if exif is not None:
        kwargs["exif"] = exif
    img.save(out, "JPEG", **kwargs)
    return out.getvalue()


def png(width=800, height=600, mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), 200 if mode in ("L", "1") else (200, 100, 50)).save(out, "PNG")
    return out.getvalue()


def gif(width=800, height=600) -> bytes:
    out = io.BytesIO()
    Image.new("P", (width, height)).save(out, "GIF")
    return out.getvalue()


def bomb() -> bytes:
    """20000×20000 pixels that compress to a few hundred kilobytes."""
    return png(20000, 20000, mode="1")


def photo(width=330, height=440) -> bytes:
    """An ID photo: portrait 3:4, JPEG, above 10 KB."""
    return jpeg(width, height, quality=95)


def png_photo(width=330, height=440) -> bytes:
    """A textured portrait PNG (above 10 KB), for the JPEG-only photo rule."""
    out = io.BytesIO()
    with Image.open(io.BytesIO(photo(width, height))) as img:
        img.save(out, "PNG")
    return out.getvalue()
