"""The web app under attack and under load, against a real server (waitress) on 127.0.0.1.

Login limits, sessions that end on the server, redirects that stay on the
site, security headers, Korean error pages, and previews that do not queue
behind renders.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import re
import shutil
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

import pytest
import waitress

import leaflets.render
import leaflets.users
import leaflets.web.common
import leaflets.web.fees
from leaflets.products import PRODUCTS
from leaflets.project import DEFAULT_DATA, DEFAULT_DONGS, DEFAULT_PRODUCTION
from leaflets.users import UserStore
from leaflets.web import create_app

ADMIN, DONG = ("주무관", "admin-password-1"), ("옥수동담당", "dong-password-1")
HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin"}


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    cookie: str | None  # the session cookie to send next

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Live:
    port: int
    store: UserStore

    def fetch(self, method, path, *, cookie=None, form=None, source="127.0.0.1") -> Reply:
        """One request on its own connection from ``source``; redirects are not followed."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60,
                                                source_address=(source, 0))
        headers = {"Cookie": cookie} if cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, quote(path, safe="/?=&%-.:"), body, headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        set_cookie = response.headers.get("Set-Cookie")
        return Reply(response.status, response.headers, data,
                     set_cookie.split(";")[0] if set_cookie else cookie)

    def login_form(self, source="127.0.0.1") -> tuple[str, str]:
        """A fresh session's cookie and CSRF token, as the login page hands them out."""
        page = self.fetch("GET", "/login", source=source)
        return page.cookie, re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)

    def log_in(self, who, source="127.0.0.1", next_path="") -> Reply:
        cookie, csrf = self.login_form(source)
        path = "/login" + (f"?next={next_path}" if next_path else "")
        return self.fetch("POST", path, cookie=cookie, source=source,
                          form={"csrf": csrf, "name": who[0], "password": who[1]})


def _make_app(folder):
    for source in (DEFAULT_DATA, DEFAULT_PRODUCTION, DEFAULT_DONGS):
        shutil.copy(source, folder / source.name)
    store = UserStore(folder / "instance" / "users.sqlite")
    store.add(ADMIN[0], ADMIN[1], "admin")
    store.add(DONG[0], DONG[1], "dong", "옥수동", ["옥수동"])
    app = create_app(data=folder / "minwon24.toml", production=folder / "production.toml",
                     dongs=folder / "dongs.toml", instance=folder / "instance",
                     out=folder / "dist")
    return app, store


@pytest.fixture
def live(tmp_path):
    """The app on waitress, as ``leaflets serve`` runs it, on a free port of 127.0.0.1."""
    app, store = _make_app(tmp_path)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield Live(server.effective_port, store)
    server.trigger.pull_trigger(server.close)  # closed by the loop itself, between two polls
    thread.join(timeout=10)
    server.task_dispatcher.shutdown()
    assert not thread.is_alive()


@pytest.fixture
def client(tmp_path):
    app, _ = _make_app(tmp_path)
    return app.test_client()


def _client_login(client, who, query=""):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/login", query_string=query,
                       data={"csrf": csrf, "name": who[0], "password": who[1]})


def test_sixty_wrong_passwords_at_once_reach_the_password_check_five_times(live):
    cookie, csrf = live.login_form()
    wrong = {"csrf": csrf, "name": ADMIN[0], "password": "wrong-password"}
    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(lambda _: live.fetch("POST", "/login", cookie=cookie,
                                                     form=wrong), range(60)))
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [401] * 5 + [429] * 55
    assert live.store.attempts(name=ADMIN[0]) == 5  # each one let through to scrypt
    assert all("5분 뒤" in reply.text for reply in replies if reply.status == 429)
    assert live.log_in(ADMIN).status == 429  # the right password waits too
    assert live.store.attempts(name=ADMIN[0]) == 5


class _SlowCount(sqlite3.Connection):
    """Lingers after each count, so any gap between counting and recording shows."""

    def execute(self, sql, *args):
        cursor = super().execute(sql, *args)
        if sql.startswith("SELECT count(*) FROM attempts"):
            time.sleep(0.02)  # widens the window a race would need; passing needs no timing
        return cursor


def test_counting_and_recording_an_attempt_is_one_step(tmp_path, monkeypatch):
    store = UserStore(tmp_path / "users.sqlite")
    store.add(ADMIN[0], ADMIN[1], "admin")
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: connect(*a, **k, factory=_SlowCount))

    def attempt(_):
        try:
            return store.log_in(ADMIN[0], "wrong-password", "10.0.0.1")
        except leaflets.users.TooManyAttempts:
            return "refused"

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(attempt, range(24)))
    assert outcomes.count(None) == 5 and outcomes.count("refused") == 19
    assert store.attempts(address="10.0.0.1") == 5


def test_the_limit_holds_per_user_name_and_per_address(live):
    for _ in range(5):
        assert live.log_in((ADMIN[0], "wrong-password"), source="127.0.0.2").status == 401
    # the same name from another address: still refused
    assert live.log_in(ADMIN, source="127.0.0.3").status == 429
    # another name from the same address: refused as well
    assert live.log_in(DONG, source="127.0.0.2").status == 429
    # another name from another address logs in
    assert live.log_in(DONG, source="127.0.0.4").status == 302


def test_a_saved_cookie_stops_working_after_logout(live):
    reply = live.log_in(ADMIN)
    assert reply.status == 302
    saved = reply.cookie
    page = live.fetch("GET", "/fees", cookie=saved)
    assert page.status == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert live.fetch("POST", "/logout", cookie=saved, form={"csrf": csrf}).status == 302
    replayed = live.fetch("GET", "/fees", cookie=saved)
    assert replayed.status == 302 and urlsplit(replayed.headers["Location"]).path == "/login"


def test_removing_a_user_ends_their_sessions(live):
    saved = live.log_in(DONG).cookie
    assert live.fetch("GET", "/dong/옥수동", cookie=saved).status == 200
    live.store.remove(DONG[0])
    assert live.fetch("GET", "/dong/옥수동", cookie=saved).status == 302
    live.store.add(DONG[0], "another-password", "dong", "옥수동", ["옥수동"])
    assert live.fetch("GET", "/dong/옥수동", cookie=saved).status == 302  # not theirs either


@pytest.mark.parametrize("query", [
    "next=//evil", "next=/%5Cevil", "next=/%09/evil.example/", "next=/%0a",
    "next=https://evil", "next=%2F%2Fevil", "next=%252F%252Fevil", "next=/%5Ct/evil",
    "next=/%252F/evil", "next=/\t/evil", "next=evil",
])
def test_next_never_leads_off_the_site(client, query):
    response = _client_login(client, ADMIN, query)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_leads_back_to_the_page_asked_for(client):
    response = _client_login(client, ADMIN, "next=/fees")
    assert response.status_code == 302 and response.headers["Location"] == "/fees"


def _inline_styles_allowed(response_text: str, policy: str) -> bool:
    styles = re.findall(r"<style>(.*?)</style>", response_text, re.S)
    return all("'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
               + "'" in policy for css in styles)


def test_every_response_carries_the_security_headers(live):
    cookie = live.log_in(ADMIN).cookie
    replies = {path: live.fetch("GET", path, cookie=cookie) for path in
               ("/login", "/fees", "/preview", "/preview/pocket-1.png", "/no-such-page")}
    replies["/login (POST refused)"] = live.fetch("POST", "/login", form={"csrf": "x"})
    assert [reply.status for reply in replies.values()] == [200, 200, 200, 200, 404, 400]
    for path, reply in replies.items():
        for header, value in HEADERS.items():
            assert reply.headers[header] == value, path
        policy = reply.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self';" in policy
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        # the pages need nothing the policy forbids: scripts only as the site's own
        # files, no inline script or event handler, their styles by hash
        assert not re.search(r"<script(?![^>]*\ssrc=\"/scripts/)|\son[a-z]+=", reply.text), path
        assert ' style="' not in reply.text, path
        assert _inline_styles_allowed(reply.text, policy), path


@pytest.mark.parametrize("path", ["/dong/없는동", "/dong/없는동/pocket-1.png",
                                  "/dong/없는동/pocket.pdf", "/dong/없는동/pocket.pdf?print=1"])
@pytest.mark.parametrize("who", [ADMIN, DONG])
def test_an_unknown_dong_is_not_found_for_anyone(client, path, who):
    _client_login(client, who)
    response = client.get(path)
    assert response.status_code == 404
    assert "없는 페이지입니다" in response.get_data(as_text=True)


def test_a_crash_in_a_view_is_a_korean_page_without_a_trace(live, monkeypatch):
    cookie = live.log_in(ADMIN).cookie

    def broken(path):
        raise RuntimeError("internal detail /srv/secret")

    monkeypatch.setattr(leaflets.web.fees, "load_content", broken)
    reply = live.fetch("GET", "/fees", cookie=cookie)
    assert reply.status == 500
    assert "서버에서 오류가 났습니다" in reply.text
    assert "Traceback" not in reply.text and "secret" not in reply.text
    assert reply.headers["X-Frame-Options"] == "DENY"


def test_a_wrong_method_is_a_korean_page(live):
    reply = live.fetch("GET", "/logout")
    assert reply.status == 405 and "그런 요청을 받지 않습니다" in reply.text


def test_a_locked_accounts_database_is_a_korean_503(live, monkeypatch):
    monkeypatch.setattr(leaflets.users, "BUSY_SECONDS", 0.2)
    cookie, csrf = live.login_form()
    with sqlite3.connect(live.store.path, isolation_level=None) as other:
        other.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        reply = live.fetch("POST", "/login", cookie=cookie,
                           form={"csrf": csrf, "name": ADMIN[0], "password": ADMIN[1]})
        other.execute("ROLLBACK")
    assert reply.status == 503 and "잠시 뒤에 다시 해 주세요" in reply.text
    assert live.log_in(ADMIN).status == 302  # and nothing was counted against anyone


class _HeldRenders:
    """Renders of a 동's pages start, then wait until released; others run as usual."""

    def __init__(self, monkeypatch):
        self.release = threading.Event()
        self.started = threading.Semaphore(0)
        self.calls: list[tuple[str, str | None]] = []
        original = leaflets.render.Renderer.render

        def render(renderer, content, product, mode="screen", dong=None, **kwargs):
            self.calls.append((product, dong.name if dong else None))
            if dong is not None:
                self.started.release()
                self.release.wait(timeout=120)
            return original(renderer, content, product, mode, dong, **kwargs)

        monkeypatch.setattr(leaflets.render.Renderer, "render", render)


def test_a_cached_preview_does_not_wait_for_renders_in_progress(live, monkeypatch):
    cookie = live.log_in(ADMIN).cookie
    cached = live.fetch("GET", "/preview/poster-a4-1.png", cookie=cookie)
    assert cached.status == 200
    held = _HeldRenders(monkeypatch)
    slow = {}

    def fetch_slow(path):
        slow[path] = live.fetch("GET", path, cookie=cookie)

    paths = ["/dong/옥수동/pocket-1.png", "/dong/옥수동/poster-a4-1.png"]
    threads = [threading.Thread(target=fetch_slow, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    try:
        for _ in paths:  # both render workers are now busy with a held render
            assert held.started.acquire(timeout=60)
        again = live.fetch("GET", "/preview/poster-a4-1.png", cookie=cookie)
        page = live.fetch("GET", "/fees", cookie=cookie)
        assert not slow  # neither render has finished ...
        assert again.status == 200 and again.body == cached.body  # ... yet these came back
        assert page.status == 200
    finally:
        held.release.set()
        for thread in threads:
            thread.join(timeout=120)
    assert [slow[path].status for path in paths] == [200, 200]


def test_a_product_asked_for_by_many_at_once_is_rendered_once(live, monkeypatch):
    cookie = live.log_in(ADMIN).cookie
    held = _HeldRenders(monkeypatch)
    paths = ["/dong/옥수동/pocket-1.png", "/dong/옥수동/pocket-2.png"] * 3
    with ThreadPoolExecutor(6) as pool:
        replies = [pool.submit(live.fetch, "GET", path, cookie=cookie) for path in paths]
        assert held.started.acquire(timeout=60)
        held.release.set()
        statuses = [reply.result().status for reply in replies]
    assert statuses == [200] * 6
    assert held.calls == [("pocket", "옥수동")]


def test_an_unknown_name_costs_the_same_scrypt_as_a_known_one(tmp_path, monkeypatch):
    store = UserStore(tmp_path / "users.sqlite")
    store.add(ADMIN[0], ADMIN[1], "admin")
    calls = []
    scrypt = leaflets.users.hashlib.scrypt

    def spy(password, **parameters):
        calls.append(tuple(sorted((key, value) for key, value in parameters.items()
                                  if key != "salt")))
        return scrypt(password, **parameters)

    monkeypatch.setattr(leaflets.users.hashlib, "scrypt", spy)
    assert store.log_in(ADMIN[0], "wrong-password", "a") is None
    known, calls[:] = list(calls), []
    assert store.log_in("없는사람", "wrong-password", "b") is None
    assert calls == known and len(known) == 1


def test_the_dong_file_is_read_again_only_when_it_or_a_picture_changed(tmp_path, monkeypatch):
    app, _ = _make_app(tmp_path)
    client = app.test_client()
    _client_login(client, ADMIN)
    reads = []
    load_dongs = leaflets.web.common.load_dongs
    monkeypatch.setattr(leaflets.web.common, "load_dongs", lambda path: reads.append(path)
                        or load_dongs(path))
    page = f"/dong/옥수동/pocket-{PRODUCTS['pocket'].dong_page}.png"
    before = client.get(page).data
    assert client.get(page).data == before and len(reads) == 1
    dongs = tmp_path / "dongs.toml"
    changed = tmp_path / "dongs.new"
    changed.write_text(dongs.read_text(encoding="utf-8").replace(
        'name = "옥수동"', 'name = "옥수동"\nmessage = "새 안내 문구"'), encoding="utf-8")
    changed.replace(dongs)  # as every save does: a new file in its place
    assert client.get(page).data != before and len(reads) == 2
