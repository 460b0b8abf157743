"""Accounts of the web app: two roles, passwords hashed with scrypt, in SQLite.

- 관리자 (``admin``): 민원여권과 — fees, production data, packages, every 동;
- 동 담당자 (``dong``): one 동's block, preview and downloads, nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from leaflets.errors import LeafletsError

ROLES = {"admin": "관리자", "dong": "동 담당자"}
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_NAME = re.compile(r"^[A-Za-z0-9가-힣._-]{2,32}$")
MIN_PASSWORD = 10


class UserError(LeafletsError):
    """A wrong user name, role, 동 or password."""


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
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n),
                                  r=int(r), p=int(p), dklen=len(bytes.fromhex(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed.hex(), digest)


class UserStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    def _connect(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path)
        connection.execute("CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, "
                           "role TEXT NOT NULL, dong TEXT, password TEXT NOT NULL)")
        return connection

    def add(self, name: str, password: str, role: str, dong: str | None = None,
            known_dongs=()) -> User:
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
        with self._connect() as connection:
            if connection.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise UserError(f"사용자 '{name}'이(가) 이미 있습니다")
            connection.execute("INSERT INTO users VALUES (?, ?, ?, ?)",
                               (name, role, dong, hash_password(password)))
        return User(name, role, dong)

    def remove(self, name: str):
        with self._connect() as connection:
            if connection.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
                raise UserError(f"사용자 '{name}'이(가) 없습니다")

    def users(self) -> list[User]:
        if not self.path.exists():
            return []
        with self._connect() as connection:
            return [User(*row) for row in
                    connection.execute("SELECT name, role, dong FROM users ORDER BY name")]

    def get(self, name: str) -> User | None:
        return next((user for user in self.users() if user.name == name), None)

    def authenticate(self, name: str, password: str) -> User | None:
        if not self.path.exists():
            return None
        with self._connect() as connection:
            row = connection.execute("SELECT name, role, dong, password FROM users "
                                     "WHERE name = ?", (name,)).fetchone()
        if row is None:
            check_password(password, hash_password("timing"))  # same work either way
            return None
        return User(*row[:3]) if check_password(password, row[3]) else None
