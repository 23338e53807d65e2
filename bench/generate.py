"""Build a national-scale database for the benchmark and write the manifest the runner reads.

    python -m bench.generate --scale 1.0 [--database-url URL] [--manifest PATH]

The schema comes from the models; the demonstration consortium is loaded first through the services (so every
role has its pages), then a national fostering DPS is added around it in bulk (bench.national). Every time is
relative to the fixed NOW, which the runner gives the portal as PORTAL_FIXED_NOW."""

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from bench import national
from bench.bulk import Loader, Progress, create_indexes, drop_secondary_indexes, reset_sequences
from portal import create_app, demo
from portal.clock import FrozenClock
from portal.extensions import db
from portal.models import Organisation, User
from portal.services import accounts

NOW = datetime(2026, 11, 2, 10, 0)
PASSWORD = "bench-password-2026"
DEFAULT_DATABASE = "sqlite:///instance/bench.sqlite"
DEFAULT_MANIFEST = "instance/bench/manifest.json"
# The tables the bulk load fills: their plain indexes are dropped while loading and made again after.
BULK_TABLES = ["user_account", "user_role", "organisation", "setting", "application", "application_lot",
               "category_price", "answer", "document", "referee", "allocation", "score", "moderated_score",
               "gate_result", "lot_outcome", "lot_membership", "category_membership", "tier_award", "child",
               "referral", "referral_round", "bid_invitation", "bid", "bid_receipt", "bid_assessment", "placement",
               "placement_price", "audit_event", "outbox_message", "notification", "provider_contract",
               "quarterly_return", "return_answer", "vacancy", "evidence"]


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 is national scale; 0.01 a quick run")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--manifest", default=DEFAULT_MANIFEST)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse(argv)
    started = time.monotonic()
    _empty_sqlite_file(args.database_url)
    _make_postgresql_database(args.database_url)
    app = create_app("development", clock=FrozenClock(NOW),
                     overrides={"SQLALCHEMY_DATABASE_URI": args.database_url,
                                # the demonstration's users are hashed cheaply: every user gets one real hash below
                                "FAST_PASSWORD_HASHING": True})
    plan = national.Plan(args.scale)
    with app.app_context(), app.test_request_context(base_url=app.config["PORTAL_BASE_URL"]):
        _quick_writes_on_sqlite()
        db.drop_all()
        db.create_all()
        print(f"Generating at scale {args.scale} into {make_url(args.database_url).render_as_string()}",
              file=sys.stderr)
        demo.load()
        structure = national.build_structure(plan, NOW)
        job_referral_id = national.publishable_draft(structure, NOW).id
        print(f"  services part done in {time.monotonic() - started:.0f} s", file=sys.stderr)
        app.config["FAST_PASSWORD_HASHING"] = False
        password_hash = accounts.hash_password(PASSWORD)
        db.session.commit()
        db.session.close()
        volume = _load_volume(plan, structure, password_hash)
        counts = _counts()
        seconds = round(time.monotonic() - started, 1)
        manifest = _manifest(args, plan, structure, volume, job_referral_id, counts, seconds)
        db.session.close()
        db.engine.dispose()
    Path(args.manifest).parent.mkdir(parents=True, exist_ok=True)
    Path(args.manifest).write_text(json.dumps(manifest, indent=2) + "\n")
    _report(manifest, args.manifest)
    return manifest


def _empty_sqlite_file(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
            leftover.unlink(missing_ok=True)


def _make_postgresql_database(url: str) -> None:
    """Create the PostgreSQL database the URL names when it does not exist yet."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    server.dispose()


def _quick_writes_on_sqlite() -> None:
    """SQLite need not wait for the disk on each commit while the database is built (a crash means building it
    again anyway)."""
    if db.engine.dialect.name != "sqlite":
        return

    @event.listens_for(db.engine, "connect")
    def _no_sync(connection, _record):
        cursor = connection.cursor()
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA cache_size = -200000")
        cursor.close()


def _load_volume(plan, structure, password_hash):
    tables = [db.metadata.tables[name] for name in BULK_TABLES]
    progress = Progress(plan.planned_rows())
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Rows refer to each other both ways (a referral to its awarded bid, the bid to its referral) and are
            # inserted table by table in chunks: foreign keys are not checked while loading (a superuser's setting).
            connection.exec_driver_sql("SET session_replication_role = replica")
        indexes = drop_secondary_indexes(connection, tables)
        loader = Loader(connection, db.metadata, progress)
        volume = national.Volume(loader, plan, structure, NOW, password_hash)
        volume.authorities()
        volume.providers_and_users()
        windows = volume.windows()
        # The first window admitted the big lot (and refused a tenth more); every provider applied in the second.
        volume.applications(windows["first"], range(min(plan.providers, plan.big_lot + plan.big_lot // 10)),
                            opens=volume.window_opens["first"], published=True)
        volume.applications(windows["second"], range(plan.providers), opens=volume.window_opens["second"],
                            published=False)
        volume.category_tiers(connection)
        volume.referrals()
        volume.contracts()
        loader.flush_all()
        # The DPS's referral counter stands at the last number loaded, as drafting keeps it.
        connection.execute(db.metadata.tables["dps"].update().where(db.metadata.tables["dps"].c.id == structure.dps_id)
                           .values(last_referral_number=volume.references))
        # One password for every user, hashed once.
        connection.execute(db.metadata.tables["user_account"].update().values(password_hash=password_hash))
        print("\n  creating indexes", file=sys.stderr)
        create_indexes(connection, indexes)
        reset_sequences(connection, db.metadata.sorted_tables)
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET session_replication_role = DEFAULT")
    with db.engine.begin() as connection:
        # The planner's statistics, as a database that has been in use would have them.
        connection.exec_driver_sql("ANALYZE")
    progress.finish()
    return volume


def _counts() -> dict[str, int]:
    counts = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.scalar(select(func.count()).select_from(table))
        if rows:
            counts[table.name] = rows
    for kind, key in (("authority", "authorities"), ("provider", "providers")):
        counts[key] = db.session.scalar(select(func.count(Organisation.id)).where(Organisation.kind == kind))
    counts["referrals"] = counts.get("referral", 0)
    counts["bids"] = counts.get("bid", 0)
    return counts


def _email(user_id: int) -> str:
    return db.session.get(User, user_id).email


def _manifest(args, plan, structure, volume, job_referral_id, counts, seconds) -> dict:
    featured = volume.providers[volume.featured]
    big_lot_id, categories = structure.lots[national.BIG_CATEGORY[0]]
    big_category_id = categories[national.BIG_CATEGORY[1]][0]
    lead_id = db.session.get(User, structure.admin_id).organisation_id
    return {
        "database_url": args.database_url, "scale": args.scale, "now": NOW.replace(tzinfo=UTC).isoformat(),
        "generated_seconds": seconds, "password": PASSWORD, "counts": counts,
        "users": {"officer": _email(structure.officer_id), "provider": _email(featured["user_id"]),
                  "evaluator": _email(structure.evaluator_ids[0]), "administrator": _email(structure.admin_id),
                  "contract_manager": _email(structure.contract_manager_id)},
        "ids": {"authority": structure.officer_authority_id, "provider": featured["id"],
                "referral_with_bids": volume.referral_with_bids, "evaluation_window": volume.window_ids["second"],
                "tier_window": volume.window_ids["first"], "big_lot": big_lot_id, "big_category": big_category_id,
                "dps": structure.dps_id, "lead": lead_id, "job_publish_referral": job_referral_id,
                "job_retier_category": big_category_id},
        "plan": {"authorities": plan.authorities, "providers": plan.providers, "big_lot": plan.big_lot,
                 "referrals": plan.referrals, "due_rounds": plan.due_rounds},
    }


def _report(manifest: dict, path: str) -> None:
    print(f"Generated in {manifest['generated_seconds']} s; manifest: {path}", file=sys.stderr)
    for table, rows in sorted(manifest["counts"].items(), key=lambda item: -item[1]):
        print(f"  {table:<28} {rows:>12,}", file=sys.stderr)


if __name__ == "__main__":
    main()
