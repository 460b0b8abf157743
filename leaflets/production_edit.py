"""Edits of production.toml from a form: runs, [order], [budget], [prices] vat_included.

The form's fields are a table (:func:`form_fields`), each named by the path the
production reader reports its errors under (``runs[1].quantity``), so an error
lands next to its field. A save goes through :func:`leaflets.shared.update`
(lock, version check, validation in memory, atomic replace, ``.prev``); only
the values that changed are written, with tomlkit, so every comment stays.

Every wrong value is reported at once: one that is not a number (or a date)
is caught while reading the form; the rest by the same parser
:func:`~leaflets.production.load_production` uses, applying all changes and
setting aside, one at a time, each change the parser names, until the rest pass.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import tomlkit

from leaflets.editing import form_text, parse_editable
from leaflets.errors import DataError, DataErrors
from leaflets.production import METHODS, PRICINGS, parse_production
from leaflets.products import PRODUCTS
from leaflets.shared import update

_REMOVE = object()  # an emptied optional field: its key leaves the file


@dataclass(frozen=True)
class Field:
    """One form field: where it lives in the file, what staff call it, how it is typed."""

    key: str  # the reader's error path and the form's name, e.g. "runs[1].quantity"
    table: tuple  # the path of its table in the document, e.g. ("runs", 0)
    name: str  # its key in that table
    label: str  # e.g. "포켓용 리플릿 · 주문 부수"
    kind: str  # "int", "number", "text", "date", "flag" or "choice"
    default: str = ""  # the form's value when the key is absent
    optional: bool = False  # an empty value removes the key
    options: tuple[tuple[str, str], ...] = ()  # (value, label) of a choice


# (name, label, kind, default, optional); a choice's options are filled in below
_RUN = (
    ("quantity", "주문 부수", "int", "", False),
    ("stock", "종이", "text", "", False),
    ("colours", "도수 (앞/뒤)", "text", "", False),
    ("method", "양면 인쇄 방식", "choice", "work-and-turn", False),
    ("overs_percent", "여분(파지) %", "number", "5", False),
    ("allocation", "배정액 (원)", "int", "", True),
    ("pricing", "값 매기는 방식", "choice", "build-up", False),
    ("quote", "견적표", "choice", "", True),
    ("send_imposed", "인쇄소 묶음에 판 앉힌 파일도 넣기", "flag", "", False),
)
_ORDER = (
    ("client", "발주처", "text", "", False),
    ("contact", "담당자", "text", "", False),
    ("delivery_place", "납품 장소", "text", "", False),
    ("delivery_date", "납품 일자", "date", "", True),
    ("vendor", "인쇄소", "text", "", False),
)
_NOT_A_NUMBER = {"int": "정수 (예: 10000, 쉼표는 써도 됨)", "number": "숫자 (예: 5 또는 2.5)"}


class FieldErrors(DataErrors):
    """Wrong values of the production form; ``by_field`` maps a field's key to its error."""

    def __init__(self, errors: list[DataError]):
        super().__init__(errors)
        self.by_field = {error.field: error for error in errors}


def form_fields(raw: bytes, path) -> list[tuple[str, list[Field]]]:
    """The form's groups of fields for the production file ``raw``, in page order."""
    doc, _ = parse_editable(raw, path)
    quotes = [q.get("name", "") for q in doc.get("prices", {}).get("quotes", [])]
    groups = []
    for index, run in enumerate(doc.get("runs", [])):
        product = PRODUCTS.get(run.get("product"))
        title = product.title.split(" (")[0] if product else str(run.get("product"))
        fields = []
        for name, label, kind, default, optional in _RUN:
            options = {"method": tuple(METHODS.items()), "pricing": tuple(PRICINGS.items()),
                       "quote": (("", "(없음)"), *((q, q) for q in quotes))}.get(name, ())
            fields.append(Field(f"runs[{index + 1}].{name}", ("runs", index), name,
                                f"{title} · {label}", kind, default, optional, options))
        groups.append((title, fields))
    groups.append(("발주 정보", [Field(f"order.{name}", ("order",), name, f"발주 정보 · {label}",
                                       kind, default, optional)
                                 for name, label, kind, default, optional in _ORDER]))
    groups.append(("예산", [Field("budget.allocation", ("budget",), "allocation",
                                  "예산 · 총 배정액 (원)", "int")]))
    groups.append(("가격표", [Field("prices.vat_included", ("prices",), "vat_included",
                                    "가격표 · 원가 계산 값에 부가세 포함", "flag")]))
    return groups


def form_values(raw: bytes, path) -> dict[str, str]:
    """Each field's value in the file, as the form shows it."""
    doc, _ = parse_editable(raw, path)
    values = {}
    for _, fields in form_fields(raw, path):
        for field in fields:
            table = _table(doc, field.table)
            value = table.get(field.name) if table is not None else None
            values[field.key] = field.default if value is None else _shown(field, value)
    return values


def save_production(path, expected: str, form: dict[str, str]) -> str:
    """Write the form's changed values into the production file; return its new version.

    Raises StaleEdit if the file is no longer at ``expected``, FieldErrors (nothing
    written) listing every wrong value."""

    def change(old: bytes) -> bytes:
        fields = [f for _, group in form_fields(old, path) for f in group]
        current = form_values(old, path)
        errors, changes = {}, {}
        for field in fields:
            if field.key not in form and field.kind != "flag":
                continue  # not on the form that was sent: left as it is
            try:
                value = _typed(field, form.get(field.key, ""), path)
            except DataError as wrong:
                errors[field.key] = wrong
                continue
            if _comparable(value) != _comparable(_typed(field, current[field.key], path)):
                changes[field] = value
        while True:
            doc, restore = parse_editable(old, path)
            for field, value in changes.items():
                _put(doc, field, value)
            new = restore(doc)
            try:
                parse_production(new, path)
                break
            except DataError as wrong:
                culprits = _culprits(wrong, changes)
                if not culprits:
                    raise
                for field in culprits:
                    del changes[field]
                key = wrong.field if wrong.field in current else culprits[0].key
                errors.setdefault(key, DataError(path, key, wrong.problem, value=wrong.value,
                                                 allowed=wrong.allowed))
        if errors:
            order = [f.key for f in fields]
            raise FieldErrors(sorted(errors.values(), key=lambda e: order.index(e.field)))
        return new

    return update(path, expected, change, lambda new: parse_production(new, path))


def _culprits(wrong: DataError, changes: dict) -> list[Field]:
    """The changes to set aside for the parser's error: the field it names, else the
    changes of the same table (a run's quote that no longer fits its new product)."""
    named = [f for f in changes if f.key == wrong.field]
    if named:
        return named
    table = re.match(r"^[a-z]+(\[\d+\])?", wrong.field or "")
    prefix = table.group() if table else ""
    return [f for f in changes if prefix and f.key.startswith(prefix)] or list(changes)


def _typed(field: Field, text: str, path):
    """The TOML value of a form field's text (_REMOVE for an emptied optional one)."""
    text = form_text(text)
    if field.kind == "flag":
        return text == "on"
    if not text and field.optional:
        return _REMOVE
    if field.kind in ("int", "number"):
        number = text.replace(",", "")
        try:
            return int(number) if field.kind == "int" or re.fullmatch(r"-?\d+", number) \
                else float(number)
        except ValueError:
            raise DataError(path, field.key, "숫자가 아닙니다", value=text,
                            allowed=_NOT_A_NUMBER[field.kind]) from None
    if field.kind == "date":
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise DataError(path, field.key, "날짜가 아닙니다", value=text,
                            allowed="2026-12-10 처럼 연-월-일, 미정이면 비워 두기") from None
    return text


def _comparable(value):
    return ("remove",) if value is _REMOVE else (type(value) is bool, value)


def _shown(field: Field, value) -> str:
    if field.kind == "flag":
        return "on" if value is True else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


def _table(doc, where: tuple):
    table = doc
    for step in where:
        try:
            table = table[step]
        except (KeyError, IndexError, TypeError):
            return None
    return table


def _put(doc, field: Field, value) -> None:
    """Set (or remove) one value; a new key goes after the table's last key, not after
    the comments that introduce the next table."""
    table = _table(doc, field.table)
    if table is None:  # e.g. no [budget] yet
        doc[field.table[0]] = table = tomlkit.table()
    if value is _REMOVE:
        if field.name in table:
            del table[field.name]
    elif field.name in table:
        table[field.name] = value
    else:
        keys = [key for key, _ in table.value.body if key is not None]
        if keys:
            table.value._insert_after(keys[-1].key, field.name, tomlkit.item(value))
        else:
            table[field.name] = value
