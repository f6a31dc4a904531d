"""The dashboard's JSON API: the analytics figures with their filters (date range: who
bought in it; channel: who holds an identity on it), the lead list by score, roles, and
the session cookie the /staff/ page signs in with (HttpOnly, SameSite=Strict, reads
only, revoked with the staff user's token)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from analytics.refit import refit_customers
from bot.api.staff_sessions import COOKIE
from bot.app import create_app
from bot.settings import DatabaseSettings, Settings
from crm_store.base import utcnow
from crm_store.models import Customer, Identity, Lead, LeadScore, Order, StaffUser
from crm_store.staff import create_staff
from tests.support.fakes import ScriptedDialogue

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration


@dataclass(frozen=True)
class Shop:
    client: TestClient
    tokens: dict[str, str]
    staff_ids: dict[str, int]
    leads: dict[str, int]
    today: date

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


# name -> (channels, order ages in days, cents per order)
BUYERS = {
    "Ann": (("web",), (10,), 100_00),
    "Bob": (("sms",), (400, 300), 50_00),
    "Cy": (("email", "web"), (5, 40, 70), 20_00),
    "Di": (("email",), (), 0),
}


@pytest.fixture
def shop(tmp_path: Path, database_url: str) -> Iterator[Shop]:
    settings = Settings(
        data_dir=tmp_path / "var", database=DatabaseSettings(url=database_url, auto_migrate=True)
    )
    now = utcnow()
    with TestClient(create_app(settings, dialogue=ScriptedDialogue())) as client:
        database = client.app.state.services.database  # type: ignore[attr-defined]
        tokens, staff_ids, leads = {}, {}, {}
        with database.transaction() as session:
            for role in ("agent", "sales", "admin"):
                record, tokens[role] = create_staff(
                    session, name=role.title(), email=f"{role}@acme.test", role=role
                )
                staff_ids[role] = record.id
            other, _ = create_staff(session, name="Sal", email="sal@acme.test", role="sales")
            staff_ids["other sales"] = other.id
            for name, (channels, ages, cents) in BUYERS.items():
                customer = Customer(name=name, email=f"{name.lower()}@example.com", attributes={})
                session.add(customer)
                session.flush()
                for channel in channels:
                    session.add(
                        Identity(
                            customer_id=customer.id,
                            channel=channel,
                            address=f"{name}-{channel}@example.com",
                        )
                    )
                for index, age in enumerate(ages):
                    session.add(
                        Order(
                            number=f"{name}{index}",
                            customer_id=customer.id,
                            total_cents=cents,
                            items=[],
                            placed_at=now - timedelta(days=age),
                        )
                    )
                # Open leads with known scores (the model is tested in tests/analytics),
                # one closed lead, which the lists leave out.
                owner = staff_ids["sales"] if name in ("Ann", "Cy", "Di") else other.id
                lead = Lead(
                    customer_id=customer.id,
                    status="new",
                    owner_staff_id=owner,
                    source_channel=channels[0],
                    company=f"{name} Ltd",
                    created_at=now - timedelta(days=3),
                )
                session.add(lead)
                session.flush()
                leads[name] = lead.id
            session.add(
                Lead(
                    customer_id=customer.id,
                    status="won",
                    owner_staff_id=staff_ids["sales"],
                    source_channel="web",
                    created_at=now - timedelta(days=90),
                )
            )
            for name, probability in (("Ann", 0.3), ("Bob", 0.8), ("Cy", 0.6)):
                session.add(
                    LeadScore(
                        lead_id=leads[name],
                        probability=probability,
                        factors=[{"field": "source_channel", "value": "web", "odds_ratio": 2.0}],
                        scored_at=now,
                    )
                )
        refit_customers(database, now=now)
        yield Shop(client, tokens, staff_ids, leads, now.date())


def _get(shop: Shop, path: str, role: str = "sales", **params: str) -> dict:
    answer = shop.client.get(path, params=params, headers=shop.bearer(role))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_rfm_grid_and_segments_count_the_customers_the_filters_pick(shop: Shop) -> None:
    everyone = _get(shop, "/api/v1/analytics/rfm")
    assert everyone["computed_at"] is not None
    assert len(everyone["cells"]) == 25
    assert sum(c["customers"] for c in everyone["cells"]) == 3  # Di never bought
    assert sum(c["spend_cents"] for c in everyone["cells"]) == 100_00 + 2 * 50_00 + 3 * 20_00
    # The amounts' currency: the purchases' (all in USD here), named with the figures.
    assert everyone["currencies"] == ["USD"]

    last_month = {
        "from": (shop.today - timedelta(days=30)).isoformat(),
        "to": shop.today.isoformat(),
    }
    recent = _get(shop, "/api/v1/analytics/rfm", **last_month)
    assert recent["range"] == {**last_month, "channel": None}
    assert sum(c["customers"] for c in recent["cells"]) == 2  # Ann and Cy bought in it
    assert sum(c["spend_cents"] for c in recent["cells"]) == 100_00 + 3 * 20_00

    by_sms = _get(shop, "/api/v1/analytics/rfm", channel="sms")
    assert sum(c["customers"] for c in by_sms["cells"]) == 1  # Bob
    web_recent = _get(shop, "/api/v1/analytics/segments", channel="web", **last_month)
    assert sum(s["customers"] for s in web_recent["segments"]) <= 2
    assert [s["segment"] for s in web_recent["segments"]] == [
        "champions",
        "new",
        "at_risk",
        "hibernating",
    ]
    # Labelled with what it measures, beside the stages that share its words.
    meanings = {s["segment"]: s["meaning"] for s in web_recent["segments"]}
    assert meanings["at_risk"] == "used to buy often (F 3+), silent past the at-risk threshold"
    nobody = _get(shop, "/api/v1/analytics/rfm", channel="sms", **last_month)
    assert sum(c["customers"] for c in nobody["cells"]) == 0


def test_lifetime_value_is_empty_without_a_fit_and_says_so(shop: Shop) -> None:
    # Three buyers are too few to fit the models (analytics/README.md): nothing to draw.
    value = _get(shop, "/api/v1/analytics/lifetime-value")
    assert value["customers"] == 0 and value["buckets"] == [] and value["median_cents"] is None


def test_leads_come_best_first_with_owners_and_factors(shop: Shop) -> None:
    scored = _get(shop, "/api/v1/analytics/lead-scores")
    assert [lead["lead_id"] for lead in scored["leads"]] == [
        shop.leads[name] for name in ("Bob", "Cy", "Ann", "Di")
    ]
    assert scored["leads"][0]["probability"] == 0.8
    assert scored["leads"][0]["factors"][0]["field"] == "source_channel"
    assert scored["leads"][-1]["probability"] is None  # not scored yet: last
    owners = {o["owner"]["id"]: o for o in scored["owners"]}
    mine = owners[shop.staff_ids["sales"]]
    assert (mine["leads"], mine["scored"], mine["expected_wins"]) == (3, 2, 0.9)
    assert mine["mean_probability"] == 0.45
    assert owners[shop.staff_ids["other sales"]]["expected_wins"] == 0.8
    assert scored["leads_total"] == 4
    first_two = _get(shop, "/api/v1/analytics/lead-scores", limit="2")
    assert [lead["lead_id"] for lead in first_two["leads"]] == [shop.leads["Bob"], shop.leads["Cy"]]
    assert first_two["leads_total"] == 4 and first_two["owners"] == scored["owners"]

    mine_only = _get(shop, "/api/v1/leads", owner="me")
    assert [lead["lead_id"] for lead in mine_only["leads"]] == [
        shop.leads[name] for name in ("Cy", "Ann", "Di")
    ]
    assert mine_only["total"] == 3
    by_id = _get(shop, "/api/v1/leads", owner=str(shop.staff_ids["other sales"]), limit="1")
    assert [lead["lead_id"] for lead in by_id["leads"]] == [shop.leads["Bob"]]
    by_sms = _get(shop, "/api/v1/leads", channel="sms")
    assert [lead["lead_id"] for lead in by_sms["leads"]] == [shop.leads["Bob"]]
    # An id past the store's largest was a 500 from the database; "someone" is no id.
    for owner in ("9999999999999999999", "someone"):
        refused = shop.client.get(
            "/api/v1/leads", params={"owner": owner}, headers=shop.bearer("sales")
        )
        assert refused.status_code == 422, owner
        assert refused.json()["error"].startswith("query.owner: "), owner
    # Python's own words ("invalid literal for int() with base 10") were the reason.
    refused = shop.client.get(
        "/api/v1/leads", params={"owner": "someone"}, headers=shop.bearer("sales")
    )
    assert refused.json()["error"] == "query.owner: give a staff id or me, not 'someone'"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/analytics/rfm",
        "/api/v1/analytics/lifetime-value",
        "/api/v1/analytics/segments",
        "/api/v1/analytics/lead-scores",
        "/api/v1/leads",
    ],
)
def test_figures_are_for_sales_and_admins_and_refuse_bad_filters(shop: Shop, path: str) -> None:
    assert shop.client.get(path, headers=shop.bearer("admin")).status_code == 200
    assert shop.client.get(path, headers=shop.bearer("agent")).status_code == 403
    assert shop.client.get(path).status_code == 401
    for params in (
        {"from": "2026-05-01", "to": "2026-04-01"},
        {"from": "yesterday"},
        {"channel": "fax"},
    ):
        refused = shop.client.get(path, params=params, headers=shop.bearer("sales"))
        assert refused.status_code == 422, params
        assert refused.json()["error"]


def test_signing_in_sets_a_strict_http_only_cookie_that_only_reads(shop: Shop) -> None:
    refused = shop.client.post("/api/v1/staff-session", json={"token": "sbs_nothing"})
    assert refused.status_code == 401
    assert COOKIE not in refused.headers.get("set-cookie", "")

    signed_in = shop.client.post("/api/v1/staff-session", json={"token": shop.tokens["sales"]})
    assert signed_in.status_code == 200
    assert signed_in.json()["role"] == "sales"
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; over https it is (next test)
    assert shop.tokens["sales"] not in cookie

    # The cookie alone (no bearer token) reads the dashboard's API...
    assert shop.client.get("/api/v1/staff-session").json()["name"] == "Sales"
    assert shop.client.get("/api/v1/analytics/rfm").status_code == 200
    # ...and changes nothing: state changes still need the token.
    assert shop.client.post("/api/v1/handoffs/1/claim").status_code == 401

    assert shop.client.delete("/api/v1/staff-session").status_code == 204
    assert shop.client.get("/api/v1/analytics/rfm").status_code == 401


def test_the_shop_role_is_refused_at_sign_in_with_the_reason(shop: Shop) -> None:
    database = shop.client.app.state.services.database  # type: ignore[attr-defined]
    with database.transaction() as session:
        _, token = create_staff(session, name="Shop", email="shop@acme.test", role="shop")
    refused = shop.client.post("/api/v1/staff-session", json={"token": token})
    assert refused.status_code == 403
    assert "can only record orders" in refused.json()["error"]
    assert COOKIE not in refused.headers.get("set-cookie", "")
    assert shop.client.get("/api/v1/staff-session").status_code == 204


def test_asking_who_is_signed_in_without_a_session_is_no_error(shop: Shop) -> None:
    """The dashboard asks on every load: nobody signed in is 204 (no failed request in
    the browser's console); a credential that fails is still refused with its reason."""
    nobody = shop.client.get("/api/v1/staff-session")
    assert (nobody.status_code, nobody.content) == (204, b"")
    bearer = shop.client.get("/api/v1/staff-session", headers=shop.bearer("agent"))
    assert bearer.json()["role"] == "agent"
    wrong = shop.client.get("/api/v1/staff-session", headers={"Authorization": "Bearer sbs_no"})
    assert wrong.status_code == 401
    shop.client.cookies.set(COOKIE, "forged")
    forged = shop.client.get("/api/v1/staff-session")
    assert forged.status_code == 401 and "sign in again" in forged.json()["error"]


def test_the_cookie_is_secure_over_https(shop: Shop) -> None:
    signed_in = shop.client.post(
        "https://testserver/api/v1/staff-session", json={"token": shop.tokens["admin"]}
    )
    assert signed_in.status_code == 200
    assert "Secure" in signed_in.headers["set-cookie"]


def test_a_session_ends_with_its_token_or_its_user_and_cannot_be_forged(shop: Shop) -> None:
    client = shop.client
    assert client.post("/api/v1/staff-session", json={"token": shop.tokens["sales"]}).is_success
    cookie = client.cookies[COOKIE]
    client.cookies.clear()
    database = client.app.state.services.database  # type: ignore[attr-defined]

    client.cookies.set(COOKIE, cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1])
    assert client.get("/api/v1/analytics/rfm").status_code == 401  # tampered

    client.cookies.clear()
    client.cookies.set(COOKIE, cookie)
    assert client.get("/api/v1/analytics/rfm").status_code == 200
    with database.transaction() as session:  # a new token for the user: old sessions end
        session.execute(
            update(StaffUser)
            .where(StaffUser.id == shop.staff_ids["sales"])
            .values(api_token_hash="0" * 64)
        )
    refused = client.get("/api/v1/analytics/rfm")
    assert refused.status_code == 401
    assert "sign in again" in refused.json()["error"]

    client.cookies.clear()
    assert client.post("/api/v1/staff-session", json={"token": shop.tokens["admin"]}).is_success
    assert client.get("/api/v1/analytics/rfm").status_code == 200
    with database.transaction() as session:  # deactivated
        session.execute(
            update(StaffUser).where(StaffUser.id == shop.staff_ids["admin"]).values(active=False)
        )
    assert client.get("/api/v1/analytics/rfm").status_code == 401


def test_an_agents_session_reads_handoffs_not_sales_figures(shop: Shop) -> None:
    client = shop.client
    assert client.post("/api/v1/staff-session", json={"token": shop.tokens["agent"]}).is_success
    assert client.get("/api/v1/handoffs", params={"state": "waiting"}).json()["handoffs"] == []
    assert client.get("/api/v1/analytics/segments").status_code == 403


def test_the_staff_page_and_its_files_are_served_with_a_strict_policy(shop: Shop) -> None:
    page = shop.client.get("/staff/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    assert "<script>" not in page.text  # no inline script
    for asset in ("staff.js", "staff.css", "plotly.min.js"):
        served = shop.client.get(f"/staff/assets/{asset}")
        assert served.status_code == 200 and len(served.content) > 1000, asset
    assert "plotly.js" in shop.client.get("/staff/assets/plotly.min.js").text[:500]
    assert shop.client.get("/staff/assets/other.js").status_code == 404
    assert shop.client.get("/staff", follow_redirects=False).headers["location"] == "/staff/"
