"""Request tests of the quarterly KPI and return pages: the administrator's ranking, provider page, thresholds,
questions, returns and overdue list; the officers' KPI pages; the provider's returns and own KPIs."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import AuditEvent, KpiThreshold, QuarterlyReturn, ReturnQuestion, ReturnSettings
from portal.models.kpi import NUMBER, TEXT
from portal.services import quarterly_returns as returns
from tests.factories import admit, placed


@pytest.fixture
def market(world, clock):
    """Alpha with two placements live in Q2 2026-27, one ended unplanned in August; Beta admitted without any;
    the Q2 returns requested (the clock is in Q3: 2 November 2026)."""
    returns.add_question(world.admin, world.dps, text="How many carers did you approve?", answer_type=NUMBER,
                         guidance="", now=clock.now())
    returns.add_question(world.admin, world.dps, text="Anything to add?", answer_type=TEXT, guidance="",
                         now=clock.now())
    admit(world.provider_a, world.lots[0], clock=clock).admitted_at = datetime(2026, 4, 15)
    admit(world.provider_b, world.lots[0], clock=clock).admitted_at = datetime(2026, 4, 15)
    first, second = (placed(world, clock, admitted=False) for _ in range(2))
    first.start_date, second.start_date = date(2026, 5, 1), date(2026, 6, 1)
    second.end_date, second.ending_planned = date(2026, 8, 3), False
    db.session.commit()
    returns.request_due(datetime(2026, 10, 1, 9, 0))
    alpha = db.session.scalars(db.select(QuarterlyReturn).where(
        QuarterlyReturn.provider_id == world.provider_a.organisation_id)).one()
    return {"alpha_return": alpha, "alpha": world.provider_a.organisation_id,
            "beta": world.provider_b.organisation_id}


def page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


# The administrator --------------------------------------------------------------------------------------------

def test_the_ranking_ranks_on_the_chosen_kpi_with_the_previous_quarter(world, market, sign_in):
    client = sign_in(world.admin)
    text = page(client, f"/admin/dps/{world.dps.id}/kpis?quarter=2026-Q2&kpi=unplanned")
    assert "Providers ranked on unplanned endings, Q2 2026-27" in text
    assert text.index("Alpha Care") < text.index("Beta Homes")  # Beta: no placements, not ranked, last
    assert "50.0" in text and "Not ranked" in text and "Q1 2026-27" in text
    assert "Across all providers, unplanned endings: 50.0 per 100 in Q2 2026-27 (2 placements live" in text
    # Q1 2026-27 had placements; Q4 2025-26 none: said in words, not "unplanned endings No placements per 100"
    text = page(client, f"/admin/dps/{world.dps.id}/kpis?quarter=2026-Q1&kpi=unplanned")
    assert "(2 placements live during the quarter); no placements in Q4 2025-26." in text
    # an unknown KPI or quarter falls back on the defaults, never an error
    text = page(client, f"/admin/dps/{world.dps.id}/kpis?quarter=1999-Q9&kpi=nonsense&page=99&authority=x")
    assert "unplanned endings, Q2 2026-27" in text


def test_the_ranking_for_one_member_authority(world, market, sign_in):
    client = sign_in(world.admin)
    text = page(client, f"/admin/dps/{world.dps.id}/kpis?quarter=2026-Q2&authority={world.lead.id}")
    assert "50.0" not in text  # the lead placed no child


def test_thresholds_flag_a_provider_on_the_ranking_and_its_page(world, market, sign_in):
    client = sign_in(world.admin)
    response = client.post(f"/admin/dps/{world.dps.id}/kpis/thresholds", data={"unplanned": "10", "feedback": ""})
    assert response.status_code == 302
    assert db.session.scalars(db.select(KpiThreshold)).one().limit == Decimal("10.00")
    assert "Past threshold" in page(client, f"/admin/dps/{world.dps.id}/kpis?quarter=2026-Q2")
    text = page(client, f"/admin/dps/{world.dps.id}/kpis/providers/{market['alpha']}?quarter=2026-Q2")
    assert "threshold in Q2 2026-27: unplanned endings." in text
    assert "Above 10<" in text and "1E+1" not in text  # the limit as typed, never in scientific notation
    assert "Threshold: above 10 flags a provider" in page(
        client, f"/admin/dps/{world.dps.id}/kpis?quarter=2026-Q2&kpi=unplanned")
    assert db.session.scalar(db.select(AuditEvent.action).order_by(AuditEvent.id.desc())) \
        == "kpis.threshold_set"
    # an emptied threshold is removed
    assert client.post(f"/admin/dps/{world.dps.id}/kpis/thresholds", data={"unplanned": ""}).status_code == 302
    assert db.session.scalars(db.select(KpiThreshold)).all() == []
    assert "Past threshold" not in page(client, f"/admin/dps/{world.dps.id}/kpis?quarter=2026-Q2")


def test_a_threshold_that_is_not_a_number_is_refused_and_nothing_stored(world, market, sign_in):
    client = sign_in(world.admin)
    response = client.post(f"/admin/dps/{world.dps.id}/kpis/thresholds", data={"unplanned": "ten", "ended": "5"})
    assert response.status_code == 400
    assert "Enter the limit of unplanned endings as a number" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(KpiThreshold)).all() == []
    # a good limit beside a bad one is not stored either
    response = client.post(f"/admin/dps/{world.dps.id}/kpis/thresholds", data={"unplanned": "5", "feedback": "6"})
    assert response.status_code == 400 and "between 0 and 5" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(KpiThreshold)).all() == []


def test_the_provider_page_shows_both_quarters_the_trend_and_the_return(world, market, sign_in):
    client = sign_in(world.admin)
    returns.save(world.provider_a, market["alpha_return"], {"answer_1": "3", "answer_2": "Two carers joined"},
                 submit=True, now=datetime(2026, 10, 5, 9, 0))
    text = page(client, f"/admin/dps/{world.dps.id}/kpis/providers/{market['alpha']}?quarter=2026-Q2")
    assert "Alpha Care: quarterly KPIs" in text and "Live during the quarter" in text
    assert "KPIs over the last four quarters" in text and "data:image/svg+xml;base64," in text
    assert "How many carers did you approve?" in text and "Two carers joined" in text
    assert page(client, f"/admin/dps/{world.dps.id}/kpis/providers/{world.lead.id}", 404)
    csv = client.get(f"/admin/dps/{world.dps.id}/kpis/providers/{market['alpha']}/trend.csv?quarter=2026-Q2")
    assert csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).splitlines()[-1] == "Q2 2026-27,50.0,0.0,0.0,50.0"


def test_the_administrator_adds_changes_and_removes_return_questions(world, market, sign_in):
    client = sign_in(world.admin)
    assert "How many carers did you approve?" in page(client, f"/admin/dps/{world.dps.id}/returns/questions")
    response = client.post(f"/admin/dps/{world.dps.id}/returns/questions",
                           data={"text": "Vacancies at the quarter's end?", "answer_type": "number"})
    assert response.status_code == 302
    refused = client.post(f"/admin/dps/{world.dps.id}/returns/questions", data={"text": "", "answer_type": "number"})
    assert refused.status_code == 400 and "Enter the question" in refused.get_data(as_text=True)
    assert client.post(f"/admin/dps/{world.dps.id}/returns/questions",
                       data={"text": "A question", "answer_type": "colour"}).status_code == 400
    question = returns.questions_of(world.dps)[-1]
    assert page(client, f"/admin/dps/{world.dps.id}/returns/questions/{question.id}")
    assert client.post(f"/admin/dps/{world.dps.id}/returns/questions/{question.id}",
                       data={"text": "Vacant beds at the quarter's end?", "answer_type": "number"}).status_code == 302
    assert client.post(f"/admin/dps/{world.dps.id}/returns/questions/{question.id}",
                       data={"text": " ", "answer_type": "number"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(ReturnQuestion, question.id).text == "Vacant beds at the quarter's end?"
    assert client.post(f"/admin/dps/{world.dps.id}/returns/questions/{question.id}/remove").status_code == 302
    assert len(returns.questions_of(world.dps)) == 2
    assert page(client, f"/admin/dps/{world.dps.id}/returns/questions/{question.id}", 404)
    # the returns already requested keep their questions
    assert [a.question for a in market["alpha_return"].answers] == ["How many carers did you approve?",
                                                                    "Anything to add?"]


def test_the_administrator_sets_when_returns_are_due(world, market, sign_in):
    client = sign_in(world.admin)
    assert client.post(f"/admin/dps/{world.dps.id}/returns/settings",
                       data={"due_days": "20", "reminder_days": "5"}).status_code == 302
    refused = client.post(f"/admin/dps/{world.dps.id}/returns/settings", data={"due_days": "0", "reminder_days": "0"})
    assert refused.status_code == 400 and "between 1 and 90 days" in refused.get_data(as_text=True)
    assert db.session.scalars(db.select(ReturnSettings)).one().due_days == 20


def test_the_returns_of_a_quarter_and_the_overdue_ones(world, market, sign_in, clock):
    client = sign_in(world.admin)
    text = page(client, f"/admin/dps/{world.dps.id}/returns?quarter=2026-Q2")
    assert "Alpha Care" in text and "Beta Homes" in text and "Overdue" in text  # due 30 October
    assert "2 returns of this DPS overdue" in text
    overdue = page(client, "/admin/returns/overdue")
    assert "2 returns overdue" in overdue and "Q2 2026-27 (July to September 2026)" in overdue
    assert ">2026-Q2<" not in overdue
    alpha = market["alpha_return"]
    text = page(client, f"/admin/returns/{alpha.id}")
    assert "The answers are shown once the provider submits the return" in text
    assert "No return is overdue" in page(sign_in(world.outside_admin), "/admin/returns/overdue")


# Officers ----------------------------------------------------------------------------------------------------

def test_an_officer_sees_the_ranking_and_a_providers_page(world, market, sign_in):
    client = sign_in(world.member_officer)
    assert "Alpha Care" in page(client, f"/authority/dps/{world.dps.id}/kpis?quarter=2026-Q2")
    text = page(client, f"/authority/dps/{world.dps.id}/kpis/providers/{market['alpha']}?quarter=2026-Q2"
                        "&placements=own")
    assert "Alpha Care: quarterly KPIs" in text and "50.0" in text
    lead_only = page(sign_in(world.lead_officer),
                     f"/authority/dps/{world.dps.id}/kpis/providers/{market['alpha']}?quarter=2026-Q2&placements=own")
    assert "50.0" not in lead_only  # the lead's own placements: none
    assert client.get(f"/authority/dps/{world.dps.id}/kpis/providers/{market['alpha']}/trend.csv").mimetype \
        == "text/csv"
    assert page(client, f"/authority/dps/{world.dps.id}/kpis/providers/{world.member.id}", 404)


# The provider ------------------------------------------------------------------------------------------------

def test_a_provider_completes_and_submits_its_return(world, market, sign_in):
    client = sign_in(world.provider_a)
    alpha = market["alpha_return"]
    assert "Q2 2026-27 (July to September 2026)" in page(client, "/provider/returns")
    url = f"/provider/returns/{alpha.id}"
    assert "How many carers did you approve?" in page(client, url)
    unconfirmed = client.post(url, data={"answer_1": "4", "answer_2": "Nothing", "action": "submit"})
    assert unconfirmed.status_code == 400
    assert "Tick to confirm the answers are complete and correct" in unconfirmed.get_data(as_text=True)
    assert 'value="Nothing"' in unconfirmed.get_data(as_text=True) or ">Nothing<" in unconfirmed.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(QuarterlyReturn, alpha.id).is_submitted
    refused = client.post(url, data={"answer_1": "lots", "answer_2": "", "action": "submit", "confirm": "y"})
    assert refused.status_code == 400 and "Enter a number" in refused.get_data(as_text=True)
    assert client.post(url, data={"answer_1": "4", "answer_2": "", "action": "save"}).status_code == 302
    missing = client.post(url, data={"answer_1": "4", "answer_2": "", "action": "submit", "confirm": "y"})
    assert missing.status_code == 400 and "Answer \u201cAnything to add?\u201d" in missing.get_data(as_text=True)
    assert client.post(url, data={"answer_1": "4", "answer_2": "Nothing", "action": "submit",
                                  "confirm": "y"}).status_code == 302
    db.session.expire_all()
    item = db.session.get(QuarterlyReturn, alpha.id)
    assert item.is_submitted and item.answers[0].number_value == Decimal("4")
    # a second submission is harmless and changes nothing
    again = client.post(url, data={"answer_1": "9", "answer_2": "Changed", "action": "submit", "confirm": "y"})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(QuarterlyReturn, alpha.id).answers[0].number_value == Decimal("4")
    text = page(client, url)
    assert "A submitted return cannot be changed" in text and "<form method=\"post\"" not in text.split("<main")[1]


def test_a_provider_cannot_reach_another_providers_return(world, market, sign_in):
    client = sign_in(world.provider_b)
    alpha = market["alpha_return"]
    assert client.get(f"/provider/returns/{alpha.id}").status_code == 404
    assert client.post(f"/provider/returns/{alpha.id}", data={"answer_1": "1", "action": "save"}).status_code == 404
    assert client.get("/provider/returns/999999").status_code == 404


def test_a_provider_sees_its_own_kpis_only(world, market, sign_in):
    text = page(sign_in(world.provider_a), f"/provider/kpis?dps={world.dps.id}&quarter=2026-Q2")
    assert "Your quarterly KPIs" in text and "50.0" in text
    other = page(sign_in(world.provider_b), f"/provider/kpis?dps={world.dps.id}&quarter=2026-Q2")
    assert "50.0" not in other and "Alpha Care" not in other
    csv = sign_in(world.provider_a).get(f"/provider/kpis/trend.csv?dps={world.dps.id}&quarter=2026-Q2")
    assert csv.get_data(as_text=True).splitlines()[-1] == "Q2 2026-27,50.0,0.0,0.0,50.0"


def test_a_provider_on_no_dps_is_told_so(world, sign_in):
    assert "once you are admitted to a DPS" in page(sign_in(world.provider_b), "/provider/kpis")
    assert sign_in(world.provider_b).get("/provider/kpis/trend.csv").status_code == 404


def test_posts_without_a_csrf_token_are_refused(csrf_app, clock):
    from tests.factories import PASSWORD, build_world

    world = build_world(clock)
    returns.add_question(world.admin, world.dps, text="Beds?", answer_type=NUMBER, guidance="", now=clock.now())
    client = csrf_app.test_client()
    client.post("/sign-in", data={"email": world.admin.email, "password": PASSWORD})
    response = client.post(f"/admin/dps/{world.dps.id}/returns/questions", data={"text": "New?", "answer_type": TEXT})
    assert response.status_code in (400, 403)
    assert len(returns.questions_of(world.dps)) == 1
