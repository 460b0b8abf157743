"""The order ledger: what was sent to the vendor, in a local SQLite file.

One row per order (date, bundle hash, package name, amounts) and one per run
in it. A bundle is what is ordered: the content file and the production file;
its hash (:func:`bundle_hash`) is how a second ``leaflets package`` of the same
thing is recognised. An order is never deleted: it can be voided (취소) with a
reason, and then no longer counts in :meth:`Ledger.spent`.

Writers take the database's write lock first (``BEGIN IMMEDIATE``) and check
for an earlier order of the bundle inside that transaction, so two writers at
once cannot both record the same bundle. A lock held by someone else for
longer than ``timeout`` seconds raises :class:`LedgerBusy`. Korean public
budgets run by calendar year (회계연도 = 1월~12월).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from leaflets.errors import LeafletsError

LEDGER_NAME = "orders.sqlite"
LOCK_TIMEOUT = 10.0  # seconds to wait for another writer before giving up
SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY,
    ordered_on TEXT NOT NULL,          -- ISO date
    fiscal_year INTEGER NOT NULL,
    package TEXT NOT NULL,
    data_sha256 TEXT NOT NULL,
    supply INTEGER NOT NULL,
    vat INTEGER NOT NULL,
    total INTEGER NOT NULL,
    content BLOB                       -- the content file as sent, for the next diff
);
CREATE TABLE IF NOT EXISTS order_runs (
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    product TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    sheet TEXT NOT NULL,
    n_up INTEGER NOT NULL,
    sheets INTEGER NOT NULL,
    total INTEGER NOT NULL
);
"""
# Columns added after the first ledgers were written: added to old files when opened.
ADDED_COLUMNS = {
    "bundle_sha256": "TEXT",  # content + production file, see bundle_hash()
    "voided_on": "TEXT",  # ISO date of the 취소, NULL while the order stands
    "void_reason": "TEXT",
    "dong": "TEXT",  # the 동 whose edition was ordered (자체홍보물), NULL for the 구 edition
}
ORDER_COLUMNS = ("id, ordered_on, package, data_sha256, supply, vat, total, content,"
                 " bundle_sha256, voided_on, void_reason, dong")


def bundle_hash(content: bytes, production: bytes, dong: str | None = None) -> str:
    """The identity of an order: SHA-256 over the content file and the production file,
    and for a 동 edition the 동's fingerprint (:attr:`leaflets.dongs.Dong.fingerprint`),
    so that the 구's order and each 동's are different bundles."""
    digest = hashlib.sha256(b"leaflets bundle 1\0")
    for part in (content, production):
        digest.update(hashlib.sha256(part).digest())
    if dong is not None:
        digest.update(b"dong\0" + hashlib.sha256(dong.encode("utf-8")).digest())
    return digest.hexdigest()


@dataclass(frozen=True)
class RunLine:
    product: str
    quantity: int
    sheet: str
    n_up: int
    sheets: int
    total: int


@dataclass(frozen=True)
class OrderLine:
    id: int | None
    ordered_on: datetime.date
    package: str
    data_sha256: str
    supply: int
    vat: int
    total: int
    runs: tuple[RunLine, ...]
    content: bytes | None = None  # the content file as it was sent
    bundle_sha256: str | None = None  # None in orders recorded before bundles had a hash
    voided_on: datetime.date | None = None
    void_reason: str | None = None
    dong: str | None = None  # set when a 동 edition was ordered: a 자체홍보물 of that 동

    @property
    def fiscal_year(self) -> int:
        return self.ordered_on.year

    @property
    def voided(self) -> bool:
        return self.voided_on is not None


class LedgerError(LeafletsError):
    """The ledger file cannot be opened or written, or a change to it is not allowed."""


class LedgerBusy(LedgerError):
    """Another process kept the ledger locked for longer than the timeout."""


def _busy(error: sqlite3.Error) -> bool:
    return getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY,
                                                        sqlite3.SQLITE_LOCKED)


class Ledger:
    def __init__(self, path: str | Path, *, timeout: float = LOCK_TIMEOUT):
        self.path = Path(path)
        self.timeout = timeout

    def _failure(self, error: sqlite3.Error | OSError, doing: str) -> LedgerError:
        if isinstance(error, sqlite3.Error) and _busy(error):
            return LedgerBusy(
                f"발주 기록 파일 '{self.path}'을(를) 다른 작업이 {self.timeout:g}초 넘게 쓰고 "
                "있습니다. 그 작업이 끝난 뒤 다시 해 주세요")
        return LedgerError(f"발주 기록 파일 '{self.path}'을(를) {doing} 수 없습니다: {error}")

    def _connect(self) -> sqlite3.Connection:
        connection = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, isolation_level=None, timeout=self.timeout)
            connection.execute("PRAGMA foreign_keys = ON")
            connection.executescript(SCHEMA)
            if self._missing_columns(connection):
                connection.execute("BEGIN IMMEDIATE")  # two processes may upgrade at once
                for column in self._missing_columns(connection):
                    connection.execute(
                        f"ALTER TABLE orders ADD COLUMN {column} {ADDED_COLUMNS[column]}")
                connection.execute("COMMIT")
            return connection
        except (sqlite3.Error, OSError) as error:
            if connection is not None:
                connection.close()
            raise self._failure(error, "열") from None

    @staticmethod
    def _missing_columns(connection) -> list[str]:
        present = {row[1] for row in connection.execute("PRAGMA table_info(orders)")}
        return [column for column in ADDED_COLUMNS if column not in present]

    @contextlib.contextmanager
    def transaction(self):
        """Hold the ledger's write lock; yield a :class:`Transaction` to look up and record.

        Nothing is recorded unless :meth:`Transaction.commit` is called in the block.
        """
        connection = self._connect()
        try:
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise self._failure(error, "쓸") from None
            yield Transaction(self, connection)
        finally:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            connection.close()

    def orders(self) -> list[OrderLine]:
        """Every recorded order, voided ones included, oldest first (none without a file)."""
        if not self.path.exists():
            return []
        connection = self._connect()
        try:
            rows = connection.execute(
                f"SELECT {ORDER_COLUMNS} FROM orders ORDER BY ordered_on, id").fetchall()
            return [_order(connection, row) for row in rows]
        except sqlite3.Error as error:
            raise self._failure(error, "읽을") from None
        finally:
            connection.close()

    def earlier(self, bundle: str, data_sha256: str, dong: str | None = None) -> OrderLine | None:
        """The standing order of ``bundle``, if any (read only: a hint before the real check)."""
        if not self.path.exists():
            return None
        connection = self._connect()
        try:
            return Transaction(self, connection).earlier(bundle, data_sha256, dong)
        finally:
            connection.close()

    def has_package(self, name: str) -> bool:
        """Whether a committed order uses the package name ``name`` (read only)."""
        if not self.path.exists():
            return False
        connection = self._connect()
        try:
            return Transaction(self, connection).has_package(name)
        finally:
            connection.close()

    def spent(self, fiscal_year: int) -> int:
        """Total (VAT included) of the orders of ``fiscal_year`` that were not voided."""
        return sum(order.total for order in self.orders()
                   if order.fiscal_year == fiscal_year and not order.voided)

    def void(self, order_id: int, reason: str, today: datetime.date) -> OrderLine:
        """Mark order ``order_id`` as voided (취소) on ``today`` for ``reason``; return it."""
        reason = reason.strip()
        if not reason:
            raise LedgerError("취소 사유(--reason)가 비어 있습니다. 왜 취소하는지 적어 주세요")
        if not self.path.exists():
            raise LedgerError(f"발주 기록 파일 '{self.path}'이(가) 없습니다. "
                              "--ledger 로 발주 기록 파일을 지정해 주세요")
        with self.transaction() as book:
            order = book.order(order_id)
            if order is None:
                raise LedgerError(f"발주 기록 #{order_id}이(가) 없습니다. "
                                  "leaflets history 로 번호를 확인해 주세요")
            if order.voided:
                raise LedgerError(f"발주 기록 #{order_id}은(는) 이미 {order.voided_on} 에 "
                                  f"취소했습니다 (사유: {order.void_reason})")
            book.execute("UPDATE orders SET voided_on = ?, void_reason = ? WHERE id = ?",
                         (today.isoformat(), reason, order_id))
            order = book.order(order_id)
            book.commit()
        return order


class Transaction:
    """The ledger while this process holds its write lock (or, for a hint, reads it)."""

    def __init__(self, ledger: Ledger, connection: sqlite3.Connection):
        self.ledger = ledger
        self.connection = connection
        self.committed = False

    def execute(self, sql: str, parameters=()):
        try:
            return self.connection.execute(sql, parameters)
        except sqlite3.Error as error:
            raise self.ledger._failure(error, "쓸") from None

    def order(self, order_id: int) -> OrderLine | None:
        row = self.execute(f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?",
                           (order_id,)).fetchone()
        return None if row is None else _order(self.connection, row)

    def earlier(self, bundle: str, data_sha256: str, dong: str | None = None
                ) -> OrderLine | None:
        """The latest standing (not voided) order of ``bundle``.

        Orders recorded before bundles had a hash match on the content file alone: a
        false match only asks for ``--reorder``, a missed one would pay twice. Those
        were all 구 editions, so a 동 edition (``dong`` given) matches on its bundle only.
        """
        row = self.execute(
            f"SELECT {ORDER_COLUMNS} FROM orders WHERE voided_on IS NULL AND"
            " (bundle_sha256 = ? OR (bundle_sha256 IS NULL AND data_sha256 = ?"
            " AND ? IS NULL))"
            " ORDER BY id DESC LIMIT 1", (bundle, data_sha256, dong)).fetchone()
        return None if row is None else _order(self.connection, row)

    def has_package(self, name: str) -> bool:
        """Whether an order (voided or not) already uses the package name ``name``."""
        return self.execute("SELECT 1 FROM orders WHERE package = ?", (name,)).fetchone() \
            is not None

    def record(self, order: OrderLine) -> int:
        """Insert ``order`` and its runs; return its number (visible once committed)."""
        cursor = self.execute(
            "INSERT INTO orders (ordered_on, fiscal_year, package, data_sha256, supply, vat,"
            " total, content, bundle_sha256, dong) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (order.ordered_on.isoformat(), order.fiscal_year, order.package, order.data_sha256,
             order.supply, order.vat, order.total, order.content, order.bundle_sha256,
             order.dong))
        order_id = cursor.lastrowid
        try:
            self.connection.executemany(
                "INSERT INTO order_runs (order_id, product, quantity, sheet, n_up, sheets,"
                " total) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(order_id, r.product, r.quantity, r.sheet, r.n_up, r.sheets, r.total)
                 for r in order.runs])
        except sqlite3.Error as error:
            raise self.ledger._failure(error, "쓸") from None
        return order_id

    def commit(self):
        """Make what was recorded permanent and release the lock."""
        try:
            self.connection.execute("COMMIT")
        except sqlite3.Error as error:
            raise self.ledger._failure(error, "쓸") from None
        finally:
            # A COMMIT that returned, even if an interruption follows, is a commit.
            self.committed = not self.connection.in_transaction


def _order(connection, row) -> OrderLine:
    runs = connection.execute(
        "SELECT product, quantity, sheet, n_up, sheets, total FROM order_runs"
        " WHERE order_id = ? ORDER BY rowid", (row[0],)).fetchall()
    return OrderLine(row[0], datetime.date.fromisoformat(row[1]), row[2], row[3], row[4],
                     row[5], row[6], tuple(RunLine(*run) for run in runs), row[7], row[8],
                     datetime.date.fromisoformat(row[9]) if row[9] else None, row[10], row[11])


def default_ledger(production_path: str | Path) -> Path:
    """The ledger lives beside the production file."""
    return Path(production_path).resolve().parent / LEDGER_NAME


@dataclass(frozen=True)
class Baseline:
    """The version the current content file is compared with."""

    data: bytes  # that content file's bytes
    label: str  # how the comparison names it
    order_id: int | None  # the order it was sent with (None: the .prev copy)


def baseline(ledger: Ledger, data_path: str | Path) -> Baseline | None:
    """What the web compares the current content with (the 결재 PDF and the package
    page's changed fields): the content of the last standing order of the 구 edition
    (the ledger keeps each order's content file for this), i.e. what was last printed;
    before any such order, the ``.prev`` copy the last save kept; None without either.

    ``leaflets diff`` compares with what it is given (by default the last commit)."""
    for order in reversed(ledger.orders()):
        if not order.voided and order.dong is None and order.content:
            return Baseline(order.content, f"발주 #{order.id} ({order.ordered_on}) 내용",
                            order.id)
    prev = Path(data_path).with_name(Path(data_path).name + ".prev")
    if prev.is_file():
        return Baseline(prev.read_bytes(), "직전 저장 전 내용", None)
    return None
