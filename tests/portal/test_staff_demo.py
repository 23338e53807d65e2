"""The demo's user administrators: one at Sefton and one at Tameside, and each demo provider's first user."""

from portal import demo
from portal.extensions import db
from portal.models import Organisation, User
from portal.models.user import PROVIDER_USER, SIGNATORY, USER_ADMINISTRATOR
from portal.services import accounts


def test_demo_user_administrators(app, clock):
    sign_ins = dict(demo.load())
    for place in ("Sefton", "Tameside"):
        email = sign_ins[f"User administrator ({place}): its staff"]
        user = db.session.scalar(db.select(User).where(User.email == email))
        assert user.roles == {USER_ADMINISTRATOR} and place in user.organisation.name
        assert email.endswith(".example.org")
    providers = db.session.scalars(db.select(Organisation).where(Organisation.kind == "provider")).all()
    assert providers
    for provider in providers:
        [administrator] = accounts.active_user_administrators(provider)
        assert administrator.roles == {PROVIDER_USER, USER_ADMINISTRATOR, SIGNATORY}
