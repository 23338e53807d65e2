"""`make bench`: serve the portal and the floor (bench/floor.py) under gunicorn on the generated database, drive
each main page of each role on both with the same load (bench/load.py), count each page's SQL statements, time the
jobs on a copy of the database, print a table and write instance/bench/results-<date>.json.

    python -m bench.run [--manifest PATH] [--seconds 10] [--connections 2] [--pages referrals,audit] [--no-jobs]
    python -m bench.run --demo     # the demo data (flask demo load) in instance/bench/demo.sqlite, for a quick look
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event

from bench import load
from bench.pages import BY_NAME, PAGES

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "instance" / "bench"
DEFAULT_MANIFEST = BENCH_DIR / "manifest.json"
GUNICORN_SETTINGS = ["--workers", "2", "--worker-class", "gthread", "--threads", "1"]
STARTUP_SECONDS = 60


# The manifest ----------------------------------------------------------------------------------------------------

def database_kind(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def read_manifest(path: Path) -> dict:
    with open(path) as file:
        return json.load(file)


def ensure_manifest(path: Path, database_url: str | None, scale: float) -> dict:
    """The manifest, generating the database first when there is none for the database asked for."""
    if path.exists():
        manifest = read_manifest(path)
        if database_url is None or manifest["database_url"] == database_url:
            return manifest
        print(f"The manifest is for {manifest['database_url']}, not {database_url}: generating", file=sys.stderr)
    command = [sys.executable, "-m", "bench.generate", "--scale", str(scale), "--manifest", str(path)]
    if database_url:
        command += ["--database-url", database_url]
    subprocess.run(command, cwd=ROOT, check=True)
    return read_manifest(path)


# Counting statements ---------------------------------------------------------------------------------------------

@contextmanager
def counting(engine):
    """Count the statements sent to the database inside the block: `with counting(engine) as counted: ...`."""
    counted = [0]

    def count(*_):
        counted[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _portal_app(database_url: str, now: str):
    from portal import create_app

    return create_app("development", overrides={"SQLALCHEMY_DATABASE_URI": database_url, "PORTAL_FIXED_NOW": now})


def _user_by_email(email: str):
    from portal.extensions import db
    from portal.models import User

    return db.session.scalar(db.select(User).where(User.email == email))


def statements_per_page(manifest: dict, pages) -> dict:
    """Each page's statement count through the portal's test client, signed in as its user (the second request,
    so that nothing done once per process is counted)."""
    from portal.clock import now
    from portal.extensions import db
    from portal.services import sessions

    app = _portal_app(manifest["database_url"], manifest["now"])
    with app.app_context():
        engine = db.engine
    counts = {}
    for page in pages:
        client = app.test_client()
        with app.app_context():  # its own, so that nothing of one user's requests is left in the next's
            user = _user_by_email(manifest["users"][page.role])
            login_id, token = user.get_id(), sessions.start(user.id, now())
        with client.session_transaction() as cookie:
            cookie["_user_id"], cookie["_fresh"], cookie["session_token"] = login_id, True, token
        path = page.path(manifest["ids"])
        client.get(path)
        with counting(engine) as counted:
            response = client.get(path)
        counts[page.name] = counted[0] if response.status_code == 200 else None
        with app.app_context():
            sessions.end(token)
    engine.dispose()
    return counts


# Serving ---------------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_listening(process, port: int, name: str) -> None:
    give_up_at = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < give_up_at:
        if process.poll() is not None:
            raise RuntimeError(f"{name} stopped at start (see {BENCH_DIR / (name + '.log')})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{name} did not start listening on port {port}")


@contextmanager
def served(name: str, target: str, environment: dict):
    """gunicorn serving `target` on a free port, stopped at the end of the block; yields the port."""
    port = free_port()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    with open(BENCH_DIR / f"{name}.log", "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", *GUNICORN_SETTINGS,
                                    "--bind", f"127.0.0.1:{port}", target],
                                   cwd=ROOT, env=environment, stdout=log, stderr=log)
        try:
            _wait_until_listening(process, port, name)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)


def _environment(manifest: dict) -> dict:
    environment = dict(os.environ, DATABASE_URL=manifest["database_url"], PORTAL_FIXED_NOW=manifest["now"],
                       BENCH_IDS=json.dumps(manifest["ids"]))
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
    environment.pop("FLASK_DEBUG", None)
    return environment


def drive_pages(manifest: dict, pages, seconds: float, connections: int, warmup: float) -> dict:
    """Each page on the portal and on the floor under the same load."""
    environment = _environment(manifest)
    figures = {}
    with served("portal", "wsgi:app", environment) as portal_port, \
            served("floor", "bench.floor:create_floor()", environment) as floor_port:
        cookies = {}
        for page in pages:
            if page.role not in cookies:
                cookies[page.role] = load.sign_in("127.0.0.1", portal_port, manifest["users"][page.role],
                                                  manifest["password"])
            portal = load.run("127.0.0.1", portal_port, page.path(manifest["ids"]), cookie=cookies[page.role],
                              seconds=seconds, connections=connections, warmup=warmup)
            floor = load.run("127.0.0.1", floor_port, f"/floor/{page.name}", cookie=cookies[page.role],
                             seconds=seconds, connections=connections, warmup=warmup)
            ratio = portal.requests_per_second / floor.requests_per_second if floor.requests_per_second else None
            figures[page.name] = {"path": page.path(manifest["ids"]), "portal": portal.as_dict(),
                                  "floor": floor.as_dict(), "ratio": ratio and round(ratio, 2)}
            print(f"  {page.name}: portal {portal.requests_per_second}/s, floor {floor.requests_per_second}/s",
                  file=sys.stderr)
    return figures


# The jobs --------------------------------------------------------------------------------------------------------

@contextmanager
def database_copy(database_url: str):
    """A copy of the bench database for the jobs to change, removed afterwards; yields its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if database_kind(database_url) == "sqlite":
        # Flask-SQLAlchemy reads a relative SQLite path from the app's instance folder, as the portal does.
        original = ROOT / "instance" / url.database
        copy = original.with_name(original.stem + "-jobs.sqlite")
        shutil.copyfile(original, copy)
        try:
            yield str(url.set(database=str(copy)))
        finally:
            copy.unlink(missing_ok=True)
        return
    copy_name = f"{url.database}_jobs"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{copy_name}"'))
        # A template must have nobody connected: the servers just stopped may not have closed theirs yet.
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": url.database})
        connection.execute(text(f'CREATE DATABASE "{copy_name}" TEMPLATE "{url.database}"'))
    try:
        yield url.set(database=copy_name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{copy_name}" WITH (FORCE)'))
        server.dispose()


def _job_calls(manifest: dict):
    """The jobs to time, each (name, a function of now that runs it), built inside the copy's app context."""
    from portal.extensions import db
    from portal.models import AgeCategory, Referral
    from portal.services import outcomes
    from portal.services.referrals import drafting, publishing, rounds

    ids, users = manifest["ids"], manifest["users"]
    administrator, officer = _user_by_email(users["administrator"]), _user_by_email(users["officer"])
    calls = []
    category = db.session.get(AgeCategory, ids.get("job_retier_category") or 0)
    if category is not None:
        calls.append(("retier-category", lambda now: outcomes.retier_category(administrator, category, now)))
    referral = db.session.get(Referral, ids.get("job_publish_referral") or 0)
    if referral is not None:
        calls.append(("publish-referral", lambda now: publishing.publish(officer, referral, now)))
        calls.append(("create-draft", lambda now: drafting.create(
            officer, lot=referral.lot, fields={"age_years": referral.age_years}, child={}, now=now)))
    calls.append(("close-due-rounds", rounds.run_due))
    return calls


def time_jobs(manifest: dict) -> dict:
    """Each job's time and statement count, on a copy of the database."""
    from portal.clock import now
    from portal.extensions import db

    figures = {}
    with database_copy(manifest["database_url"]) as copy_url:
        app = _portal_app(copy_url, manifest["now"])
        # As the scheduler runs them: e-mails link to the portal's pages, built from PORTAL_BASE_URL.
        with app.app_context(), app.test_request_context(base_url=app.config["PORTAL_BASE_URL"]):
            for name, call in _job_calls(manifest):
                started = time.perf_counter()
                try:
                    with counting(db.engine) as counted:
                        call(now())
                        db.session.commit()
                    error = None
                except Exception as problem:  # a job that fails is reported, not hidden, and the others still run
                    db.session.rollback()
                    error = f"{type(problem).__name__}: {problem}"
                figures[name] = {"seconds": round(time.perf_counter() - started, 3), "statements": counted[0],
                                 "error": error}
            db.session.remove()
            db.engine.dispose()
    return figures


# The report ------------------------------------------------------------------------------------------------------

def table(results: dict) -> str:
    lines = [f"Benchmark {results['date']}: {results['database']} at scale {results['scale']}, "
             f"{results['cpu_count']} cores, {results['connections']} connections, {results['seconds']} s per page",
             f"{'page':<20}{'':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
             f"{'ratio':>7}{'SQL':>6}"]
    for name, figures in results["pages"].items():
        for side in ("portal", "floor"):
            run = figures[side]
            ratio = figures["ratio"] if side == "portal" and figures["ratio"] is not None else ""
            statements = results["statements"].get(name, "") if side == "portal" else ""
            lines.append(f"{name if side == 'portal' else '':<20}{side:>8}{run['requests_per_second']:>9}"
                         f"{run['p50_ms']:>9}{run['p95_ms']:>9}{run['p99_ms']:>9}{run['errors']:>8}"
                         f"{ratio:>7}{'' if statements is None else statements:>6}")
    if results["jobs"]:
        lines.append(f"{'job':<20}{'seconds':>9}{'SQL':>8}")
        for name, job in results["jobs"].items():
            lines.append(f"{name:<20}{job['seconds']:>9}{job['statements']:>8}"
                         + (f"  failed: {job['error']}" if job["error"] else ""))
    return "\n".join(lines)


def refresh_statistics(database_url: str) -> None:
    """ANALYZE a PostgreSQL database: one freshly loaded has no planner statistics until autovacuum gets to it,
    and the plans chosen without them can be slower by minutes."""
    from sqlalchemy import create_engine, text

    if database_kind(database_url) != "postgresql":
        return
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


def benchmark(manifest: dict, *, seconds: float, connections: int, warmup: float, page_names=None,
              jobs: bool = True) -> dict:
    pages = [BY_NAME[name] for name in page_names] if page_names else PAGES
    results = {"date": datetime.now(UTC).date().isoformat(), "cpu_count": os.cpu_count(),
               "database": database_kind(manifest["database_url"]), "scale": manifest.get("scale"),
               "counts": manifest.get("counts", {}), "now": manifest["now"], "seconds": seconds,
               "connections": connections, "gunicorn": " ".join(GUNICORN_SETTINGS)}
    refresh_statistics(manifest["database_url"])
    results["statements"] = statements_per_page(manifest, pages)
    results["pages"] = drive_pages(manifest, pages, seconds, connections, warmup)
    results["jobs"] = time_jobs(manifest) if jobs else {}
    return results


def write_results(results: dict, directory: Path = BENCH_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"results-{results['date']}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=Path(os.environ.get("BENCH_MANIFEST", DEFAULT_MANIFEST)))
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", 0.1)),
                        help="the scale to generate at when there is no database yet")
    parser.add_argument("--seconds", type=float, default=10, help="how long each page is driven on each app")
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--pages", help="a comma-separated subset of: " + ", ".join(BY_NAME))
    parser.add_argument("--no-jobs", action="store_true")
    parser.add_argument("--demo", action="store_true", help="use the demo data instead of generated data")
    parser.add_argument("--output", type=Path, default=BENCH_DIR, help="the folder of the results' JSON")
    options = parser.parse_args(argv)
    page_names = [name.strip() for name in options.pages.split(",")] if options.pages else None
    unknown = [name for name in page_names or () if name not in BY_NAME]
    if unknown:
        parser.error(f"unknown pages: {', '.join(unknown)}")
    if options.demo:
        from bench.demo import demo_manifest

        manifest = demo_manifest(BENCH_DIR / "demo.sqlite", BENCH_DIR / "demo-manifest.json")
    else:
        manifest = ensure_manifest(options.manifest, os.environ.get("DATABASE_URL"), options.scale)
    results = benchmark(manifest, seconds=options.seconds, connections=options.connections, warmup=options.warmup,
                        page_names=page_names, jobs=not options.no_jobs)
    print(table(results))
    print(f"Written to {write_results(results, options.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
