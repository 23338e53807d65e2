"""A manifest for the demo data (`flask demo load`), so the benchmark runs without generated data: a quick look,
and the end-to-end test of bench/run.py. The demo is small; figures from it say little about scale."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load_demo(database: Path, now: str) -> None:
    environment = dict(os.environ, DATABASE_URL=f"sqlite:///{database}", PORTAL_FIXED_NOW=now, FLASK_APP="wsgi")
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
    flask = [sys.executable, "-m", "flask"]
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run(flask + command, cwd=ROOT, env=environment, check=True, stdout=subprocess.DEVNULL)


def _most(column, role: str | None = None):
    """The value of `column` found in the most rows, optionally among values that are users holding `role`."""
    from portal.extensions import db
    from portal.models.user import UserRole

    query = db.select(column).where(column.is_not(None))
    if role is not None:
        query = query.join(UserRole, UserRole.user_id == column).where(UserRole.role == role)
    return db.session.scalar(query.group_by(column).order_by(db.func.count().desc(), column).limit(1))


def _ids_and_users() -> tuple[dict, dict]:
    from portal.extensions import db
    from portal.models import (
        AgeCategory,
        Allocation,
        Bid,
        BidInvitation,
        Dps,
        EntryWindow,
        ProviderContract,
        Referral,
        TierAward,
        User,
    )
    from portal.models.user import ADMINISTRATOR, COMMISSIONING_OFFICER, CONTRACT_MANAGER, PROVIDER_USER, UserRole

    def user_of(organisation_id, role):
        return db.session.scalar(db.select(User).join(UserRole).where(
            User.organisation_id == organisation_id, UserRole.role == role).order_by(User.id).limit(1))

    referral = db.session.get(Referral, _most(Bid.referral_id))
    officer = user_of(referral.authority_id, COMMISSIONING_OFFICER)
    provider = user_of(_most(BidInvitation.provider_id), PROVIDER_USER)
    evaluator = db.session.get(User, _most(Allocation.evaluator_id))
    dps = db.session.scalar(db.select(Dps).where(Dps.lead_authority_id == evaluator.organisation_id).limit(1))
    administrator = user_of(dps.lead_authority_id, ADMINISTRATOR)
    manager_id = _most(ProviderContract.contract_manager_id, CONTRACT_MANAGER)
    manager = db.session.get(User, manager_id) if manager_id else user_of(officer.organisation_id, CONTRACT_MANAGER)
    category = db.session.get(AgeCategory, _most(TierAward.category_id))
    window = db.session.scalar(db.select(EntryWindow).where(EntryWindow.dps_id == dps.id).order_by(EntryWindow.id))
    draft = db.session.scalar(db.select(Referral.id).where(
        Referral.authority_id == officer.organisation_id, Referral.published_at.is_(None)).limit(1))
    users = {"officer": officer.email, "provider": provider.email, "evaluator": evaluator.email,
             "administrator": administrator.email, "contract_manager": manager.email}
    ids = {"authority": officer.organisation_id, "provider": provider.organisation_id,
           "referral_with_bids": referral.id, "evaluation_window": window.id, "tier_window": window.id,
           "big_lot": category.lot_id, "big_category": category.id, "dps": dps.id, "lead": dps.lead_authority_id,
           "job_publish_referral": draft, "job_retier_category": category.id}
    return ids, users


def demo_manifest(database: Path, manifest_path: Path) -> dict:
    """Load the demo into `database` (once) and write its manifest; returns the manifest."""
    from portal import create_app
    from portal.demo import PASSWORD
    from portal.extensions import db

    database = database.resolve()
    if manifest_path.exists() and database.exists():
        with open(manifest_path) as file:
            return json.load(file)
    database.parent.mkdir(parents=True, exist_ok=True)
    database.unlink(missing_ok=True)
    now = datetime.now(UTC).replace(microsecond=0, second=0).isoformat()
    _load_demo(database, now)
    url = f"sqlite:///{database}"
    app = create_app("development", overrides={"SQLALCHEMY_DATABASE_URI": url, "PORTAL_FIXED_NOW": now})
    with app.app_context():
        ids, users = _ids_and_users()
        db.engine.dispose()
    manifest = {"database_url": url, "scale": "demo", "now": now, "generated_seconds": None, "password": PASSWORD,
                "counts": {}, "users": users, "ids": ids}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
