"""static/ from memory under versioned URLs (issue 12, 13): a page's CSS and JavaScript are cached for a year
under the hash of their content, so a deploy never serves stale files; other requests revalidate."""
import re

from tests.factories import candidate


async def test_pages_link_versioned_files_cached_for_a_year(client):
    page = await client.get("/login")
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert {link.split("?")[0] for link in links} >= {"/static/css/app.css", "/static/js/app.js"}
    for link in links:
        assert re.fullmatch(r"/static/[\w./-]+\?v=[0-9a-f]{12}", link)
        r = await client.get(link)
        assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.headers["etag"] == f'"{link.split("=")[1]}"'
    css = await client.get(next(link for link in links if "app.css" in link))
    assert css.headers["content-type"] == "text/css; charset=utf-8" and "body" in css.text


async def test_the_fonts_a_stylesheet_names_are_versioned_in_it(client):
    page = await client.get("/register")
    css = await client.get(re.search(r'href="(/static/css/rarechars.css\?v=\w+)"', page.text).group(1))
    fonts = re.findall(r"url\((/static/fonts/[^)]+)\)", css.text)
    assert fonts and all(re.fullmatch(r"/static/fonts/rarehan-\d+\.woff2\?v=[0-9a-f]{12}", f) for f in fonts)
    font = await client.get(fonts[0])
    assert font.headers["content-type"] == "font/woff2" and font.content[:4] == b"wOF2"


async def test_an_old_or_unversioned_url_revalidates(client):
    r = await client.get("/static/js/app.js?v=000000000000")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-cache"
    again = await client.get("/static/js/app.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


async def test_a_missing_file_or_another_method_is_the_chinese_page(client):
    r = await client.get("/static/css/nothing.css")
    assert r.status_code == 404 and "页面不存在" in r.text
    assert (await client.get("/static/../settings.py")).status_code == 404
    await candidate(client)
    r = await client.post("/static/css/app.css", headers={"X-CSRF-Token": "x"})
    assert r.status_code in (403, 405) and "<html" in r.text
