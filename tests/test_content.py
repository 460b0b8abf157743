"""minwon24.toml validation: every rule, the message it gives, exit code 2."""

from __future__ import annotations

import pytest
import tomlkit

from leaflets.cli import main
from leaflets.content import load_content, parse_content
from leaflets.errors import DataError, MissingGlyphError
from tests.conftest import DEFAULT_TEXT, content_with
from tests.conftest import set_at as _set


def test_defaults_reproduce_the_plan(default_content):
    fees = [(f.document, f.counter, f.kiosk, f.online) for f in default_content.fees]
    assert fees == [
        ("주민등록 등초본", 400, 200, 0),
        ("가족관계증명서", 1000, 500, 0),
        ("건축물대장", 500, 500, 0),
        ("자동차등록원부", 300, 300, 0),
        ("토지(임야)대장", 500, 500, 300),
    ]
    assert default_content.howto.steps == (
        "인터넷에서 『민원24』를 친후", "회원가입", "공인인증서로 신분확인",
        "민원 신청후 프린터로 출력",
    )
    assert default_content.service.url == "http://www.minwon.go.kr"
    assert default_content.poster.trim_mm == (210, 297)
    assert default_content.pocket.trim_mm == (105, 148)



def _delete(path):
    def edit(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return edit


def _fee_rows(count):
    def edit(doc):
        rows = tomlkit.aot()
        for number in range(count):
            rows.append(tomlkit.item({"document": f"서류 {number}", "counter": 100,
                                      "kiosk": 100, "online": 0}))
        doc["fees"] = rows
    return edit


INVALID = [
    # (id, edit, field named in the message, value shown)
    ("unknown-top-level", _set(["extra"], 1), "extra", None),
    ("unknown-fee-key", _set(["fees", 0, "price"], 1), "fees[1].price", None),
    ("missing-key", _delete(["service", "url"]), "service.url", None),
    ("missing-table", _delete(["howto"]), "howto", None),
    ("fee-as-text", _set(["fees", 1, "counter"], "1,000"), "fees[2].counter", "'1,000'"),
    ("fee-as-float", _set(["fees", 0, "kiosk"], 200.5), "fees[1].kiosk", "200.5"),
    ("fee-as-bool", _set(["fees", 0, "online"], True), "fees[1].online", "True"),
    ("fee-negative", _set(["fees", 2, "counter"], -500), "fees[3].counter", "-500"),
    ("fee-too-high", _set(["fees", 4, "kiosk"], 1_000_001), "fees[5].kiosk", "1000001"),
    ("empty-document", _set(["fees", 2, "document"], "  "), "fees[3].document", "'  '"),
    ("empty-headline", _set(["poster-a4", "headline"], ""), "poster-a4.headline", "''"),
    ("url-ftp", _set(["service", "url"], "ftp://www.minwon.go.kr"), "service.url",
     "'ftp://www.minwon.go.kr'"),
    ("url-no-scheme", _set(["service", "url"], "www.minwon.go.kr"), "service.url",
     "'www.minwon.go.kr'"),
    ("url-javascript", _set(["service", "url"], "javascript:alert(1)"), "service.url",
     "'javascript:alert(1)'"),
    ("url-too-long", _set(["service", "url"], "https://www.minwon.go.kr/" + "a" * 90),
     "service.url", None),
    ("duplicate-document", _set(["fees", 1, "document"], "주민등록 등초본"), "fees[2].document",
     "'주민등록 등초본'"),
    ("no-fee-rows", _set(["fees"], []), "fees", "0"),
    ("nine-fee-rows", _fee_rows(9), "fees", "9"),
    ("steps-empty", _set(["howto", "steps"], []), "howto.steps", "0"),
    ("steps-seven", _set(["howto", "steps"], ["단계"] * 7), "howto.steps", "7"),
    ("step-not-text", _set(["howto", "steps"], ["회원가입", 3]), "howto.steps[2]", "3"),
    ("trim-one-number", _set(["pocket", "trim_mm"], [105]), "pocket.trim_mm", "[105]"),
    ("trim-too-small", _set(["pocket", "trim_mm"], [10, 10]), "pocket.trim_mm", "[10, 10]"),
    ("trim-as-text", _set(["pocket", "trim_mm"], "A6"), "pocket.trim_mm", "'A6'"),
    ("text-too-long", _set(["pocket", "lead"], "가" * 501), "pocket.lead", None),
    ("table-not-table", _set(["qr"], "QR"), "qr", "'QR'"),
]


@pytest.mark.parametrize("edit, field, value", [case[1:] for case in INVALID],
                         ids=[case[0] for case in INVALID])
def test_invalid_content_is_refused(edit, field, value):
    with pytest.raises(DataError) as raised:
        content_with(edit, name="내용.toml")
    error = raised.value
    assert error.field == field
    message = str(error)
    assert message.startswith("내용.toml")
    assert f"'{field}'" in message
    if value is not None:
        assert value in message
    assert error.allowed or error.problem  # says what is wrong or what is allowed


@pytest.mark.parametrize("char, field, edit", [
    ("𠀀", "fees[1].document", lambda doc: doc["fees"][0].__setitem__("document", "등초본𠀀")),
    ("😀", "howto.steps[2]", lambda doc: doc["howto"].__setitem__(
        "steps", ["인터넷 접속", "회원가입😀"])),
    ("\u0e01", "qr.caption", lambda doc: doc["qr"].__setitem__("caption", "QR \u0e01")),
])
def test_characters_the_font_cannot_draw_are_input_errors(char, field, edit):
    with pytest.raises(MissingGlyphError) as raised:
        content_with(edit)
    assert raised.value.field == field
    assert raised.value.char == char
    assert f"U+{ord(char):04X}" in str(raised.value)


def test_toml_syntax_error_names_the_line():
    text = DEFAULT_TEXT.replace('counter = 400', 'counter = 400 원', 1)
    with pytest.raises(DataError) as raised:
        parse_content(text.encode(), "minwon24.toml")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "400 원" in row)
    assert raised.value.line == line
    assert f"minwon24.toml:{line}" in str(raised.value)


def test_non_utf8_file_is_refused():
    with pytest.raises(DataError, match="UTF-8"):
        parse_content(DEFAULT_TEXT.encode("cp949"), "minwon24.toml")


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="찾을 수 없습니다"):
        load_content(tmp_path / "없음.toml")


def test_check_command_exit_codes(data_file, capsys):
    assert main(["check", "--data", str(data_file())]) == 0
    assert "확인 완료" in capsys.readouterr().out
    bad = data_file(_set(["fees", 1, "counter"], -1), name="bad.toml")
    assert main(["check", "--data", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "fees[2].counter" in err and "-1" in err
    assert "0~1,000,000" in err
