"""The load generator, the same for the portal and the floor: N keep-alive HTTP/1.1 connections, each in its own
process, ask for one page as fast as the server answers, for a warm-up and then a fixed duration, recording the
latency of every request. Any answer but 200 is an error."""

import http.client
import math
import multiprocessing
import re
import time
import urllib.parse
from dataclasses import asdict, dataclass

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TIMEOUT_SECONDS = 30


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float  # how long the timed part lasted: the duration asked for, or more if a request outlasted it
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    statuses: dict  # every status other than 200 seen, with how many times ("connection" for a dropped one)

    def as_dict(self) -> dict:
        return asdict(self)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of values already sorted; 0 when there are none."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def _cookie_from(response, cookies: dict) -> None:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]


def _cookie_header(cookies: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def sign_in(host: str, port: int, email: str, password: str) -> str:
    """Sign in to the portal as a browser would (the form's CSRF token, then the POST); returns the Cookie header."""
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
    cookies: dict = {}
    connection.request("GET", "/sign-in")
    response = connection.getresponse()
    page = response.read().decode()
    _cookie_from(response, cookies)
    token = CSRF_FIELD.search(page)
    if response.status != 200 or token is None:
        raise RuntimeError(f"The sign-in page answered {response.status} without a form")
    body = urllib.parse.urlencode({"csrf_token": token.group(1), "email": email, "password": password})
    connection.request("POST", "/sign-in", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(cookies)})
    response = connection.getresponse()
    response.read()
    _cookie_from(response, cookies)
    connection.close()
    if response.status != 302:
        raise RuntimeError(f"Signing in as {email} answered {response.status}, not a redirect")
    return _cookie_header(cookies)


def _drive(host: str, port: int, path: str, cookie: str, warmup: float, seconds: float) -> tuple:
    """One connection's run: the latencies in seconds of the timed requests answered 200, the other statuses
    counted, and how long the timed part lasted. At least one request is timed, however slow the page."""
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
    headers = {"Cookie": cookie} if cookie else {}
    latencies, statuses = [], {}
    warm_until = time.perf_counter() + warmup
    timing_from = stop_at = None
    while True:
        started = time.perf_counter()
        if stop_at is not None and started >= stop_at:
            break
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            connection.close()  # the next request reconnects
            status = "connection"
        if started < warm_until:
            continue
        if timing_from is None:
            timing_from, stop_at = started, started + seconds
        if status == 200:
            latencies.append(time.perf_counter() - started)
        else:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
    connection.close()
    return latencies, statuses, time.perf_counter() - timing_from


def run(host: str, port: int, path: str, *, cookie: str = "", seconds: float = 10, connections: int = 2,
        warmup: float = 1) -> Result:
    """Drive `path` with `connections` processes for `seconds` after `warmup`; the combined figures."""
    arguments = [(host, port, path, cookie, warmup, seconds)] * connections
    with multiprocessing.get_context("fork").Pool(connections) as pool:
        outcomes = pool.starmap(_drive, arguments)
    latencies = sorted(latency for each, _, _ in outcomes for latency in each)
    elapsed = max(lasted for _, _, lasted in outcomes)
    statuses: dict = {}
    for _, counted, _ in outcomes:
        for status, count in counted.items():
            statuses[status] = statuses.get(status, 0) + count
    errors = sum(statuses.values())
    requests = len(latencies) + errors
    return Result(requests=requests, errors=errors, seconds=round(elapsed, 2),
                  requests_per_second=round(requests / elapsed, 1),
                  p50_ms=round(percentile(latencies, 0.50) * 1000, 1),
                  p95_ms=round(percentile(latencies, 0.95) * 1000, 1),
                  p99_ms=round(percentile(latencies, 0.99) * 1000, 1), statuses=statuses)
