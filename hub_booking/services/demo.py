"""Demo data: a believable Fès-Meknès hub. Idempotent: run it twice, nothing new appears."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub_booking.db import associations as association_rows
from hub_booking.db import catalogue
from hub_booking.db.associations import NewAssociation
from hub_booking.db.catalogue import NewHub, NewResource
from hub_booking.db.engine import transaction
from hub_booking.domain.model import AssociationStatus, ResourceKind
from hub_booking.domain.rules import DEFAULT_OPENING_HOURS
from hub_booking.services import accounts

HUB: dict[str, Any] = {
    "slug": "fes-meknes",
    "name_fr": "Pôle de compétences Fès-Meknès",
    "name_ar": "قطب الكفاءات فاس-مكناس",
    "address": "Avenue Hassan II, Fès",
    "timezone": "Africa/Casablanca",
    "opening_hours": {**DEFAULT_OPENING_HOURS, "sun": []},
    "rules": {"min_minutes": 30, "min_notice_minutes": 60, "buffer_after_minutes": 15},
}
# (kind, name_fr, name_ar, capacity or quantity, requires_approval)
RESOURCES: list[tuple[str, str, str, int, bool]] = [
    ("space", "Salle de formation Atlas", "قاعة التكوين الأطلس", 40, False),
    ("space", "Salle de formation Zalagh", "قاعة التكوين زلاغ", 30, False),
    ("space", "Salle de formation Saïss", "قاعة التكوين سايس", 24, False),
    ("space", "Salle de formation Sebou", "قاعة التكوين سبو", 20, False),
    ("space", "Salle de réunion Ifrane", "قاعة الاجتماعات إفران", 12, False),
    ("space", "Salle de réunion Volubilis", "قاعة الاجتماعات وليلي", 8, False),
    ("space", "Espace coworking", "فضاء العمل المشترك", 16, False),
    ("space", "Grande salle polyvalente", "القاعة الكبرى متعددة الاستعمالات", 120, True),
    ("equipment", "Vidéoprojecteur", "جهاز العرض", 3, False),
    ("equipment", "Ordinateur portable", "حاسوب محمول", 15, False),
    ("equipment", "Sonorisation", "نظام الصوت", 1, True),
    ("equipment", "Caméra vidéo", "كاميرا فيديو", 2, True),
    ("equipment", "Appareil photo", "آلة تصوير", 2, False),
    ("equipment", "Tableau blanc mobile", "سبورة بيضاء متنقلة", 4, False),
    ("equipment", "Paperboard", "لوح ورقي", 5, False),
    ("equipment", "Micro sans fil", "ميكروفون لاسلكي", 6, False),
    ("equipment", "Écran de projection", "شاشة العرض", 3, False),
    ("equipment", "Imprimante", "طابعة", 1, False),
]
THEMES = [
    ("Femmes et développement", "المرأة والتنمية"),
    ("Jeunesse citoyenne", "الشباب المواطن"),
    ("Environnement et oasis", "البيئة والواحات"),
    ("Alphabétisation", "محو الأمية"),
    ("Patrimoine et culture", "التراث والثقافة"),
    ("Handicap et inclusion", "الإعاقة والإدماج"),
    ("Développement rural", "التنمية القروية"),
    ("Santé de proximité", "صحة القرب"),
    ("Artisanat solidaire", "الصناعة التقليدية التضامنية"),
    ("Sport pour tous", "الرياضة للجميع"),
]
CITIES = [("Fès", "فاس"), ("Meknès", "مكناس"), ("Ifrane", "إفران")]
DEMO_PASSWORD = "demo-password-2026"
ADMIN = "admin@demo.hub-booking.ma"
MANAGER = "manager@demo.hub-booking.ma"


def associations() -> list[dict[str, str]]:
    """Thirty associations: each theme in each of three cities."""
    found = []
    for city_fr, city_ar in CITIES:
        for index, (theme_fr, theme_ar) in enumerate(THEMES, start=1):
            slug = f"assoc-{city_fr.lower().replace('è', 'e')}-{index:02d}"
            found.append(
                {
                    "slug": slug,
                    "name_fr": f"Association {theme_fr} – {city_fr}",
                    "name_ar": f"جمعية {theme_ar} – {city_ar}",
                }
            )
    return found


async def seed(now: datetime) -> list[str]:
    """Create what is missing of the demo hub; returns the lines to print (the logins)."""
    async with transaction():
        region = await catalogue.region_id("fes-meknes")
        hub = await catalogue.ensure_hub(NewHub(**HUB, region_id=region), now)
        for kind, name_fr, name_ar, amount, approval in RESOURCES:
            await catalogue.ensure_resource(
                _resource(hub, kind, name_fr, name_ar, amount, approval), now
            )
        for data in associations():
            new = NewAssociation(**data, region_id=region, status=AssociationStatus.ACTIVE)
            await association_rows.insert_association(new, now)  # kept when the slug exists
    await accounts.save_user(ADMIN, DEMO_PASSWORD, now, name="Admin démo", platform_admin=True)
    await accounts.save_user(
        MANAGER, DEMO_PASSWORD, now, name="Samira El Idrissi", hub_slug="fes-meknes"
    )
    logins = [(ADMIN, "platform admin"), (MANAGER, "manager of fes-meknes")]
    for index, data in enumerate(associations()[:3], start=1):
        rep = f"rep{index}@demo.hub-booking.ma"
        member = f"member{index}@demo.hub-booking.ma"
        await accounts.save_user(
            rep, DEMO_PASSWORD, now, association_slug=data["slug"], representative=True
        )
        await accounts.save_user(member, DEMO_PASSWORD, now, association_slug=data["slug"])
        logins += [
            (rep, f"representative of {data['slug']}"),
            (member, f"member of {data['slug']}"),
        ]
    lines = [
        "Demo data ready: hub fes-meknes, 18 resources, 30 associations.",
        f"Password for every demo login: {DEMO_PASSWORD}",
    ]
    return lines + [f"  {email:<32} {role}" for email, role in logins]


def _resource(
    hub: int, kind: str, name_fr: str, name_ar: str, amount: int, approval: bool
) -> NewResource:
    space = kind == ResourceKind.SPACE
    return NewResource(
        hub_id=hub,
        kind=ResourceKind(kind),
        name_fr=name_fr,
        name_ar=name_ar,
        description="",
        capacity=amount if space else None,
        quantity=1 if space else amount,
        requires_approval=approval,
        rules={},
    )
