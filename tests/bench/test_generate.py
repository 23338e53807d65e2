"""The benchmark's data generator: a tiny national consortium that every main page can show."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from bench import generate
from portal import create_app
from portal.clock import FrozenClock

PAGES = {
    "officer": ["/authority/referrals", "/authority/referrals/{referral_with_bids}/bids"],
    "provider": ["/provider/referrals", "/provider/"],
    "evaluator": ["/evaluation/", "/evaluation/windows/{tier_window}/tiers"],
    "administrator": ["/admin/audit", "/admin/outbox", "/admin/analytics"],
    "contract_manager": ["/authority/contracts"],
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    url = f"sqlite:///{folder / 'bench.sqlite'}"
    generate.main(["--scale", "0.001", "--database-url", url, "--manifest", str(folder / "manifest.json")])
    return json.loads((folder / "manifest.json").read_text()), url


@pytest.fixture(scope="module")
def portal(generated):
    manifest, url = generated
    now = datetime.fromisoformat(manifest["now"]).astimezone(UTC).replace(tzinfo=None)
    app = create_app("testing", clock=FrozenClock(now), overrides={
        "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "PORTAL_BASE_URL": "http://portal.test"})
    return app


@pytest.mark.parametrize("role", PAGES)
def test_each_roles_main_pages_answer_as_the_manifests_user(generated, portal, role):
    manifest, _url = generated
    client = portal.test_client()
    with portal.app_context():
        signed_in = client.post("/sign-in", data={"email": manifest["users"][role],
                                                  "password": manifest["password"]})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    for page in PAGES[role]:
        with portal.app_context():
            response = client.get(page.format(**manifest["ids"]))
        assert response.status_code == 200, (page, response.status_code)


def test_the_counts_are_those_in_the_database(generated):
    manifest, url = generated
    engine = create_engine(url)
    with engine.connect() as connection:
        for table in ("referral", "bid", "bid_invitation", "bid_receipt", "bid_assessment", "placement", "child"):
            assert connection.scalar(text(f"SELECT count(*) FROM {table}")) == manifest["counts"][table]
        authorities = connection.scalar(text("SELECT count(*) FROM organisation WHERE kind = 'authority'"))
        due = connection.scalar(text("SELECT count(*) FROM referral_round WHERE closed_at IS NULL "
                                     "AND deadline < :now"), {"now": "2026-11-02 10:00:00"})
        many_bids = connection.scalar(text("SELECT count(*) FROM bid WHERE referral_id = :id"),
                                      {"id": manifest["ids"]["referral_with_bids"]})
    engine.dispose()
    assert authorities == manifest["counts"]["authorities"] == manifest["plan"]["authorities"]
    assert manifest["counts"]["referrals"] >= manifest["plan"]["referrals"]
    assert due >= manifest["plan"]["due_rounds"]
    assert many_bids >= 5


def test_the_draft_for_the_publishing_job_is_ready_to_publish(generated, portal):
    from portal.extensions import db
    from portal.models import Referral
    from portal.services.referrals import drafting

    manifest, _url = generated
    with portal.app_context():
        referral = db.session.get(Referral, manifest["ids"]["job_publish_referral"])
        assert referral.published_at is None
        assert drafting.still_to_do(referral) == {}
