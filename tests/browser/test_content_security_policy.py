"""The pages work under their Content-Security-Policy: Chromium reports no violation.

Every page of the URL map without parameters, every page keyed by an organisation code,
the indicator page with its ECharts trend, a record set whose progress htmx polls, the
tree expanded through htmx and the API docs (Swagger UI) are opened as an administrator;
any "Content Security Policy" console message or page error fails the test.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from test_every_page_in_scope import CODE_PAGES, PLAIN_PAGES

from jiceng.indicators.models import IndicatorValue, RecordSet

pytestmark = pytest.mark.browser

DOWNLOADS = (".xlsx", ".zip", ".docx", ".pdf", ".csv", ".png")


class Violations:
    """Console messages and page errors of a page, kept for the assertion."""

    def __init__(self, page):
        self.seen: list[str] = []
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.seen.append(f"page error: {error}"))
        # The DOM event too: it names the directive and the blocked source.
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => console.error("
            "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI"
            " + ' ' + e.sourceFile + ':' + e.lineNumber));"
        )
        self.page = page

    def on_console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.seen.append(f"{self.page.url}: {message.text}")

    def visit(self, url: str):
        if self.page.request.head(url).status == 405:  # a form's target (POST only)
            return None
        response = self.page.goto(url)
        assert response.status < 500, f"{url}: {response.status}"  # 403 pages count too
        if not response.headers.get("content-type", "").startswith("text/html"):
            return response  # a file (the favicon, a static file): no page, no policy to keep
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, url
        self.page.wait_for_load_state("load")
        return response


@pytest.fixture
def indicator_values(personas):
    t = personas.tree
    rs = RecordSet.objects.create(
        name="CSP", node=t.A, status=RecordSet.Status.READY, loaded_at=timezone.now()
    )
    for period, num in [("2024", 50), ("2025", 60)]:
        IndicatorValue.objects.create(
            record_set=rs,
            org_code=t.TA1.code,
            node=t.TA1,
            period=period,
            indicator="htn_std_mgmt",
            numerator=Decimal(num),
            denominator=Decimal(100),
            value=num / 100,
            definition_version="2025.1",
        )
    loading = RecordSet.objects.create(
        name="CSP loading", node=t.A, status=RecordSet.Status.LOADING, loaded_at=timezone.now()
    )
    loading.progress = {"task": "load", "stage": "检查 residents", "percent": 42, "done": False}
    loading.save()
    return loading


def test_no_page_breaks_its_content_security_policy(personas, indicator_values, new_page, login):
    t = personas.tree
    page = new_page()
    violations = Violations(page)
    violations.visit("/accounts/login/")
    login(page, "admin_a")

    for url in PLAIN_PAGES:
        if not url.endswith(DOWNLOADS):
            violations.visit(url)
    for pattern in CODE_PAGES:
        if not pattern.endswith(DOWNLOADS):
            violations.visit(pattern.replace("<str:code>", t.A.code))

    # ECharts draws the trend.
    violations.visit(f"/indicators/node/{t.TA1.code}/?period=2025")
    page.wait_for_selector("#trend-chart canvas")
    page.hover("#trend-chart canvas")  # the tooltip is styled through the CSSOM

    # htmx polls the progress and swaps it in; then the load ends and polling stops.
    violations.visit(f"/indicators/recordsets/{indicator_values.pk}/")
    assert page.locator("#recordset-status progress").get_attribute("value") == "42"
    indicator_values.status = RecordSet.Status.READY
    indicator_values.progress = {"task": "load", "stage": "导入完成", "percent": 100, "done": True}
    indicator_values.save()
    page.wait_for_selector("#recordset-status[data-running='0']", timeout=5000)

    # htmx fetches the units below a node of the tree when it is opened.
    violations.visit("/orgs/")
    more = page.locator(".org-more[hx-get]").first
    if more.count():
        more.locator("xpath=ancestor::details[1]/summary").click()
        page.wait_for_load_state("networkidle")

    # Swagger UI renders the API.
    violations.visit("/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)

    assert not violations.seen, "\n".join(violations.seen)
