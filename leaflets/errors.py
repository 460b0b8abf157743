"""The exception hierarchy.

Every error a user can cause is a :class:`LeafletsError`. Each carries the
facts needed to fix it (file, field, value, what is allowed) and renders
them as one Korean sentence; the CLI prints that and exits with code 2.
"""

from __future__ import annotations


class LeafletsError(Exception):
    """Base class for every error caused by input or by content."""

    def __reduce__(self):
        # Subclasses take their own arguments: rebuild from the state instead, so an
        # error raised in a worker process arrives whole (type, fields and message).
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls, args, state):
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class DataError(LeafletsError, ValueError):
    """A value in a data file is wrong.

    ``field`` is a dotted path such as ``fees[2].counter`` (1-based rows, as
    a staff member counts them); ``allowed`` says what would be accepted.
    In a dongs file, ``dong`` is the 동 whose record is wrong (None while its
    name itself is wrong) and ``key`` the key of that record (``phone``,
    ``centre``, ``image``, ``name``): the web forms place the error by these,
    never by reading ``field``.
    """

    def __init__(self, path, field, problem, *, value=None, allowed=None, line=None,
                 dong=None, key=None):
        self.path = str(path)
        self.field = field
        self.problem = problem
        self.value = value
        self.allowed = allowed
        self.line = line
        self.dong = dong
        self.key = key
        super().__init__(self._message())

    def of_dong(self, dong: str | None, key: str) -> DataError:
        """This error, noted as one of ``dong``'s record at ``key`` (unless already)."""
        if self.key is None:
            self.dong, self.key = dong, key
        return self

    def _message(self):
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        parts = [f"{where}: '{self.field}' 항목 오류 — {self.problem}"]
        if self.value is not None:
            parts.append(f"입력값: {self.value!r}")
        if self.allowed:
            parts.append(f"허용: {self.allowed}")
        return ". ".join(parts)


class DataErrors(DataError):
    """Several values of one file are wrong (one message lists them all)."""

    def __init__(self, errors: list[DataError]):
        self.errors = tuple(errors)
        first = errors[0]
        self.path, self.field, self.problem = first.path, first.field, first.problem
        self.value, self.allowed, self.line = first.value, first.allowed, first.line
        self.dong, self.key = first.dong, first.key
        lines = [f"{self.path}: 오류 {len(errors)}건 — 모두 고친 뒤 다시 해 주세요"]
        lines += [f"  {number}. {error}" for number, error in enumerate(errors, start=1)]
        ValueError.__init__(self, "\n".join(lines))

    def _message(self):
        return str(self)


class MissingGlyphError(DataError):
    """A character in the data cannot be drawn by the project's fonts."""

    def __init__(self, path, field, char, text):
        self.char = char
        super().__init__(
            path,
            field,
            f"글꼴에 없는 글자 '{char}' (U+{ord(char):04X})가 있습니다. "
            "인쇄하면 빈 네모로 나오므로 다른 글자로 바꿔 주세요",
            value=text,
        )


class ContentOverflowError(LeafletsError):
    """Content does not fit on its page.

    ``product`` is the product's code name (``poster-a4``); the message names it as
    staff do (its Korean title) and, when known, the ``field`` to shorten.
    """

    def __init__(self, product, page, detail, advice="문구를 줄이거나 수수료 행을 줄여 주세요",
                 *, field=None):
        from leaflets.products import PRODUCTS

        self.product = product
        self.page = page
        self.detail = detail
        self.advice = advice
        self.field = field
        title = PRODUCTS[product].title if product in PRODUCTS else product
        fix = f"넘친 항목: {field} — 이 문구를 줄여 주세요" if field else advice
        super().__init__(f"'{title}' {page}쪽에 내용이 다 들어가지 않습니다 ({detail}). {fix}")

    def naming(self, field) -> ContentOverflowError:
        """The same error, naming the content ``field`` that overflows."""
        return ContentOverflowError(self.product, self.page, self.detail, self.advice,
                                    field=str(field))


class OutputError(LeafletsError, OSError):
    """The output folder cannot be written."""
