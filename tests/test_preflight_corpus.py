"""A corpus of broken print files: each is the project's own pocket print PDF with
exactly one defect a vendor's PDF/X-4 preflight would reject, and each must fail
exactly the matching check, with a Korean reason, and without a traceback.
A valid PDF/X-4 made outside the project's templates (no QR code) passes.
"""

from __future__ import annotations

import io
import json
import re

import pypdf
import pytest
import weasyprint
from pypdf.annotations import Link
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from leaflets.cli import main
from leaflets.fetcher import ProjectFetcher
from leaflets.preflight import format_report, preflight
from leaflets.project import FONTS, PROFILE, ROOT

URL = "http://www.minwon.go.kr"
SPOT = "PANTONE 185 C"


@pytest.fixture(scope="module")
def pocket(renderer, default_content):
    """The project's own pocket leaflet print file, as `leaflets build` makes it."""
    return renderer.render(default_content, "pocket", "print").pdf


def _edit(pdf, change, header=None):
    """Apply ``change(writer)`` to a copy of ``pdf`` (keeping its PDF version)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    writer = pypdf.PdfWriter(clone_from=reader)
    writer.pdf_header = header or reader.pdf_header
    change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _resource(writer, page, kind, name, value):
    resources = page["/Resources"]
    group = resources.setdefault(NameObject(kind), DictionaryObject())
    group.get_object()[NameObject(name)] = writer._add_object(value) \
        if isinstance(value, DecodedStreamObject) else value


def _draw(writer, content: bytes, page_index=0):
    """Append ``content`` to a page, in default user space (the page's own content is
    wrapped in q ... Q first) from the trim's lower-left corner. The pieces go to the
    blank lower right of the cover, clear of the QR code."""
    page = writer.pages[page_index]
    left, bottom = (float(v) for v in page["/TrimBox"][:2])
    streams = []
    for data in (b"q\n", b"\nQ\n", b"1 0 0 1 %f %f cm\n" % (left, bottom) + content):
        stream = DecodedStreamObject()
        stream.set_data(data)
        streams.append(writer._add_object(stream))
    contents = page.raw_get("/Contents")
    items = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) \
        else [contents]
    page[NameObject("/Contents")] = ArrayObject([streams[0], *items, streams[1], streams[2]])
    return page


def _encrypt(algorithm):
    def change(writer):
        writer.encrypt(user_password="", owner_password="vendor", algorithm=algorithm)
    return change


def _javascript_open_action(writer):
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"),
        NameObject("/JS"): TextStringObject("app.alert('hello');")})


def _link_in_trim(writer):
    left, bottom = (float(v) for v in writer.pages[0]["/TrimBox"][:2])
    writer.add_annotation(0, Link(rect=(left + 40, bottom + 40, left + 140, bottom + 60),
                                  url="http://example.com/"))


def _info(writer, key, value):
    def change(writer):
        writer._info.get_object()[NameObject(key)] = value
    return change


def _xmp(pattern, replacement):
    def change(writer):
        stream = writer._root_object["/Metadata"].get_object()
        data = stream.get_data().decode("utf-8")
        changed = re.sub(pattern, replacement, data)
        assert changed != data, pattern
        stream.set_data(changed.encode("utf-8"))
    return change


def _lab_fill(writer):
    page = _draw(writer, b"/LabX cs 60 20 30 sc 220 15 30 30 re f")
    _resource(writer, page, "/ColorSpace", "/LabX", ArrayObject([
        NameObject("/Lab"), DictionaryObject({NameObject("/WhitePoint"): ArrayObject(
            [FloatObject(0.9642), FloatObject(1), FloatObject(0.8249)])})]))


def _hairline(writer):
    _draw(writer, b"0 0 0 1 K 0.05 w 150 20 m 280 20 l S")


def _white_overprint(writer):
    page = _draw(writer, b"/OPX gs 0 0 0 0 k 220 15 30 30 re f")
    _resource(writer, page, "/ExtGState", "/OPX", DictionaryObject({
        NameObject("/Type"): NameObject("/ExtGState"), NameObject("/OP"): BooleanObject(True),
        NameObject("/op"): BooleanObject(True), NameObject("/OPM"): NumberObject(1)}))


def _spot(name):
    tint = DictionaryObject({
        NameObject("/FunctionType"): NumberObject(2),
        NameObject("/Domain"): ArrayObject([FloatObject(0), FloatObject(1)]),
        NameObject("/C0"): ArrayObject([FloatObject(0)] * 4),
        NameObject("/C1"): ArrayObject([FloatObject(0), FloatObject(0.8), FloatObject(0.7),
                                        FloatObject(0)]),
        NameObject("/N"): NumberObject(1)})
    return ArrayObject([NameObject("/Separation"), NameObject("/" + name),
                        NameObject("/DeviceCMYK"), tint])


def _spot_text(name, where=(200, 20)):
    def change(writer):
        page = writer.pages[0]
        font = next(iter(page["/Resources"]["/Font"]))
        _draw(writer, b"BT /SpotX cs 1 scn %s 14 Tf 1 0 0 1 %d %d Tm <0494> Tj ET"
              % (font.encode(), *where))
        _resource(writer, page, "/ColorSpace", "/SpotX", _spot(name))
    return change


def _qr_in_four_colours(writer):
    """Recolour the QR code's modules (the K fill followed by the most path segments) to
    C50 M50 Y50 K100: 250 %, under the ink limit, but four plates to register."""
    for page in writer.pages:
        stream = page["/Contents"].get_object()
        data = stream.get_data()
        sets = [m for m in re.finditer(rb"0 0 0 1 (?:scn|sc|k)\n", data)]
        if not sets:
            continue
        ends = [m.start() for m in sets[1:]] + [len(data)]
        counts = [data[m.end():end].count(b" re\n") + data[m.end():end].count(b" l\n")
                  for m, end in zip(sets, ends, strict=True)]
        best = max(range(len(sets)), key=counts.__getitem__)
        if counts[best] > 100:  # a QR code has hundreds of modules
            match = sets[best]
            stream.set_data(data[:match.start()] + b"0.5 0.5 0.5 1 scn\n" + data[match.end():])
            return
    raise AssertionError("no QR code found in the content streams")


def _transfer_function(writer):
    page = _draw(writer, b"/TRX gs")
    _resource(writer, page, "/ExtGState", "/TRX", DictionaryObject({
        NameObject("/Type"): NameObject("/ExtGState"), NameObject("/TR"): NameObject("/Identity")}))


def _profile_not_output(writer):
    intent = writer._root_object["/OutputIntents"][0].get_object()
    profile = intent["/DestOutputProfile"].get_object()
    data = bytearray(profile.get_data())
    data[12:16] = b"scnr"  # an input (scanner) profile
    replacement = DecodedStreamObject()
    replacement.set_data(bytes(data))
    replacement[NameObject("/N")] = NumberObject(4)
    intent[NameObject("/DestOutputProfile")] = writer._add_object(replacement)


def _registration_in_trim(writer):
    page = _draw(writer, b"/RegX cs 0.5 scn 220 15 30 30 re f")
    _resource(writer, page, "/ColorSpace", "/RegX", _spot("All"))


CASES = {
    # id: (edit of the pocket print file, PDF header, the check that fails, words of its reason)
    "rc4-128": (_encrypt("RC4-128"), None, "encryption", "RC4 128비트"),
    "aes-128": (_encrypt("AES-128"), None, "encryption", "AES-128"),
    "aes-256": (_encrypt("AES-256"), None, "encryption", "AES-256"),
    "javascript-open-action": (_javascript_open_action, None, "actions", "OpenAction"),
    "link-annotation-in-trim": (_link_in_trim, None, "annotations", "Link 주석이 도련 상자 안"),
    "trapped-unknown": (_info(None, "/Trapped", NameObject("/Unknown")), None, "trapped",
                        "Trapped = Unknown"),
    "pdfxid-removed-from-xmp": (_xmp(r"<pdfxid:GTS_PDFXVersion>[^<]*</pdfxid:GTS_PDFXVersion>",
                                     ""), None, "pdfx", "pdfxid:GTS_PDFXVersion"),
    "info-title-differs": (_info(None, "/Title", TextStringObject("다른 제목")), None,
                           "metadata", "제목: 문서 정보 Title '다른 제목' ≠ XMP"),
    "creation-date-differs": (_info(None, "/CreationDate",
                                    TextStringObject("D:20240101090000+09'00'")), None,
                              "metadata", "만든 날짜"),
    "lab-fill": (_lab_fill, None, "spot_lab", "Lab 색"),
    "hairline-0.05pt": (_hairline, None, "hairlines", "선 두께 0.05pt"),
    "white-overprint": (_white_overprint, None, "overprint", "흰색 면"),
    "pantone-spot-text": (_spot_text(SPOT), None, "spot_lab", f"별색 {SPOT}"),
    "qr-250-percent": (_qr_in_four_colours, None, "qr", "합 250%"),
    "transfer-function": (_transfer_function, None, "transfer", "전달 함수(TR)"),
    "pdf-1.7": (lambda writer: None, "%PDF-1.7", "pdfx", "PDF 버전 1.7"),
    "input-profile-as-output-intent": (_profile_not_output, None, "pdfx", "prtr"),
    "registration-colour-in-trim": (_registration_in_trim, None, "spot_lab",
                                    "맞춤색(Separation /All)이 재단선 안"),
}


def test_the_project_print_file_passes(pocket):
    report = preflight(pocket, "pocket", url=URL)
    assert report.passed, format_report(report)


@pytest.fixture(scope="module")
def broken(pocket):
    """Each case's file, made once."""
    return {case: _edit(pocket, edit, header) for case, (edit, header, _, _) in CASES.items()}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_each_defect_fails_its_own_check(broken, case, keep_on_failure):
    _, _, expected, reason = CASES[case]
    pdf = broken[case]
    keep_on_failure(case, pdf)
    report = preflight(pdf, case, url=URL)
    assert report.failed_checks() == [expected], format_report(report)
    assert any(reason in f"{f.where} {f.detail}" for f in report.failures(expected)), \
        format_report(report)


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_command_reports_each_defect_without_a_traceback(broken, case, tmp_path, capsys):
    path = tmp_path / f"{case}.pdf"
    path.write_bytes(broken[case])
    assert main(["preflight", str(path), "--qr", URL, "--format", "json"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    (entry,) = json.loads(out)["files"]
    assert entry["passed"] is False and entry["failed"] == [CASES[case][2]]
    statuses = {check["check"]: check["status"] for check in entry["checks"]}
    if CASES[case][2] == "encryption":  # a locked file is not opened further
        assert set(statuses.values()) == {"fail", "not_run"}
    assert main(["preflight", str(path), "--qr", URL]) == 1
    out, err = capsys.readouterr()
    assert "실패" in out and "불합격" in out and "Traceback" not in out + err


def test_a_spot_colour_the_job_lists_is_allowed(broken):
    pdf = broken["pantone-spot-text"]
    assert preflight(pdf, "spot", url=URL, spots=(SPOT,)).passed
    assert preflight(pdf, "spot", url=URL, spots=("PANTONE 286 C",)).failed_checks() \
        == ["spot_lab"]


def test_registration_colour_is_allowed_on_a_press_sheet(broken, tmp_path, capsys):
    """On an imposed sheet the registration colour marks anywhere, and its 400 % is
    no ink on the customer's paper."""
    pdf = broken["registration-colour-in-trim"]
    report = preflight(pdf, "sheet", url=URL, sheet=True)
    assert report.passed, format_report(report)
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    assert main(["preflight", str(path), "--sheet"]) == 0
    assert main(["preflight", str(path)]) == 1
    assert "맞춤색" in capsys.readouterr().out


@pytest.fixture(scope="module")
def elsewhere(renderer, tmp_path_factory):
    """A valid PDF/X-4 made without the project's templates or finisher: WeasyPrint's
    own PDF/X-4 variant, the FOGRA39 profile from an @color-profile rule, no QR code."""
    folder = tmp_path_factory.mktemp("elsewhere")
    (folder / "output.icc").write_bytes(PROFILE.read_bytes())
    page = ("<html lang='ko'><head><title>동 소식</title><style>"
            "@font-face { font-family: S; src: url(fonts/NanumSquareR.ttf) }"
            f"@color-profile device-cmyk {{ src: url({folder}/output.icc); "
            "components: cyan, magenta, yellow, black }"
            "@page { size: 105mm 148mm; margin: 0; bleed: 3mm }"
            "body { margin: 0; font-family: S; font-size: 14pt; color: device-cmyk(0 0 0 1) }"
            "div { position: absolute; left: 10mm; top: 30mm; width: 60mm; height: 20mm;"
            " background: device-cmyk(0.88 0.35 0 0) }"
            "</style></head><body><p style='position: absolute; left: 10mm; top: 10mm'>"
            "동 주민센터 소식</p><div></div></body></html>")
    fetcher = ProjectFetcher([FONTS, folder])
    document = weasyprint.HTML(string=page, base_url=f"{ROOT}/", url_fetcher=fetcher)
    return document.render(font_config=renderer.fonts).write_pdf(pdf_variant="pdf/x-4")


def test_a_valid_pdfx4_made_elsewhere_without_a_qr_code_passes(elsewhere, tmp_path, capsys):
    report = preflight(elsewhere, "elsewhere.pdf", url=URL)
    assert report.passed, format_report(report)
    path = tmp_path / "elsewhere.pdf"
    path.write_bytes(elsewhere)
    assert main(["preflight", str(path)]) == 0
    capsys.readouterr()
    # asked for a code, the same file fails for the want of one
    assert main(["preflight", str(path), "--qr", URL, "--format", "json"]) == 1
    (entry,) = json.loads(capsys.readouterr().out)["files"]
    assert entry["failed"] == ["qr"]
