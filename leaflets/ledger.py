"""The order ledger: what was sent to the vendor, in a local SQLite file.

One row per package sent (date, content hash, package name, amounts) and
one per run in it. Recording is one transaction that stays open while the
package is written: if writing fails or is interrupted, nothing is
recorded. Korean public budgets run by calendar year (회계연도 = 1월~12월).
"""

from __future__ import annotations

import contextlib
import datetime
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from leaflets.errors import LeafletsError

LEDGER_NAME = "orders.sqlite"
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

    @property
    def fiscal_year(self) -> int:
        return self.ordered_on.year


class LedgerError(LeafletsError):
    """The ledger file cannot be opened or written."""


class Ledger:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, isolation_level=None)
            connection.execute("PRAGMA foreign_keys = ON")
            connection.executescript(SCHEMA)
            return connection
        except (sqlite3.Error, OSError) as error:
            raise LedgerError(
                f"발주 기록 파일 '{self.path}'을(를) 열 수 없습니다: {error}") from None

    @contextlib.contextmanager
    def recording(self, order: OrderLine):
        """Record ``order`` if, and only if, the block finishes without an exception."""
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            cursor = connection.execute(
                "INSERT INTO orders (ordered_on, fiscal_year, package, data_sha256, supply, vat,"
                " total, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (order.ordered_on.isoformat(), order.fiscal_year, order.package,
                 order.data_sha256, order.supply, order.vat, order.total, order.content))
            connection.executemany(
                "INSERT INTO order_runs (order_id, product, quantity, sheet, n_up, sheets, total)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(cursor.lastrowid, r.product, r.quantity, r.sheet, r.n_up, r.sheets, r.total)
                 for r in order.runs])
            yield cursor.lastrowid
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()

    def orders(self) -> list[OrderLine]:
        """Every recorded order, oldest first (none if the file does not exist)."""
        if not self.path.exists():
            return []
        connection = self._connect()
        try:
            rows = connection.execute(
                "SELECT id, ordered_on, package, data_sha256, supply, vat, total, content"
                " FROM orders ORDER BY ordered_on, id").fetchall()
            orders = []
            for row in rows:
                runs = connection.execute(
                    "SELECT product, quantity, sheet, n_up, sheets, total FROM order_runs"
                    " WHERE order_id = ? ORDER BY rowid", (row[0],)).fetchall()
                orders.append(OrderLine(row[0], datetime.date.fromisoformat(row[1]), row[2],
                                        row[3], row[4], row[5], row[6],
                                        tuple(RunLine(*run) for run in runs), row[7]))
            return orders
        except sqlite3.Error as error:
            raise LedgerError(f"발주 기록 파일 '{self.path}'을(를) 읽을 수 없습니다: {error}") \
                from None
        finally:
            connection.close()

    def spent(self, fiscal_year: int) -> int:
        """Total (VAT included) of the orders of ``fiscal_year``."""
        return sum(order.total for order in self.orders() if order.fiscal_year == fiscal_year)


def default_ledger(production_path: str | Path) -> Path:
    """The ledger lives beside the production file."""
    return Path(production_path).resolve().parent / LEDGER_NAME
