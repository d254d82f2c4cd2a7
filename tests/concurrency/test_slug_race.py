"""Two creations of one slug at the same moment: one 201 and one 409, never a 500.

The requests run concurrently through the app in this event loop; on PostgreSQL each has
its own connection and transaction, so only the database's unique index keeps them apart
(on SQLite write transactions take turns, and the answer must be the same).
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from hub_booking.db.tables import Association, Hub, Region

ROUNDS = 5


def hub_body(slug: str, region: str) -> dict:
    return {"slug": slug, "name_fr": "Pôle", "timezone": "Africa/Casablanca", "region": region}


async def race(client, cast, url: str, bodies: list[dict]) -> Counter[int]:
    answers = await asyncio.gather(
        *(client.post(url, json=body, headers=cast.auth("admin")) for body in bodies)
    )
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["extra"]["field"] == "slug"
    return Counter(answer.status_code for answer in answers)


@pytest.mark.parametrize("racers", [2, 3])
@pytest.mark.parametrize("new_region", [False, True], ids=["known-region", "new-region"])
async def test_concurrent_hubs_with_one_slug_give_one_201_and_409s(
    client, cast, racers, new_region
):
    for n in range(ROUNDS):
        # In a new region, the requests also race to create the region.
        region = f"region-{n}" if new_region else "fes-meknes"
        bodies = [hub_body(f"race-{n}", region)] * racers
        assert await race(client, cast, "/api/v1/hubs", bodies) == {201: 1, 409: racers - 1}
        assert await Hub.count().where(Hub.slug == f"race-{n}") == 1
        assert await Region.count().where(Region.slug == region) == 1


async def test_concurrent_associations_with_one_slug_give_one_201_and_one_409(client, cast):
    for n in range(ROUNDS):
        body = {"slug": f"race-{n}", "name_fr": "Association", "region": "fes-meknes"}
        assert await race(client, cast, "/api/v1/associations", [body, body]) == {201: 1, 409: 1}
        assert await Association.count().where(Association.slug == f"race-{n}") == 1


async def test_concurrent_hubs_in_one_new_region_share_it(client, cast):
    bodies = [hub_body(f"twin-{n}", "souss-massa") for n in range(3)]
    assert await race(client, cast, "/api/v1/hubs", bodies) == {201: 3}
    assert await Region.count().where(Region.slug == "souss-massa") == 1
