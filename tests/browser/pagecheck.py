"""The page check of the journeys past 报名成功 (准考证, 成绩, 成绩滚动): axe-core (WCAG 2.0/2.1/2.2 A and AA) at 1366
and 375 px, and at 375 px the page no wider than the screen and its buttons big enough to tap (links inside a
sentence aside, as tests/browser/test_layout.py measures the main journey). A helper module, not a test module:
the journeys import it (test modules import no other test module, tests/unit/test_architecture.py)."""
from __future__ import annotations

import os
from pathlib import Path

AXE = Path(__file__).with_name("vendor") / "axe-4.14.1.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return r.violations.map(v => v.id + " (" + v.impact + "): " + v.nodes.map(n => n.target.join(" ")).slice(0, 4).join(" | "));
}"""
MEASURE = """() => {
  const small = [];
  for (const el of document.querySelectorAll("main button, main a[href].btn, main summary")) {
    const r = el.getBoundingClientRect();
    if (r.width && (r.width < 43.5 || r.height < 43.5)) small.push(el.id || el.textContent.trim());
  }
  return {width: document.documentElement.scrollWidth, viewport: window.innerWidth, small};
}"""


def check_page(page, state: str, found: list[str], shots: str = "page") -> None:
    """axe at both widths, the page no wider than a phone and its buttons big enough to tap there; what is wrong is
    added to `found`. With LAYOUT_SCREENSHOTS set, a full-page screenshot at 375 px named `shots`-`state`."""
    page.wait_for_load_state("load")
    for width, height in ((1366, 900), (375, 812)):
        page.set_viewport_size({"width": width, "height": height})
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(AXE.read_text())
        found += [f"{state} @{width}px: {v}" for v in page.evaluate(RUN, TAGS)]
        if width == 375:
            m = page.evaluate(MEASURE)
            if m["width"] > m["viewport"]:
                found.append(f"{state} @375px: the page is {m['width']} px wide")
            found += [f"{state} @375px: tap target {s}" for s in m["small"]]
            if os.environ.get("LAYOUT_SCREENSHOTS"):
                Path(os.environ["LAYOUT_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{os.environ['LAYOUT_SCREENSHOTS']}/{shots}-{state}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
