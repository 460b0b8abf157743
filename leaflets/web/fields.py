"""The edit forms as typed: their inputs, and each validation error placed at its input.

The content file names a wrong value by its path (``fees[2].counter``); an error
of the dongs file carries its 동 and key as data (``DataError.dong``, ``.key``).
A form shows it next to the input it came from,
under the name staff know it by ("가족관계증명서 · 민원창구 수수료"). What was typed
is kept exactly, to be shown again whatever the outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leaflets.dongs import FIELDS
from leaflets.errors import ContentOverflowError, DataError, LeafletsError

FEE_KEYS = ("counter", "kiosk", "online")
_FEE_FIELD = re.compile(r"^fees\[(\d+)\]\.(document|counter|kiosk|online)$")
_STEP_FIELD = re.compile(r"^howto\.steps\[(\d+)\]$")


@dataclass(frozen=True)
class FieldError:
    """One problem, at the input ``id`` (None: the form as a whole), named ``label``."""

    id: str | None
    label: str
    text: str

    def as_json(self) -> dict:
        return {"id": self.id, "label": self.label, "text": self.text}


@dataclass(frozen=True)
class FeeForm:
    """The fee form's inputs as typed: rows of four texts, the steps and the note."""

    rows: tuple[dict, ...]
    steps: tuple[str, ...]
    note: str

    @classmethod
    def from_content(cls, content) -> FeeForm:
        rows = [{"document": fee.document, **{key: str(getattr(fee, key)) for key in FEE_KEYS}}
                for fee in content.fees]
        return cls(tuple(rows), tuple(content.howto.steps), content.howto.note)

    @classmethod
    def from_request(cls, form) -> FeeForm:
        columns = [form.getlist(key) for key in ("document", *FEE_KEYS)]
        rows = [dict(zip(("document", *FEE_KEYS), values, strict=True))
                for values in zip(*columns, strict=False)]
        return cls(tuple(rows), tuple(form.getlist("step")), form.get("note", ""))

    def parsed(self, labels) -> tuple[list[dict], list[str], list[FieldError]]:
        """The fee rows and steps to save (blank rows and steps left out), and the
        amounts that are not numbers (taken as 0 so the rest is still checked)."""
        rows, errors = [], []
        for index, row in enumerate(self.rows):
            document = row["document"].strip()
            if not document:
                continue
            parsed = {"document": document}
            for key in FEE_KEYS:
                try:
                    parsed[key] = int(row[key].replace(",", "").strip())
                except ValueError:
                    parsed[key] = 0
                    errors.append(FieldError(
                        f"fee-{index}-{key}", f"{document} · {labels[key]} 수수료",
                        f"'{row[key]}'은(는) 숫자가 아닙니다 (원 단위 숫자만, 무료는 0)"))
            rows.append(parsed)
        return rows, [s for s in self.steps if s.strip()], errors

    def place(self, error: LeafletsError, labels) -> list[FieldError]:
        """Every problem of ``error`` at the input it belongs to."""
        kept = [i for i, row in enumerate(self.rows) if row["document"].strip()]
        steps = [i for i, step in enumerate(self.steps) if step.strip()]
        placed = []
        for one in _each(error):
            field = str(getattr(one, "field", "") or "")
            if match := _FEE_FIELD.match(field):
                number, key = int(match[1]), match[2]
                index = kept[number - 1] if number <= len(kept) else None
                document = self.rows[index]["document"].strip() if index is not None else ""
                name = (f"{labels[key]} 수수료" if key in FEE_KEYS else "서류 이름")
                placed.append(FieldError(None if index is None else f"fee-{index}-{key}",
                                         f"{document or f'{number}번째 줄'} · {name}",
                                         _problem(one)))
            elif match := _STEP_FIELD.match(field):
                number = int(match[1])
                index = steps[number - 1] if number <= len(steps) else None
                placed.append(FieldError(None if index is None else f"step-{index}",
                                         f"이용 방법 {number}단계", _problem(one)))
            elif field == "howto.note":
                placed.append(FieldError("note", "이용 방법 참고", _problem(one)))
            elif field == "howto.steps":
                placed.append(FieldError(None, "이용 방법", _problem(one)))
            else:
                placed.append(FieldError(None, field or "내용", _problem(one)))
        return placed


def dong_label(key: str | None) -> str | None:
    """The name the 동 form gives the key ``key`` of a 동's record (None: not one)."""
    if key in FIELDS:
        return FIELDS[key][0].removeprefix("동 ")
    return {"image": "로고·사진", "name": "동 이름"}.get(key)


def dong_errors(error: LeafletsError, dong: str, text=str) -> list[FieldError]:
    """Every problem of a 동 save at its input (``text`` words a non-field error)."""
    placed = []
    for one in _each(error):
        key = getattr(one, "key", None)
        if key in FIELDS or key == "image":
            placed.append(FieldError(f"f-{key}", f"{dong} · {dong_label(key)}", _problem(one)))
        elif isinstance(one, ContentOverflowError):  # the block is wider than its slot
            placed.append(FieldError(None, f"{dong} 자리", _problem(one)))
        else:
            placed.append(FieldError(None, dong, text(one)))
    return placed


def by_input(errors: list[FieldError]) -> dict[str, FieldError]:
    """The first problem of each input, for marking it."""
    marked = {}
    for error in errors:
        if error.id is not None:
            marked.setdefault(error.id, error)
    return marked


def _each(error):
    return getattr(error, "errors", None) or [error]


def _problem(error) -> str:
    """What is wrong and what would do, without the file's name (the form is the file)."""
    if not isinstance(error, DataError):
        return str(error)
    text = error.problem
    if error.allowed:
        text += f" (허용: {error.allowed})"
    return text
