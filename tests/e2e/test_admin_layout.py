"""Every admin page at 360 and 1280 px in Swedish and English: no page scrolls sideways, no
table is cut off at 1280 px, numbers are right-aligned on one line and text left-aligned, and
axe finds no WCAG 2.1 AA violation. The screenshots land in test-output/screenshots/admin/."""

from __future__ import annotations

import json
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from survey import accounts
from tests.e2e.conftest import SCREENSHOTS, LiveServer
from tests.factories import seed_report_data

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "correct horse battery staple"
PERIOD = "from=2026-03-16&to=2026-04-20"
PAGES = {
    "dashboard": f"/admin/?{PERIOD}&grain=week",
    "reports": f"/admin/reports?{PERIOD}&group_by=actor&group_by=channel",
    "kpis": f"/admin/kpis?{PERIOD}&group_by=channel",
    "fairness": f"/admin/fairness?{PERIOD}",
    "comments": "/admin/reports/comments?from=2026-03-16&to=2026-04-20",
    "units": f"/admin/units?{PERIOD}&grain=week",
    "unit-actor": f"/admin/units/actor-in-7?{PERIOD}&grain=week",
    "unit-team": f"/admin/units/actor-in-7/team-a?{PERIOD}&grain=week",
    "unit-agent": "/admin/units/actor-in-7/team-a/agent-1?from=2026-03-23&to=2026-03-30",
    "customers": "/admin/customers",
    "targets": "/admin/targets",
    "followups": "/admin/followups",
    "recipients": "/admin/recipients",
    "policy": "/admin/policy",
    "audit": "/admin/audit",
    "outbox": "/admin/outbox",
    "snapshots": "/admin/snapshots",
}

# Per page: whether the page scrolls sideways, tables cut off (a scrolling region wider than it
# shows), and cells whose alignment or wrapping does not fit their content. A cell is a number
# when it holds digits and signs only (dates and times included, as one value); such a cell is
# right-aligned on one line, any other cell left-aligned.
MEASURE = r"""
() => {
  const numeric = /^SIGN*\dSIGN*$/;
  const page = document.documentElement.scrollWidth > window.innerWidth + 1;
  const cut = [...document.querySelectorAll('.table-scroll')]
    .filter(r => r.scrollWidth > r.clientWidth + 1)
    .map(r => `${r.getAttribute('aria-label')} (${r.scrollWidth} > ${r.clientWidth} px)`);
  const cells = [];
  for (const td of document.querySelectorAll('table.data td')) {
    if (td.querySelector('form, button, input, a')) continue;
    // A flag's label and a muted note beside a figure are not the figure.
    const clone = td.cloneNode(true);
    clone.querySelectorAll('strong, .muted').forEach(e => e.remove());
    const text = clone.textContent.trim();
    if (!text || /^[-\u2013\u2014]$/.test(text)) continue;
    const style = getComputedStyle(td);
    const range = document.createRange();
    // A cell of figures with notes: the figure itself is the span that is not a note.
    range.selectNodeContents(td.querySelector(':scope > span:not(.muted)') || td);
    const tops = [...range.getClientRects()].map(r => Math.round(r.top));
    const lines = td.querySelector('br') ? 1 : new Set(tops).size;
    if (td.classList.contains('when')) {
      if (lines > 1 || style.textAlign === 'right') cells.push(`date ${text}: wraps or right`);
    } else if (numeric.test(text)) {
      if (style.textAlign !== 'right' || lines > 1)
        cells.push(`number ${text}: ${style.textAlign}, ${lines} lines`);
    } else if (style.textAlign === 'right') {
      cells.push(`text ${text.slice(0, 30)}: right`);
    }
  }
  return {page, cut, cells};
}
""".replace("SIGN", r"[\s\d.,:%/+\-\[\]()\u2013\u2212\u202f\u00a0\u2014T]")


def _seed(live_server: LiveServer) -> None:
    ctx = live_server.ctx
    with ctx.session() as session:
        seed_report_data(ctx, session, surveys=150)
        accounts.create_user(
            session, email="admin@example.se", password=PASSWORD, role="admin", who="test"
        )


def _log_in(page: Any, url: str, language: str) -> None:
    page.goto(f"{url}/admin/login")
    if language == "en":
        page.get_by_role("link", name="English").click()
    page.locator("input[name=email]").fill("admin@example.se")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    page.wait_for_url("**/admin/**")


@pytest.mark.slow
@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_admin_page_reads_at_360_and_1280_px(
    live_server: LiveServer, browser_page: Any, language: str
) -> None:
    _seed(live_server)
    page = browser_page
    folder = SCREENSHOTS / "admin"
    folder.mkdir(parents=True, exist_ok=True)
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    problems: dict[str, Any] = {}
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/admin/login")
        page.screenshot(path=str(folder / f"login-{language}-{width}.png"), full_page=True)
        _log_in(page, live_server.url, language)
        for name, path in PAGES.items():
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, (name, response)
            assert page.locator("html").get_attribute("lang") == language, name
            page.screenshot(path=str(folder / f"{name}-{language}-{width}.png"), full_page=True)
            found = page.evaluate(MEASURE)
            wrong = [
                *(["page scrolls sideways"] if found["page"] else []),
                *([f"cut off: {found['cut']}"] if found["cut"] and width == 1280 else []),
                *found["cells"][:5],
            ]
            result = Axe().run(page, options=options)
            if result.violations_count:
                wrong.append(result.generate_report())
            if wrong:
                problems[f"{name} {width}px"] = wrong
    print(json.dumps(problems, indent=1, ensure_ascii=False))
    assert not problems, sorted(problems)
