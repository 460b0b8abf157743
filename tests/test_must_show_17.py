"""Issue 17's `--format json`: the command prints exactly the shape the README
documents, with the README's own hand-computed example as the expected values."""

from __future__ import annotations

import json
import re

from leaflets.cli import main
from leaflets.project import ROOT
from tests.test_evaluation import ACTIVITIES_HEAD, counts_lines, write


def _documented() -> dict:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```json\n(.*?)```", readme, re.S)
    return json.loads(block)


def _shape(value):
    """Keys (in order) and value types, recursively; lists by their first item."""
    if isinstance(value, dict):
        return [(key, _shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return ["list", _shape(value[0]) if value else None]
    return type(value).__name__


def test_json_is_exactly_the_shape_and_the_example_the_readme_documents(tmp_path, capsys):
    counts = write(tmp_path / "실적.csv", counts_lines())  # 왕십리도선동 2,000 / 4,000: 1위
    activities = write(tmp_path / "활동.csv", [
        ACTIVITIES_HEAD,
        "왕십리도선동,2015-03-02,지역행사,봄 축제 부스",
        "왕십리도선동,2015-04-02,지역행사,구민의 날 부스",
        "왕십리도선동,2015-05-02,지역행사,어린이날 부스",  # a third time: 2 points at most twice
        "왕십리도선동,2015-07-01,특수사업,은행 협약",
    ])
    assert main(["evaluate", "--counts", str(counts), "--activities", str(activities),
                 "--year", "2015", "--ledger", str(tmp_path / "none.sqlite"),
                 "--gu", "407398,362095,23455", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    documented = _documented()
    assert _shape(printed) == _shape(documented)
    assert printed["period"] == documented["period"]
    assert printed["gu"] == documented["gu"]
    assert printed["dongs"][0] == documented["dongs"][0]  # every key and value, by hand
    assert len(printed["dongs"]) == 17
    assert all(_shape(entry) == _shape(documented["dongs"][0]) for entry in printed["dongs"]
               if entry["detail"]["special"])
    order = [(-entry["total"], entry["dong"]) for entry in printed["dongs"]]
    assert order == sorted(order)
