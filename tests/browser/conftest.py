"""Browser-test infrastructure: the portal served from a thread on a seeded database, with CSRF
protection on as in production; Chromium found on this machine; and an accessibility check
(axe-core) that every journey runs on every page it visits.

The `database_url` and `clock` fixtures come from tests/conftest.py.
"""

import os
import re
import shutil
import threading
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from flask import got_request_exception
from werkzeug.serving import make_server

from portal.extensions import db
from tests.conftest import _empty_tables, make_app
from tests.factories import PASSWORD, build_world

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
BLOCKING_IMPACTS = {"moderate", "serious", "critical"}  # only "minor" findings are reported without failing
TIMEOUT_MS = 10_000
CALL_FAILED = pytest.StashKey[bool]()


def chromium_path() -> str | None:
    """CHROMIUM_PATH, else a chromium on the PATH (Debian's), else None for Playwright's own."""
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    path = chromium_path()
    if path:
        args["executable_path"] = path
    return args


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Each test serves its own portal on its own port: `context` below gives the base URL.
    return {key: value for key, value in browser_context_args.items() if key != "base_url"}


class LivePortal:
    """The app, served on 127.0.0.1 from a thread, and a way to change its data from the test."""

    def __init__(self, app, url: str, world: SimpleNamespace):
        self.app = app
        self.url = url
        self.world = world
        self.errors: list[BaseException] = []

    def run(self, work: Callable):
        """Run `work()` in an app and request context, commit, and let go of the database."""
        with self.app.test_request_context(base_url=self.url):
            try:
                result = work()
                db.session.commit()
                return result
            finally:
                db.session.remove()


def _plain_world(world) -> SimpleNamespace:
    # Plain values only: the test thread must not keep ORM objects (or a transaction) alive while
    # the server thread writes to the same database.
    return SimpleNamespace(
        admin_email=world.admin.email, password=PASSWORD, dps_id=world.dps.id, dps_name=world.dps.name,
        dps_reference=world.dps.reference, window_id=world.window.id, window_label=world.window.label,
        lots=[lot.label for lot in world.lots],
        questions=[f"Question {q.number}: {q.text}" for q in world.window.question_set.questions],
    )


@pytest.fixture
def live_portal(database_url, clock, tmp_path):
    app = make_app(database_url, clock, tmp_path / "uploads", WTF_CSRF_ENABLED=True)
    with app.app_context():
        _empty_tables()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PORTAL_BASE_URL"] = url
    portal = LivePortal(app, url, world=None)
    portal.world = portal.run(lambda: _plain_world(build_world(clock)))

    def record_error(sender, exception, **extra):
        portal.errors.append(exception)

    got_request_exception.connect(record_error, app)
    thread = threading.Thread(target=server.serve_forever, name="portal-server", daemon=True)
    thread.start()
    try:
        yield portal
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        got_request_exception.disconnect(record_error, app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
            _empty_tables()
            db.engine.dispose()
    assert not portal.errors, f"The portal raised while serving the browser: {portal.errors!r}"


@pytest.fixture
def context(new_context, live_portal):
    context = new_context(base_url=live_portal.url)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


def _is_govuk_conditional_reveal(node: dict) -> bool:
    """GOV.UK Frontend marks a radio or checkbox that reveals a question with aria-expanded, which ARIA does not
    allow on those roles. The Design System keeps it on purpose, as screen readers announce it (a known issue:
    alphagov/govuk-frontend#979), so it is the one finding let through."""
    disallowed = re.findall(r"not allowed: (.+)", node.get("failureSummary", ""))
    reveal = 'class="govuk-radios__input"' in node["html"] or 'class="govuk-checkboxes__input"' in node["html"]
    return reveal and bool(disallowed) and all(re.fullmatch(r'aria-expanded="(true|false)"', attribute.strip())
                                               for attribute in disallowed)


def _without_known_exceptions(violations: list[dict]) -> list[dict]:
    kept = []
    for violation in violations:
        nodes = violation["nodes"]
        if violation["id"] == "aria-allowed-attr":
            nodes = [node for node in nodes if not _is_govuk_conditional_reveal(node)]
        if nodes:
            kept.append({**violation, "nodes": nodes})
    return kept


def _format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


class PageChecks:
    """Accessibility checks for a page, and a record that every page the browser loaded was checked."""

    def __init__(self, page):
        from axe_playwright_python.sync_playwright import Axe

        self.page = page
        self.axe = Axe()
        self.loads: list[str] = []
        self.checked: set[int] = set()
        self.console_errors: list[str] = []
        self.minor: dict[str, set[str]] = {}  # "minor" violations: reported, not failed
        page.on("framenavigated", self._navigated)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        page.on("response", self._response)

    def _navigated(self, frame) -> None:
        if frame == self.page.main_frame:
            self.loads.append(frame.url)

    def _console(self, message) -> None:
        # A page answered with 400 on purpose (a form with errors) is logged as a failed load: the
        # pages' own statuses are the tests' business, so only sub-resources are counted, below.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def _response(self, response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.console_errors.append(f"{response.status} for {response.url}")

    def __call__(self, what: str = "") -> None:
        """Fail on moderate, serious or critical axe violations on the page as it is now."""
        self.page.wait_for_load_state("load")
        violations = _without_known_exceptions(self.axe.run(self.page).response["violations"])
        blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
        where = f"{what or self.page.title()} ({self.page.url})"
        for violation in violations:
            if violation.get("impact") not in BLOCKING_IMPACTS:
                self.minor.setdefault(f"{violation['id']} ({violation['impact']})", set()).add(where)
        assert not blocking, f"Accessibility violations on {where}:\n{_format_violations(blocking)}"
        self.checked.add(len(self.loads))

    def unchecked(self) -> list[str]:
        return [url for number, url in enumerate(self.loads, start=1) if number not in self.checked]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.fixture
def accessible(page, request):
    """accessible(what) checks the current page with axe; each page loaded must be checked."""
    checks = PageChecks(page)
    yield checks
    for violation, pages in sorted(checks.minor.items()):
        print(f"axe, not failing the test: {violation} on {len(pages)} page(s), e.g. {sorted(pages)[0]}")
    if request.node.stash.get(CALL_FAILED, False):
        return  # the test's own failure says what went wrong; pages after it were never reached
    assert not checks.unchecked(), f"Pages loaded but not checked for accessibility: {checks.unchecked()}"
    assert not checks.console_errors, f"Errors in the browser: {checks.console_errors}"


@pytest.fixture
def screenshot(page):
    """screenshot(name) saves the page to $PORTAL_SCREENSHOTS/<name>.png when that variable is set."""

    def _screenshot(name: str) -> None:
        folder = os.environ.get("PORTAL_SCREENSHOTS")
        if folder:
            os.makedirs(folder, exist_ok=True)
            page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)

    return _screenshot
