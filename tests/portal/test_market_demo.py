"""The market's part of the demo (portal/demo_market.py): vacancies (some expired), sufficiency notices, and a
history of referrals and placements so that every analytics figure has something to show."""

from portal import demo
from portal.extensions import db
from portal.models import SufficiencyNotice, User, Vacancy
from portal.services import analytics, sufficiency, vacancies
from portal.services.vacancies import Search


def _user(email: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def test_demo_market(app, clock):
    sign_ins = dict(demo.load())
    moment = clock.now()
    today = moment.date()
    all_vacancies = db.session.scalars(db.select(Vacancy)).all()
    assert any(not vacancy.is_current(today) for vacancy in all_vacancies)
    assert any(vacancy.withdrawn_at for vacancy in all_vacancies)
    officer = _user(sign_ins["Commissioning officer (Sefton): referrals"])
    board = vacancies.search(officer, Search(), today, page=1, per_page=50)
    assert board.total >= 3
    notices = db.session.scalars(db.select(SufficiencyNotice)).all()
    assert len(notices) == 3 and any(not notice.is_current(today) for notice in notices)
    provider = _user(sign_ins["Provider with an open bid and a placement"])
    assert sufficiency.count_for_provider(provider.organisation, today) == 2
    administrator = _user(sign_ins["Consortium administrator and evaluator (Tameside)"])
    dps_ids = analytics.led_dps_ids(administrator)
    scope = analytics.Scope(authority_ids=tuple(a.id for a in analytics.consortium_authorities(dps_ids)),
                            quarters=analytics.period(None, None, today), dps_ids=dps_ids)
    empty = [figure.key for figure in analytics.figures(scope, moment) if figure.is_empty()]
    assert empty == []


def test_demo_pages_of_the_market_open(app, clock, sign_in):
    sign_ins = dict(demo.load())
    from portal.demo import PASSWORD

    def client_for(email):
        client = app.test_client()
        assert client.post("/sign-in", data={"email": email, "password": PASSWORD}).status_code == 302
        return client

    officer = client_for(sign_ins["Commissioning officer (Sefton): referrals"])
    for url in ("/authority/vacancies", "/authority/sufficiency", "/authority/analytics"):
        assert officer.get(url).status_code == 200, url
    admin = client_for(sign_ins["Consortium administrator and evaluator (Tameside)"])
    assert "figure-kpi-trends-table" in admin.get("/admin/analytics").get_data(as_text=True)
    provider = client_for(sign_ins["Provider with an open bid and a placement"])
    for url in ("/provider/vacancies", "/provider/sufficiency"):
        assert provider.get(url).status_code == 200, url


def test_demo_fostering_vacancies_are_carers_not_supported_housing(app, clock):
    demo.load()
    for vacancy in db.session.scalars(db.select(Vacancy)):
        fostering = vacancy.lot.dps.service_type == "foster"
        assert vacancy.home_name.startswith("Carers in") == fostering, (vacancy.home_name, vacancy.lot.label)
        assert "college" not in vacancy.notes or not fostering
