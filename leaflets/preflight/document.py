"""Checks of the document as a whole, as ISO 15930-7 (PDF/X-4) states them:
encryption, identification and OutputIntent, Info and XMP metadata, Trapped,
actions and JavaScript, annotations, transfer functions and halftones."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from leaflets.preflight.base import PT_PER_MM, Finding

OWN_CREATOR = "leaflets"  # Info /Creator and xmp:CreatorTool of the project's own files

_NS = {"http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
       "http://purl.org/dc/elements/1.1/": "dc",
       "http://ns.adobe.com/xap/1.0/": "xmp",
       "http://ns.adobe.com/pdf/1.3/": "pdf",
       "http://www.npes.org/pdfx/ns/id/": "pdfxid"}
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def encryption(reader) -> str | None:
    """The name of the file's encryption ("RC4 128비트", "AES-128", "AES-256"), or None."""
    encrypt = reader.trailer.get("/Encrypt")
    if encrypt is None:
        return None
    encrypt = encrypt.get_object()
    version = int(encrypt.get("/V", 0))
    if version == 4:
        filters = encrypt.get("/CF") or {}
        chosen = filters.get(str(encrypt.get("/StmF", "/Identity"))) or {}
        method = str(chosen.get("/CFM", "/None"))
        name = {"/V2": f"RC4 {int(chosen.get('/Length', 16)) * 8}비트", "/AESV2": "AES-128",
                "/AESV3": "AES-256"}.get(method, f"암호화 방식 {method.lstrip('/')}")
    elif version == 5:
        name = "AES-256"
    else:
        name = f"RC4 {int(encrypt.get('/Length', 40))}비트"
    handler = str(encrypt.get("/Filter", "/Standard"))
    return name if handler == "/Standard" else f"{name} ({handler.lstrip('/')} 보안 처리기)"


def xmp_values(reader) -> dict[str, str] | None:
    """The XMP packet's simple properties, as {"dc:title": ..., "pdf:Producer": ...};
    None when the file has no XMP, {} when it cannot be read."""
    metadata = reader.trailer["/Root"].get("/Metadata")
    if metadata is None:
        return None
    try:
        root = ET.fromstring(metadata.get_object().get_data())
    except (ET.ParseError, ValueError, AttributeError):
        return {}
    values = {}
    for description in root.iter(f"{_RDF}Description"):
        for key, value in description.attrib.items():
            if (name := _prefixed(key)) is not None:
                values.setdefault(name, value)
        for child in description:
            name = _prefixed(child.tag)
            if name is None:
                continue
            items = list(child.iter(f"{_RDF}li"))
            if items:
                default = [li for li in items if li.get(_XML_LANG) == "x-default"]
                values.setdefault(name, ((default or items)[0].text or "").strip())
            else:
                values.setdefault(name, (child.text or "").strip())
    return values


def _prefixed(tag: str) -> str | None:
    if not tag.startswith("{"):
        return None
    uri, local = tag[1:].split("}", 1)
    return f"{_NS[uri]}:{local}" if uri in _NS else None


def _info(reader) -> dict:
    info = reader.trailer.get("/Info")
    return info.get_object() if info is not None else {}


def is_own(reader) -> bool:
    """The file says it was made by this project (Info /Creator or xmp:CreatorTool)."""
    creators = [str(_info(reader).get("/Creator", "")),
                (xmp_values(reader) or {}).get("xmp:CreatorTool", "")]
    return any(creator.startswith(OWN_CREATOR) for creator in creators)


def check_encryption(doc):
    """No encryption of any kind (a RIP will not open a protected file)."""
    name = encryption(doc.reader)
    if name is not None:
        yield Finding("encryption", False, "문서",
                      f"암호화된 파일입니다 ({name}): 암호를 풀어 다시 저장해야 합니다")


def _version(text: str) -> tuple[int, ...] | None:
    match = re.fullmatch(r"\s*/?(\d+)\.(\d+)\s*", text)
    return (int(match[1]), int(match[2])) if match else None


def check_pdfx(doc):
    """PDF 1.6 or lower, PDF/X-4 named in the XMP, an OutputIntent with a valid
    output (prtr) CMYK ICC profile."""
    header = doc.reader.pdf_header.removeprefix("%PDF-")
    declared = doc.reader.trailer["/Root"].get("/Version")
    for label, text in (("머리글", header), ("카탈로그 /Version", declared)):
        if text is None:
            continue
        version = _version(str(text))
        if version is None or version > (1, 6):
            yield Finding("pdfx", False, "문서",
                          f"PDF 버전 {str(text).lstrip('/')} ({label}; PDF/X-4는 1.6 이하)")
    xmp = xmp_values(doc.reader)
    if xmp is None:
        yield Finding("pdfx", False, "문서", "XMP 메타데이터가 없습니다 (PDF/X-4 필수)")
    elif not xmp.get("pdfxid:GTS_PDFXVersion", "").startswith("PDF/X-4"):
        yield Finding("pdfx", False, "문서",
                      "XMP에 PDF/X-4 표시(pdfxid:GTS_PDFXVersion)가 없습니다")
    root = doc.reader.trailer["/Root"]
    intents = [i.get_object() for i in root.get("/OutputIntents", [])]
    pdfx = [i for i in intents if i.get("/S") == "/GTS_PDFX"]
    if not pdfx:
        yield Finding("pdfx", False, "문서", "출력 인텐트(OutputIntent, GTS_PDFX)가 없습니다")
        return
    profile = pdfx[0].get("/DestOutputProfile")
    if profile is None:
        yield Finding("pdfx", False, "문서", "출력 인텐트에 ICC 프로파일이 없습니다")
        return
    profile = profile.get_object()
    for problem in profile_problems(profile.get_data(), int(profile.get("/N", 0))):
        yield Finding("pdfx", False, "문서 출력 인텐트", problem)


def profile_problems(data: bytes, components: int = 4) -> list[str]:
    """What makes ``data`` unfit as a PDF/X-4 output profile: not ICC, a declared size
    other than its length, not an output (prtr) profile, not CMYK, not v2 or v4."""
    if len(data) < 132 or data[36:40] != b"acsp":
        return ["ICC 프로파일이 아닙니다 (머리글에 acsp 없음)"]
    problems = []
    size = int.from_bytes(data[:4], "big")
    if size != len(data):
        problems.append(f"ICC 프로파일 크기 표시 {size:,}바이트 ≠ 실제 {len(data):,}바이트")
    kind, space = data[12:16], data[16:20]
    if kind != b"prtr":
        problems.append(f"ICC 프로파일 종류가 {kind.decode('latin-1').strip()!r}입니다 "
                        "(인쇄 출력용 prtr 이어야 합니다)")
    if space != b"CMYK" or components != 4:
        problems.append(f"출력 프로파일이 CMYK가 아닙니다 (성분 {components}개, "
                        f"색공간 {space.decode('latin-1').strip()})")
    if data[8] not in (2, 4):
        problems.append(f"ICC 버전 {data[8]} (2 또는 4여야 합니다)")
    return problems


_PDF_DATE = re.compile(r"D:(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?"
                       r"(?:([Zz])|([+-])(\d\d)'?(\d\d)?'?)?")


def _pdf_date(text: str) -> dt.datetime | None:
    match = _PDF_DATE.match(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(v) if v else d for v, d in
                                              zip(match.groups()[:6], (0, 1, 1, 0, 0, 0),
                                                  strict=True))
    zone = None
    if match[7]:
        zone = dt.UTC
    elif match[8]:
        offset = dt.timedelta(hours=int(match[9]), minutes=int(match[10] or 0))
        zone = dt.timezone(offset if match[8] == "+" else -offset)
    try:
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None


def _xmp_date(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _same_date(info: str, xmp: str) -> bool:
    a, b = _pdf_date(info), _xmp_date(xmp)
    if a is None or b is None:
        return False
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return a == b


_PAIRS = (("/Title", "dc:title", "제목"), ("/CreationDate", "xmp:CreateDate", "만든 날짜"),
          ("/ModDate", "xmp:ModifyDate", "고친 날짜"), ("/Producer", "pdf:Producer", "Producer"))


def check_metadata(doc):
    """Each of Title, CreationDate, ModDate and Producer in the Info dictionary has the
    same value in the XMP (ISO 15930-7 6.7.2)."""
    info, xmp = _info(doc.reader), xmp_values(doc.reader) or {}
    for key, prop, label in _PAIRS:
        if key not in info:
            continue
        value = str(info[key])
        other = xmp.get(prop)
        if other is None:
            yield Finding("metadata", False, "문서",
                          f"{label}: 문서 정보 {key[1:]} {value!r}가 XMP({prop})에 없습니다")
            continue
        same = _same_date(value, other) if "Date" in key else value == other
        if not same:
            yield Finding("metadata", False, "문서",
                          f"{label}: 문서 정보 {key[1:]} {value!r} ≠ XMP {prop} {other!r}")


def check_trapped(doc):
    """Trapped is True or False (not Unknown, not missing), the same in Info and XMP."""
    info = str(_info(doc.reader).get("/Trapped", "")).lstrip("/")
    xmp = (xmp_values(doc.reader) or {}).get("pdf:Trapped")
    if not info and xmp is None:
        yield Finding("trapped", False, "문서",
                      "Trapped 값이 없습니다 (True 또는 False여야 합니다)")
        return
    for where, value in (("문서 정보", info), ("XMP", xmp)):
        if value and value not in ("True", "False"):
            yield Finding("trapped", False, "문서",
                          f"{where}의 Trapped = {value} (True 또는 False여야 합니다)")
    if info and xmp is not None and info != xmp:
        yield Finding("trapped", False, "문서", f"Trapped: 문서 정보 {info} ≠ XMP {xmp}")


def _objects(reader):
    """Every dictionary (streams included) reachable from the catalog, each once."""
    seen, stack = set(), [reader.trailer.raw_get("/Root")]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            yield obj
            stack.extend(value for key, value in obj.items() if key != "/Parent")
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


# Actions that run code or change the document; /GoTo and /URI change nothing printed.
_FORBIDDEN_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ResetForm", "/ImportData",
                      "/Sound", "/Movie", "/Rendition", "/Hide", "/SetOCGState", "/Trans",
                      "/GoTo3DView"}


def check_actions(doc):
    """No JavaScript, no OpenAction, no additional actions (AA), no action that runs
    something (ISO 15930-7 6.6)."""
    root = doc.reader.trailer["/Root"]
    found = []
    if "/OpenAction" in root:
        action = root["/OpenAction"]
        kind = action.get("/S", "") if isinstance(action, DictionaryObject) else "쪽 이동"
        found.append(f"문서를 열 때 실행되는 동작(OpenAction) {str(kind).lstrip('/')}")
    if "/JavaScript" in (root.get("/Names") or {}):
        found.append("문서 JavaScript(Names /JavaScript)")
    for obj in _objects(doc.reader):
        if "/AA" in obj:
            found.append("자동 실행 동작(AA)")
        kind = obj.get("/S")
        if "/JS" in obj or (isinstance(kind, str) and kind in _FORBIDDEN_ACTIONS):
            found.append(f"{str(kind or '/JavaScript').lstrip('/')} 동작")
    for detail in dict.fromkeys(found):
        yield Finding("actions", False, "문서", detail)


def check_annotations(doc):
    """No annotation inside the BleedBox, other than PrinterMark and TrapNet."""
    for number, page in enumerate(doc.reader.pages, start=1):
        bleed, trim = doc.bleed_box(number), doc.trim_box(number)
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            subtype = str(annotation.get("/Subtype", "/?"))
            if subtype in ("/PrinterMark", "/TrapNet") or "/Rect" not in annotation:
                continue
            rect = [float(v) for v in annotation["/Rect"]]
            left, right = sorted(rect[0::2])
            bottom, top = sorted(rect[1::2])
            if right <= bleed[0] or left >= bleed[2] or top <= bleed[1] or bottom >= bleed[3]:
                continue
            yield Finding("annotations", False, f"{number}쪽",
                          f"{subtype.lstrip('/')} 주석이 도련 상자 안에 있습니다 "
                          f"(재단선 기준 x {(left - trim[0]) / PT_PER_MM:.1f} mm, "
                          f"y {(trim[3] - top) / PT_PER_MM:.1f} mm)")


def check_transfer(doc):
    """No transfer function (TR, TR2 other than Default) and no halftone (HT) in any
    graphics state: the vendor's RIP sets the screening and the curves."""
    found = []
    for obj in _objects(doc.reader):
        if "/TR" in obj:
            found.append("그래픽 상태에 전달 함수(TR)가 있습니다")
        if "/TR2" in obj and str(obj["/TR2"]) != "/Default":
            found.append("그래픽 상태에 전달 함수(TR2)가 있습니다")
        if "/HT" in obj and str(obj["/HT"]) != "/Default":
            found.append("그래픽 상태에 망점 설정(HT, halftone)이 있습니다")
    for detail in dict.fromkeys(found):
        yield Finding("transfer", False, "문서", detail)
