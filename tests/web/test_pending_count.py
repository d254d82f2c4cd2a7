"""The header's count of requests waiting: shown to managers, refreshed after a decision
(inline: htmx is told to ask for it again; a whole page: counted after the decision)."""

from __future__ import annotations

import re

from tests.conftest import NOW
from tests.factories import make_booking
from tests.web.sessions import HTML, csrf_of
from tests.web.test_manage_requests import QUEUE, fr_n, htmx, manager_page


def badge(html: str) -> str:
    return re.search(r'<span id="pending-count".*?</span>(?:</span>)?', html, re.S).group(0)


async def test_an_inline_decision_tells_the_header_to_count_again(client, cast):
    first, second = await make_booking(NOW, cast), await make_booking(NOW, cast)
    html = await manager_page(client, cast)
    assert fr_n("%(num)d request", "%(num)d requests", 2) in badge(html)
    response = await client.post(
        f"{QUEUE}/{first}/approve",
        data={"_csrf_token": csrf_of(html)},
        headers=htmx(f"request-{first}"),
    )
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "requests-decided"
    counted = await client.get("/manage/pending", headers=htmx("pending-count"))
    assert counted.status_code == 200
    assert counted.text.strip().startswith('<span id="pending-count"')
    assert fr_n("%(num)d request", "%(num)d requests", 1) in counted.text
    assert second  # still waiting


async def test_a_bulk_approval_page_counts_after_approving(client, cast):
    ids = [await make_booking(NOW, cast) for _ in range(2)]
    html = await manager_page(client, cast)
    response = await client.post(
        f"{QUEUE}/approve", data={"_csrf_token": csrf_of(html), "ids": [str(i) for i in ids]}
    )
    assert response.status_code == 200
    assert 'class="badge"' not in badge(response.text)  # nothing waits any more


async def test_members_are_counted_nothing(client, cast):
    response = await client.get("/manage/pending", headers={**HTML, **cast.auth("member_a")})
    assert response.status_code == 200
    assert "badge" not in response.text
    visitor = await client.get("/manage/pending", follow_redirects=False)
    assert visitor.status_code in (303, 401)
