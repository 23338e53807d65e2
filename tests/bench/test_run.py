"""The benchmark's pieces: the floor shows the rows the portal shows, the load generator counts requests and
errors, and `python -m bench.run` goes from a manifest to its results' JSON."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from markupsafe import escape

from bench import load, run
from bench.demo import _ids_and_users
from bench.floor import create_floor
from bench.pages import PAGES
from portal import demo
from portal.clock import now
from portal.extensions import db
from portal.services import sessions


@pytest.fixture
def demo_data(app, clock, database_url, tmp_path):
    """The demo loaded into the test database, with a manifest as bench.generate writes one."""
    demo.load()
    db.session.commit()
    ids, users = _ids_and_users()
    manifest = {"database_url": database_url, "scale": "demo", "now": clock.now().isoformat(), "password":
                demo.PASSWORD, "counts": {}, "users": users, "ids": ids}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    return manifest, path


def _signed_in(application, email: str):
    """A test client of `application` carrying the cookie the portal gives when `email` signs in."""
    user = run._user_by_email(email)
    login_id, token = user.get_id(), sessions.start(user.id, now())
    client = application.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"], cookie["session_token"] = login_id, True, token
    return client


def test_the_floor_shows_the_rows_of_each_portal_page(app, demo_data, database_url):
    manifest, _ = demo_data
    floor = create_floor(manifest["ids"], {"SQLALCHEMY_DATABASE_URI": database_url,
                                           "PORTAL_FIXED_NOW": manifest["now"]})
    for page in PAGES:
        email = manifest["users"][page.role]
        portal_page = _signed_in(app, email).get(page.path(manifest["ids"]))
        with floor.app_context():
            floor_client = _signed_in(floor, email)
        floor_page = floor_client.get(f"/floor/{page.name}")
        assert portal_page.status_code == floor_page.status_code == 200, page.name
        with floor.app_context():
            rows = page.rows(run._user_by_email(email), manifest["ids"], now())
        assert rows, f"the demo gives the {page.name} page no rows"
        for row in rows:
            assert str(escape(row[0])) in floor_page.get_data(as_text=True), (page.name, row[0])
            assert str(escape(row[0])) in portal_page.get_data(as_text=True), (page.name, row[0])


def test_the_floor_refuses_a_request_without_a_session(app, demo_data, database_url):
    manifest, _ = demo_data
    floor = create_floor(manifest["ids"], {"SQLALCHEMY_DATABASE_URI": database_url})
    assert floor.test_client().get("/floor/referrals").status_code == 401


class _Answers(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn's gthread workers

    def do_GET(self):
        status = 200 if self.path == "/ok" else 500
        body = b"answered"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def tiny_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_the_load_generator_counts_requests_answered(tiny_server):
    result = load.run("127.0.0.1", tiny_server, "/ok", seconds=0.5, connections=2, warmup=0.1)
    assert result.requests > 10
    assert result.errors == 0 and result.statuses == {}
    assert result.seconds >= 0.5
    assert result.requests_per_second == pytest.approx(result.requests / result.seconds, rel=0.02)
    assert 0 < result.p50_ms <= result.p95_ms <= result.p99_ms


def test_the_load_generator_counts_every_other_answer_as_an_error(tiny_server):
    result = load.run("127.0.0.1", tiny_server, "/fails", seconds=0.5, connections=2, warmup=0.1)
    assert result.requests > 10
    assert result.errors == result.requests
    assert result.statuses == {"500": result.requests}


def test_percentiles_are_by_nearest_rank():
    values = [float(number) for number in range(1, 101)]
    assert (load.percentile(values, 0.5), load.percentile(values, 0.95), load.percentile(values, 0.99)) == (
        50.0, 95.0, 99.0)
    assert load.percentile([], 0.5) == 0.0


@pytest.mark.slow  # about 40 s: two gunicorns, ten pages a second each, and the jobs
def test_bench_run_writes_every_page_and_job_to_its_results(app, demo_data, tmp_path, capsys):
    _, manifest_path = demo_data
    db.session.remove()
    db.engine.dispose()  # PostgreSQL copies the database for the jobs only when nobody is connected to it

    assert run.main(["--manifest", str(manifest_path), "--seconds", "0.5", "--warmup", "0.1",
                     "--output", str(tmp_path)]) == 0

    written = list(tmp_path.glob("results-*.json"))
    assert len(written) == 1
    results = json.loads(written[0].read_text())
    assert results["cpu_count"] >= 1 and results["database"] in ("sqlite", "postgresql")
    assert set(results["pages"]) == {page.name for page in PAGES}
    for name, figures in results["pages"].items():
        assert figures["portal"]["requests"] > 0 and figures["portal"]["errors"] == 0, name
        assert figures["floor"]["requests"] > 0 and figures["floor"]["errors"] == 0, name
        assert results["statements"][name] > 0, name
    assert {"retier-category", "close-due-rounds"} <= set(results["jobs"])
    assert "tiers" in capsys.readouterr().out
