"""A review, feedback, an incident or a change of price sent with several mistakes shows every one of them at once,
each against its field (status 400, nothing stored), rather than one per submission."""

import html
import re
from datetime import timedelta

import pytest

from portal.errors import FormInvalid
from portal.extensions import db
from portal.models import PlacementFeedback, PlacementIncident, PlacementReview, PriceChange
from portal.services import placement_records
from tests.factories import placed


@pytest.fixture
def placement(world, clock):
    placement = placed(world, clock)
    clock.set(clock.now() + timedelta(days=30))
    return placement


def messages(response) -> list[str]:
    page = response.get_data(as_text=True)
    summary = page[page.index("There is a problem"):page.index("</ul>", page.index("There is a problem"))]
    return [html.unescape(text) for text in re.findall(r'href="#[\w-]+">([^<]+)</a>', summary)]


@pytest.mark.parametrize(("path", "data", "expected", "model"), [
    ("reviews/new", {"attendees": "", "meets_needs": ""},
     ["Enter the date of the review", "Enter who attended",
      "Choose whether the placement meets the needs in the child's plan"], PlacementReview),
    ("feedback/new", {"given_by": "", "rating": "9"},
     ["Enter the date the feedback was given", "Choose who gave the feedback",
      "Choose a rating from 1 (poor) to 5 (excellent)"], PlacementFeedback),
    ("incidents/new", {"category": "", "summary": ""},
     ["Enter the date it happened", "Choose what is recorded", "Enter a summary of what happened"],
     PlacementIncident),
    ("price-change", {"weekly_cost": "lots", "reason": ""},
     ["Enter the new weekly price in pounds, like 1850.00", "Enter the date the new price takes effect",
      "Give the reason for the change"], PriceChange),
])
def test_every_problem_is_shown_at_once(world, placement, sign_in, path, data, expected, model):
    response = sign_in(world.member_officer).post(f"/authority/placements/{placement.id}/{path}", data=data)
    assert response.status_code == 400
    assert messages(response) == expected
    assert db.session.scalar(db.select(db.func.count()).select_from(model)) == 0


def test_the_service_names_each_field(world, clock, placement):
    with pytest.raises(FormInvalid) as refused:
        placement_records.record_feedback(world.member_officer, placement, given_on=None, given_by="teacher",
                                          rating=0, comment="", now=clock.now())
    assert set(refused.value.errors) == {"given_on", "given_by", "rating"}
