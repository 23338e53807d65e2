"""Standing's effects on the pages: the officer's bids page lists a bid set aside at the deadline with the reason
(and it is not offered for the award); the admin's register shows standing per DPS and filters by it, in a
constant number of statements."""

import html
import re
from datetime import timedelta

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import Bid, ProviderContract, Restriction
from portal.models.contract import SANCTION
from portal.services import awards, standing
from portal.services.referrals import rounds
from tests.factories import admit, build_dps, contract_of, published_referral
from tests.portal.test_query_counts import add_provider, assert_constant
from tests.portal.test_standing_effects import SCORES, past_deadline, send, suspend


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


@pytest.fixture
def set_aside(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_b, world.lots[0], clock=clock)
    referral = published_referral(world, clock, deadline=clock.now() + timedelta(days=3))
    send(world.provider_a, referral, clock)
    send(world.provider_b, referral, clock, "1000.00")
    suspend(world, world.provider_a, clock, reason="Public liability insurance expired")
    db.session.commit()
    past_deadline(clock, referral)
    rounds.run_due(clock.now())
    return referral


def test_the_officer_reads_a_set_aside_bid_with_its_reason(world, sign_in, clock, set_aside):
    client = sign_in(world.member_officer)
    page = text_of(client.get(url_for("buyer.referral_bids", referral_id=set_aside.id)))
    assert "Bids set aside at the deadline" in page
    assert ("Alpha Care was suspended on T-DPS at the deadline: Public liability insurance expired" in page)
    assert "it is not weighed and cannot be awarded" in page
    beta = db.session.scalars(db.select(Bid).where(Bid.referral_id == set_aside.id,
                                                   Bid.provider_id == world.provider_b.organisation_id)).one()
    awards.assess(world.member_officer, beta, scores=SCORES, notes="", now=clock.now())
    # Alpha's bid needs no scores and is not offered for the award.
    award = text_of(client.get(url_for("buyer.referral_award", referral_id=set_aside.id)))
    assert "Score every bid" not in award and "Beta Homes: ranked 1" in award and "Alpha Care:" not in award
    csv_text = client.get(url_for("buyer.referral_bids_csv", referral_id=set_aside.id)).get_data(as_text=True)
    assert "Set aside" in csv_text


def test_the_provider_reads_its_bid_was_set_aside(world, sign_in, set_aside):
    page = text_of(sign_in(world.provider_a).get(url_for("supplier.referral_list")))
    assert "Set aside at the deadline" in page


def test_the_register_shows_standing_per_dps_and_filters_by_it(world, sign_in, clock):
    other = build_dps(world.admin, clock, reference="T-OTHER")
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_a, other.lots[0], clock=clock)
    admit(world.provider_b, world.lots[0], clock=clock)
    suspend(world, world.provider_a, clock)
    standing.terminate(contract_of(world, world.provider_b), reason="Registration cancelled", actor=world.admin,
                       now=clock.now())
    db.session.commit()
    client = sign_in(world.admin)

    def shown(query):
        page = html.unescape(client.get(f"/admin/providers{query}").get_data(as_text=True))
        return {name for name in ("Alpha Care", "Beta Homes") if f">{name}</a>" in page}

    page = text_of(client.get("/admin/providers"))
    assert "T-DPS: Suspended" in page and "T-OTHER: In good standing" in page and "T-DPS: Terminated" in page
    assert "(left on termination)" in page
    assert shown("?dps_standing=suspended") == {"Alpha Care"}
    assert shown("?dps_standing=terminated") == {"Beta Homes"}
    assert shown("?dps_standing=good") == {"Alpha Care"}  # on T-OTHER
    assert shown(f"?dps_standing=good&dps={world.dps.id}") == set()
    assert shown(f"?dps_standing=suspended&dps={other.id}") == set()
    assert shown("?dps_standing=nonsense") == {"Alpha Care", "Beta Homes"}
    # A DPS the admin's authority does not lead filters nothing of its own.
    assert "Suspended" not in text_of(sign_in(world.outside_admin).get("/admin/providers")).split("Lots held")[1]


@pytest.mark.parametrize("query", ["", "?dps_standing=suspended", "?dps_standing=good"])
def test_the_register_with_standing_is_constant_in_statements(world, sign_in, clock, query):
    def add(start, stop):
        for index in range(start, stop):
            provider = add_provider(world, index).organisation
            db.session.add(ProviderContract(dps_id=world.dps.id, provider_id=provider.id, created_at=clock.now()))
            if index % 2 == 0:
                db.session.add(Restriction(dps_id=world.dps.id, provider_id=provider.id, cause=SANCTION,
                                           reason="Breach", started_at=clock.now()))
        db.session.commit()

    shows = (lambda i: f"Provider {i:02d}") if query == "" else None
    assert_constant(sign_in(world.admin), f"/admin/providers{query}", add, shows=shows)


def test_a_terminated_provider_is_off_the_dps_page_and_its_places_kept_for_the_record(world, sign_in, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_b, world.lots[0], clock=clock)
    standing.terminate(contract_of(world, world.provider_b), reason="Registration cancelled", actor=world.admin,
                       now=clock.now())
    db.session.commit()
    page = text_of(sign_in(world.member_officer).get(url_for("buyer.dps", dps_id=world.dps.id)))
    assert "Alpha Care" in page and "Beta Homes" not in page
    detail = text_of(sign_in(world.admin).get(f"/admin/providers/{world.provider_b.organisation_id}"))
    assert "left on termination" in detail
