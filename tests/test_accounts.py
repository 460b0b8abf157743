"""Changing a password: on the command line (an administrator's reset) and on the web
(a user's own change), each ending the sessions an old password opened."""

from __future__ import annotations

import io
import shutil
import sqlite3

from leaflets.cli import main
from leaflets.project import DEFAULT_DATA
from leaflets.users import LOGIN_LIMIT, UserStore, check_password
from tests.test_web import ADMIN, DONG, _csrf, login, site  # noqa: F401 (fixtures)

NEW = "a-new-password-2"


def _store_with_user(tmp_path):
    data = tmp_path / "minwon24.toml"
    shutil.copy(DEFAULT_DATA, data)
    path = tmp_path / "instance" / "users.sqlite"
    store = UserStore(path)
    store.add(ADMIN[0], ADMIN[1], "admin")
    return data, store, path


def test_user_passwd_changes_the_password_and_ends_the_sessions(tmp_path, capsys,
                                                                monkeypatch):
    data, store, _ = _store_with_user(tmp_path)
    old_session = store.log_in(*ADMIN, "10.0.0.1")
    assert store.session_user(old_session) is not None
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW + "\n"))
    assert main(["user", "passwd", ADMIN[0], "--password-stdin", "--data", str(data)]) == 0
    assert "비밀번호를 바꿨습니다" in capsys.readouterr().out
    assert store.session_user(old_session) is None  # a saved cookie no longer works
    assert store.log_in(*ADMIN, "10.0.0.1") is None  # the old password no longer works
    assert store.log_in(ADMIN[0], NEW, "10.0.0.1") is not None


def test_user_passwd_refuses_an_unknown_user_or_a_short_password(tmp_path, capsys,
                                                                 monkeypatch):
    data, store, path = _store_with_user(tmp_path)
    session = store.log_in(*ADMIN, "10.0.0.1")
    before = path.read_bytes()
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW + "\n"))
    assert main(["user", "passwd", "없는사람", "--password-stdin", "--data", str(data)]) == 2
    error = capsys.readouterr().err
    assert "사용자 '없는사람'이(가) 없습니다" in error and ADMIN[0] in error
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "passwd", ADMIN[0], "--password-stdin", "--data", str(data)]) == 2
    assert "10자 이상" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["user", "passwd", ADMIN[0], "--password-stdin", "--data", str(data)]) == 2
    assert "비밀번호를 입력하지 않았습니다" in capsys.readouterr().err
    assert path.read_bytes() == before  # nothing written
    assert store.session_user(session) is not None
    assert store.log_in(*ADMIN, "10.0.0.1") is not None


def _change(client, current, new, again=None):
    page = client.get("/password").get_data(as_text=True)
    return client.post("/password", data={"csrf": _csrf(page), "current": current,
                                          "new": new, "again": new if again is None else again})


def test_a_user_changes_their_own_password_on_the_web(site):  # noqa: F811
    app, _ = site
    here, elsewhere = app.test_client(), app.test_client()
    login(here, DONG)
    login(elsewhere, DONG)
    assert "비밀번호 바꾸기" in here.get("/").get_data(as_text=True)  # in the nav
    response = _change(here, DONG[1], NEW)
    assert response.status_code == 200
    assert "비밀번호를 바꿨습니다" in response.get_data(as_text=True)
    assert here.get("/password").status_code == 200  # this session stays
    assert elsewhere.get("/password").status_code == 302  # the other one ended
    here.post("/logout", data={"csrf": _csrf(here.get("/password").get_data(as_text=True))})
    assert login(here, DONG).status_code == 401  # the old password no longer works
    assert login(here, (DONG[0], NEW)).status_code == 302
    assert here.get("/password").status_code == 200


def test_a_wrong_current_password_is_refused_and_throttled(site):  # noqa: F811
    app, folder = site
    client = app.test_client()
    login(client, DONG)
    store = UserStore(folder / "instance" / "users.sqlite")
    response = _change(client, DONG[1], NEW, again=NEW + "x")
    assert response.status_code == 400 and "두 칸이 다릅니다" in response.get_data(as_text=True)
    response = _change(client, DONG[1], "short")
    assert response.status_code == 400 and "10자 이상" in response.get_data(as_text=True)
    assert store.attempts(name=DONG[0]) == 0  # no scrypt spent on those
    for _ in range(LOGIN_LIMIT):
        response = _change(client, "wrong-password", NEW)
        assert response.status_code == 401
        assert "지금 비밀번호가 틀렸습니다" in response.get_data(as_text=True)
    response = _change(client, DONG[1], NEW)  # even the right one waits now
    assert response.status_code == 429 and "5분 뒤" in response.get_data(as_text=True)
    assert store.attempts(name=DONG[0]) == LOGIN_LIMIT
    assert client.get("/password").status_code == 200  # still logged in
    assert login(app.test_client(), (DONG[0], NEW)).status_code == 429  # the name is limited
    with sqlite3.connect(folder / "instance" / "users.sqlite") as database:
        stored, = database.execute("SELECT password FROM users WHERE name = ?",
                                   (DONG[0],)).fetchone()
    assert check_password(DONG[1], stored) and not check_password(NEW, stored)


def test_the_password_form_needs_the_csrf_token(site):  # noqa: F811
    app, folder = site
    client = app.test_client()
    login(client, DONG)
    response = client.post("/password", data={"current": DONG[1], "new": NEW, "again": NEW})
    assert response.status_code == 400 and "보안 토큰" in response.get_data(as_text=True)
    assert login(app.test_client(), DONG).status_code == 302  # unchanged
