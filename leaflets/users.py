"""Accounts of the web app: two roles, passwords hashed with scrypt, in SQLite.

- 관리자 (``admin``): 민원여권과 — fees, production data, packages, every 동;
- 동 담당자 (``dong``): one 동's block, preview and downloads, nothing else.

The same database holds the server side of the web sessions (so a logout, or
removing a user, ends a session even if its cookie is replayed) and the
failed login attempts (so the limit holds across threads and processes).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from leaflets.errors import LeafletsError

ROLES = {"admin": "관리자", "dong": "동 담당자"}
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_NAME = re.compile(r"^[A-Za-z0-9가-힣._-]{2,32}$")
MIN_PASSWORD = 10
LOGIN_LIMIT = 5  # failed attempts per address and per user name ...
LOGIN_WINDOW = 300  # ... in this many seconds
SESSION_HOURS = 12  # a session ends this long after its login at the latest
BUSY_SECONDS = 5  # how long a request waits for another one's write to the database

# Checked in place of a missing user's hash, so that an unknown name costs the
# same scrypt as a known one; no password gives an all-zero digest.
_DUMMY_HASH = f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${'00' * 16}${'00' * 32}"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, dong TEXT, "
    "password TEXT NOT NULL)",
    # token: SHA-256 of the secret that only the (signed) cookie holds
    "CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "started REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS attempts (id INTEGER PRIMARY KEY, address TEXT NOT NULL, "
    "name TEXT NOT NULL, at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS attempts_at ON attempts (at)",
)


class UserError(LeafletsError):
    """A wrong user name, role, 동 or password."""


class TooManyAttempts(UserError):
    """Too many failed logins for this address or user name in the window."""


class StoreBusy(LeafletsError):
    """The accounts database stayed locked by other writers for too long."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    dong: str | None  # for role "dong"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_edit(self, dong: str) -> bool:
        return self.is_admin or self.dong == dong


def hash_password(password: str, salt: bytes | None = None) -> str:
    """The scrypt hash of ``password`` with a new (or the given) salt, parameters included."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password`."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n),
                                  r=int(r), p=int(p), dklen=len(bytes.fromhex(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed.hex(), digest)


def _token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserStore:
    """Users, their sessions and the failed logins, in one SQLite file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._ready = False  # schema and journal mode set up by this process

    @contextmanager
    def _transaction(self, write: bool = False):
        """A connection inside one transaction; a write takes the lock up front."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with closing(sqlite3.connect(self.path, timeout=BUSY_SECONDS,
                                         isolation_level=None)) as connection:
                if not self._ready:
                    connection.execute("PRAGMA journal_mode=WAL")  # readers never block writers
                    for statement in _SCHEMA:
                        connection.execute(statement)
                    self._ready = True
                # IMMEDIATE: two writers cannot both read the count and then both insert
                connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield connection
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise StoreBusy("계정 데이터베이스가 사용 중입니다. 잠시 뒤에 다시 해 주세요.") \
                    from error
            raise

    def add(self, name: str, password: str, role: str, dong: str | None = None,
            known_dongs=()) -> User:
        """Add a user; :class:`UserError` names what is wrong."""
        if not _NAME.match(name or ""):
            raise UserError(f"사용자 이름 '{name}'이(가) 틀렸습니다 (영문·한글·숫자 2~32자)")
        if role not in ROLES:
            raise UserError(f"역할 '{role}'을(를) 모릅니다. 가능한 값: {', '.join(ROLES)}")
        if role == "dong" and dong not in known_dongs:
            raise UserError(f"동 담당자에게는 동 이름이 필요합니다: '{dong}'은(는) 동 파일에 "
                            f"없습니다")
        if role == "admin":
            dong = None
        if len(password) < MIN_PASSWORD:
            raise UserError(f"비밀번호는 {MIN_PASSWORD}자 이상이어야 합니다")
        hashed = hash_password(password)
        with self._transaction(write=True) as connection:
            if connection.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise UserError(f"사용자 '{name}'이(가) 이미 있습니다")
            connection.execute("INSERT INTO users VALUES (?, ?, ?, ?)",
                               (name, role, dong, hashed))
            # a session left from an earlier user of the same name is not theirs
            connection.execute("DELETE FROM sessions WHERE name = ?", (name,))
        return User(name, role, dong)

    def remove(self, name: str):
        """Remove a user and end their sessions."""
        with self._transaction(write=True) as connection:
            if connection.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
                raise UserError(f"사용자 '{name}'이(가) 없습니다")
            connection.execute("DELETE FROM sessions WHERE name = ?", (name,))

    def users(self) -> list[User]:
        """Every user, by name."""
        if not self.path.exists():
            return []
        with self._transaction() as connection:
            return [User(*row) for row in
                    connection.execute("SELECT name, role, dong FROM users ORDER BY name")]

    def get(self, name: str) -> User | None:
        """The user called ``name``, if any."""
        return next((user for user in self.users() if user.name == name), None)

    def log_in(self, name: str, password: str, address: str) -> str | None:
        """A new session token if the password is right, None if not; counted and
        limited as :meth:`_counted_check` says."""
        name = name[:64]  # longer names never exist; keep the rows small
        attempt = self._counted_check(name, password, address)
        if attempt is None:
            return None
        now = time.time()
        token = secrets.token_urlsafe(32)
        with self._transaction(write=True) as connection:
            connection.execute("DELETE FROM attempts WHERE id = ?", (attempt,))
            connection.execute("DELETE FROM sessions WHERE started <= ?",
                               (now - SESSION_HOURS * 3600,))
            connection.execute("INSERT INTO sessions VALUES (?, ?, ?)",
                               (_token_key(token), name, now))
        return token

    def _counted_check(self, name: str, password: str, address: str) -> int | None:
        """The id of this attempt's row if ``password`` is ``name``'s, else None.

        The attempt is counted before the password is checked, in the same
        transaction that counts the earlier ones: however many arrive at once,
        at most LOGIN_LIMIT failures per address and per name in LOGIN_WINDOW
        ever reach scrypt; the others raise :class:`TooManyAttempts`. The caller
        of a right password takes its attempt back (deletes the row).
        """
        now = time.time()
        with self._transaction(write=True) as connection:
            connection.execute("DELETE FROM attempts WHERE at <= ?", (now - LOGIN_WINDOW,))
            for column, value in (("address", address), ("name", name)):
                count, = connection.execute(f"SELECT count(*) FROM attempts WHERE {column} = ?",
                                            (value,)).fetchone()
                if count >= LOGIN_LIMIT:
                    raise TooManyAttempts("로그인 시도가 너무 많습니다")
            attempt = connection.execute("INSERT INTO attempts (address, name, at) "
                                         "VALUES (?, ?, ?)", (address, name, now)).lastrowid
            row = connection.execute("SELECT password FROM users WHERE name = ?",
                                     (name,)).fetchone()
        if not check_password(password, row[0] if row else _DUMMY_HASH) or row is None:
            return None
        return attempt

    def set_password(self, name: str, password: str, *, keep: str | None = None) -> int:
        """Give ``name`` a new password and end their sessions, all but the one of
        token ``keep``; return how many ended. :class:`UserError` names what is wrong."""
        if len(password) < MIN_PASSWORD:
            raise UserError(f"비밀번호는 {MIN_PASSWORD}자 이상이어야 합니다")
        hashed = hash_password(password)
        with self._transaction(write=True) as connection:
            if connection.execute("UPDATE users SET password = ? WHERE name = ?",
                                  (hashed, name)).rowcount == 0:
                raise UserError(f"사용자 '{name}'이(가) 없습니다")
            return connection.execute("DELETE FROM sessions WHERE name = ? AND token != ?",
                                      (name, _token_key(keep) if keep else "")).rowcount

    def change_password(self, name: str, current: str, new: str, address: str,
                        keep: str | None) -> bool:
        """A user's own change: False if ``current`` is not their password (counted and
        limited like a failed login); else :meth:`set_password` keeping session ``keep``."""
        if len(new) < MIN_PASSWORD:  # before scrypt: a short new one costs no attempt
            raise UserError(f"새 비밀번호는 {MIN_PASSWORD}자 이상이어야 합니다")
        attempt = self._counted_check(name, current, address)
        if attempt is None:
            return False
        with self._transaction(write=True) as connection:
            connection.execute("DELETE FROM attempts WHERE id = ?", (attempt,))
        self.set_password(name, new, keep=keep)
        return True

    def session_user(self, token: str | None) -> User | None:
        """The user of a live session, or None once it was ended, expired or its user removed."""
        if not token or not self.path.exists():
            return None
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT users.name, role, dong FROM sessions JOIN users USING (name) "
                "WHERE token = ? AND started > ?",
                (_token_key(token), time.time() - SESSION_HOURS * 3600)).fetchone()
        return User(*row) if row else None

    def log_out(self, token: str | None):
        """End a session on the server, so its cookie no longer works."""
        if token:
            with self._transaction(write=True) as connection:
                connection.execute("DELETE FROM sessions WHERE token = ?", (_token_key(token),))

    def attempts(self, *, address: str | None = None, name: str | None = None) -> int:
        """How many login attempts in the window were let through to the password check."""
        with self._transaction() as connection:
            count, = connection.execute(
                "SELECT count(*) FROM attempts WHERE at > ? AND address = coalesce(?, address) "
                "AND name = coalesce(?, name)", (time.time() - LOGIN_WINDOW, address, name)
            ).fetchone()
        return count
