"""A page of an uploaded PDF as an image, for the reviewers: PDFium (Chrome's own PDF engine, via
pypdfium2) draws it on the server, so a PDF's scripts, forms and links never reach a browser of ours,
and no PDF viewer is needed (Chrome's refuses to run in the CSP sandbox that a served PDF would need).

A few hundred bytes of PDF can cost PDFium minutes and gigabytes: a page box of 200×150000 points (drawn at the
panel's width, 270 million pixels: 21 s and 3.4 GB for three pages, then a MemoryError for a taller one), or a
content stream of 40 KB that inflates to 20 MB of drawing operators (PDFium parses it all when it loads the page,
before any drawing starts: 2.6 s and 600 MB; 400 KB of it, 52 s and 5.5 GB). So, for every stored file:

- one rule for a sane page (`page_size_ok`): each side between 1 mm and A0's long side (1189 mm). Uploads refuse
  other pages (services/registration/materials.py), the 材料包 leaves them out with a note (bundle.py), and they
  are not drawn here;
- a pixel budget per page (`MAX_PIXELS`): the scale is chosen so that width × height stays within it;
- PDFium runs in a worker process of its own (`python -m services.documents.pdfpages`, one per server process,
  started when first needed, limited to `MEMORY_LIMIT` of address space). A page not drawn within `MAX_SECONDS`
  costs the worker its life (it is killed, and started again for the next page), and the file is remembered as
  too slow so its other pages are not tried again. The server's own memory never holds PDFium's work, a bomb
  cannot take the server down, and the lock that queues pages (PDFium is not thread-safe) is held at most
  `MAX_SECONDS` by any one page.
"""
from __future__ import annotations

import atexit
import io
import math
import os
import resource
import select
import struct
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path

import anyio.to_thread

from services.documents import uploads

WIDTH = 1000  # pixels: readable at full width of the detail panel
MAX_SCALE = 3.0  # a small page (a receipt) is not blown up further than this
MAX_PIXELS = 4_000_000  # per drawn page: an A4 page at WIDTH is 1.4 MP; a long narrow page gets less width
MAX_SECONDS = 1.5  # per page, in the worker: an ordinary scanned page takes 20 to 150 ms
CHECK_SECONDS = 1.5  # per uploaded PDF: pypdf walks a 100-page scan's tree in well under 0.1 s
TOO_SLOW = "too slow"
STARTUP_SECONDS = 10.0  # the worker's own start (Python and PDFium loading), not counted in MAX_SECONDS
MEMORY_LIMIT = 1 << 30  # the worker's address space: a 600 dpi scan's page image decodes to ~100 MB
MM = 72 / 25.4  # points per millimetre
MIN_SIDE_PT = 1 * MM
MAX_SIDE_PT = 1189 * MM  # A0's long side, 3370 points
_ROOT = Path(__file__).resolve().parents[2]
_SLOW_KEPT = 256
_HEADER = struct.Struct(">II")  # the worker's answer: status (0: PNG follows, 1: reason follows), length


class PageError(Exception):
    pass


def page_size_ok(width: float, height: float) -> bool:
    """The one rule for a sane page: each side (in points, 1/72 inch) between 1 mm and 1189 mm (A0)."""
    return all(math.isfinite(side) and MIN_SIDE_PT <= side <= MAX_SIDE_PT for side in (width, height))


def physical_size(page) -> tuple[float, float]:
    """A pypdf page's width and height in points: its media box (the largest of its boxes: viewers clip the others
    to it) times its UserUnit where that is above 1. Never smaller than the size PDFium draws (the crop box, which
    it clips to the media box, without UserUnit)."""
    box, unit = page.mediabox, max(1.0, float(page.user_unit))
    return abs(float(box.width)) * unit, abs(float(box.height)) * unit


def scale_for(width: float, height: float) -> float:
    """The scale a page of width×height points is drawn at: WIDTH pixels wide, at most MAX_SCALE, and within
    MAX_PIXELS."""
    return min(MAX_SCALE, WIDTH / width, math.sqrt(MAX_PIXELS / (width * height)))


class _Worker:
    """The PDFium process of this server process; used under `lock`, one page at a time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.owner = os.getpid()  # a forked server process starts a worker of its own, never shares this one
        self.slow: OrderedDict[str, None] = OrderedDict()  # files that ran out of time, most recent last

    def draw(self, path: Path, index: int) -> bytes:
        key = str(path)
        if key in self.slow:
            raise PageError("too slow to draw")
        return self.call(f"draw\t{index}\t{key}", b"", MAX_SECONDS, slow_key=key)

    def call(self, request: str, payload: bytes, seconds: float, slow_key: str | None = None) -> bytes:
        """One request to the worker (`op<TAB>args`, then `payload`): its answer, or PageError when it says no,
        runs out of `seconds` (the worker is killed) or dies."""
        with self.lock:
            if self.owner != os.getpid():
                self.proc, self.owner = None, os.getpid()
            if self.proc is None or self.proc.poll() is not None:
                self._start()
            try:
                self.proc.stdin.write(f"{request}\t{len(payload)}\n".encode() + payload)
                self.proc.stdin.flush()
                deadline = time.monotonic() + seconds
                status, length = _HEADER.unpack(self._read(_HEADER.size, deadline))
                answer = self._read(length, deadline)
            except TimeoutError:
                self.stop()
                if slow_key is not None:
                    self.slow[slow_key] = None
                    while len(self.slow) > _SLOW_KEPT:
                        self.slow.popitem(last=False)
                raise PageError(TOO_SLOW) from None
            except (OSError, EOFError, struct.error):  # the worker died (out of memory, a crash in PDFium)
                self.stop()
                raise PageError("the worker stopped") from None
            except BaseException:  # anything else leaves the pipe in an unknown state: never reuse it
                self.stop()
                raise
        if status:
            raise PageError(answer.decode(errors="replace"))
        return answer

    def _start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", __name__], cwd=_ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            if self._read(1, time.monotonic() + STARTUP_SECONDS) != b"R":
                raise EOFError
        except (OSError, EOFError, TimeoutError):
            self.stop()
            raise PageError("the worker did not start") from None

    def _read(self, n: int, deadline: float) -> bytes:
        fd, data = self.proc.stdout.fileno(), b""
        # poll, not select: select() refuses a descriptor above 1023, which a busy server process has.
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        while len(data) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                raise TimeoutError
            chunk = os.read(fd, min(n - len(data), 1 << 20))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def stop(self) -> None:
        if self.proc is not None and self.owner == os.getpid():
            self.proc.kill()
            self.proc.wait()
            for pipe in (self.proc.stdin, self.proc.stdout):
                pipe.close()
        self.proc = None


_worker = _Worker()
atexit.register(_worker.stop)


def stop_worker() -> None:
    """End this process's PDFium worker, if it runs (for the app's shutdown; it also ends at exit)."""
    with _worker.lock:
        _worker.stop()


def check_pdf(data: bytes) -> int:
    """The page count of an uploaded PDF, checked in the worker (services.registration.materials.pdf_pages, with
    pypdf) within CHECK_SECONDS; PageError with the Chinese reason it was refused for, or TOO_SLOW. A few
    kilobytes of PDF can keep pypdf busy for seconds (a 10 MB hex string in a page dictionary: 7.8 s, 200,000
    chained xref sections: 4 s); here that costs CHECK_SECONDS at most, and the server's thread nothing. Sync."""
    return int(_worker.call("check", data, CHECK_SECONDS))


def render_page(path: Path, index: int) -> bytes:
    """Page `index` (from 0) as PNG, drawn by the worker process; PageError when the file has no such page, cannot
    be read, has a page of no sane size, or is not drawn within MAX_SECONDS. Sync: blocks its thread."""
    return _worker.draw(Path(path), index)


async def page_of_upload(upload_dir, name: str, number: int) -> bytes | None:
    """Page `number` (from 1) of the stored PDF `name` as PNG, drawn off the event loop; None when `name` is
    not a PDF, is missing or unreadable, has no such page, or the page cannot be drawn within the budgets."""
    if not name.endswith(".pdf"):
        return None
    try:
        return await anyio.to_thread.run_sync(render_page, uploads.path_of(upload_dir, name), number - 1)
    except (uploads.UploadError, PageError, OSError):
        return None


# ---------------------------------------------------------------------- the worker process


def _draw(path: Path, index: int) -> bytes:
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        raise PageError(str(e)) from None
    try:
        if not 0 <= index < len(doc):
            raise PageError("no such page")
        page = doc[index]
        width, height = page.get_size()
        if not page_size_ok(width, height):
            raise PageError(f"page of {width:g}×{height:g} points")
        image = page.render(scale=scale_for(width, height)).to_pil()
    finally:
        doc.close()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _answer(op: str, args: list[str], payload: bytes) -> bytes:
    if op == "draw":
        index, path = args
        return _draw(Path(path), int(index))
    if op == "check":
        from services.registration import materials

        return str(materials.pdf_pages(payload)).encode()
    raise PageError(f"unknown request {op!r}")


def _serve() -> None:
    """Read `op<TAB>args...<TAB>payload length` lines, each followed by its payload; answer each with a header
    and the result or the reason. Ends at end of input (the server process closed the pipe or exited)."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    import pypdfium2  # noqa: F401 - loaded before "ready": the first page's MAX_SECONDS is for drawing only

    out = sys.stdout.buffer
    out.write(b"R")
    out.flush()
    source = sys.stdin.buffer
    for line in source:
        op, *args, size = line.decode().rstrip("\n").split("\t")
        payload = source.read(int(size)) if int(size) else b""
        try:
            status, data = 0, _answer(op, args, payload)
        except Exception as e:  # noqa: BLE001 - whatever PDFium, pypdf or a hostile file raises: "not done"
            status, data = 1, (str(e) or type(e).__name__).encode()
        out.write(_HEADER.pack(status, len(data)) + data)
        out.flush()


if __name__ == "__main__":
    _serve()
