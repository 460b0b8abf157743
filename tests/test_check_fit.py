"""`leaflets check` renders like `build`: an overflow that build rejects, check
rejects too, naming the product in Korean and the field to shorten."""

from __future__ import annotations

import pytest

from leaflets.cli import main
from leaflets.products import PRODUCTS
from tests.conftest import set_at as _set

# 60 characters: the longest step the content file accepts.
LONG_STEP = ("공인인증서로 신분확인을 하고 나서 필요한 민원 서류를 골라 "
             "신청서를 빠짐없이 작성한 뒤 제출 버튼을 누릅니다")
LONG_TITLE = "**민원24** 이용 방법 어렵지 않아요! 집에서도 회사에서도 누구나 쉽게 따라 할 수 있어요"
LONG_HEADLINE = ("언제 어디서나 이용 가능한 민원24는 편리하고 비용이 저렴합니다 "
                 "이제 집에서도 회사에서도 발급 받으세요")



@pytest.mark.parametrize(("path", "value", "product", "field"), [
    (["howto", "steps", 2], LONG_STEP, "poster-a4", "이용 방법 3단계 (howto.steps[3])"),
    (["pocket", "front_title"], LONG_TITLE, "pocket", "앞면 제목 (pocket.front_title)"),
    (["poster-a4", "headline"], LONG_HEADLINE, "poster-a4", "큰 제목 (poster-a4.headline)"),
])
def test_check_rejects_what_build_rejects(data_file, capsys, path, value, product, field):
    assert len(LONG_STEP) == 60
    data = data_file(_set(path, value))
    assert main(["check", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert f"'{PRODUCTS[product].title}'" in err, err
    assert f"넘친 항목: {field}" in err, err
    assert f"'{product}'" not in err  # the code name is not what staff call it


def test_check_and_build_agree_on_a_long_step(data_file, tmp_path, capsys):
    data = data_file(_set(["howto", "steps", 2], LONG_STEP))
    out = tmp_path / "dist"
    assert main(["check", "--data", str(data)]) == 2
    checked = capsys.readouterr().err
    assert main(["build", "--data", str(data), "--out", str(out)]) == 2
    built = capsys.readouterr().err
    message = f"'{PRODUCTS['poster-a4'].title}' 1쪽에 내용이 다 들어가지 않습니다"
    assert message in checked and message in built
    assert checked.splitlines()[0] == built.splitlines()[0]
    assert not out.exists()
