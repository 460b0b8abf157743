"""The ``leaflets`` command line.

Library code raises :class:`~leaflets.errors.LeafletsError`; this module is
the one place that turns it into a Korean message and exit code 2.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
from pathlib import Path

from leaflets import __version__
from leaflets.errors import LeafletsError
from leaflets.project import DEFAULT_DATA, DEFAULT_OUT

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse with Korean usage errors and exit code 2."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"오류: 명령어 사용법이 틀렸습니다 ({message}). "
                              f"'{self.prog} --help' 로 사용법을 볼 수 있습니다.\n")


def cmd_check(args) -> int:
    """내용 파일(minwon24.toml)에 틀린 곳이 없는지 검사만 합니다. 아무 파일도 만들지 않습니다.

    예) leaflets check
        leaflets check --data 새수수료.toml
    """
    from leaflets.content import load_content

    content = load_content(args.data)
    print(f"확인 완료: {args.data} — 수수료 {len(content.fees)}행, "
          f"이용 방법 {len(content.howto.steps)}단계, QR 주소 {content.service.url}")
    return EXIT_OK


def cmd_build(args) -> int:
    """포스터(A4)와 포켓용 리플릿을 만들어 출력 폴더에 저장합니다.

    만드는 파일:
      print/제품.pdf   인쇄소에 보낼 인쇄용 PDF (PDF/X-4, CMYK, 도련·재단선 포함)
      제품.pdf         홈페이지·이메일용 화면 PDF (RGB)
      제품-pN.png      쪽마다 미리보기
      manifest.json    만든 파일 목록
    인쇄용 PDF는 사전 검사(preflight)를 통과해야 저장됩니다.
    도중에 오류가 나면 출력 폴더는 이전 상태 그대로 남습니다.

    예) leaflets build
        leaflets build --data minwon24.toml --out dist/
    """
    from leaflets.build import PreflightFailed, build
    from leaflets.preflight import format_report

    started = time.perf_counter()
    try:
        result = build(args.data, args.out)
    except PreflightFailed as failure:
        for report in failure.reports:
            print(format_report(report), file=sys.stderr)
        print(f"오류: {failure}", file=sys.stderr)
        print("아무 파일도 바꾸지 않았습니다.", file=sys.stderr)
        return EXIT_FAIL
    elapsed = time.perf_counter() - started
    print(f"완료: {len(result.artifacts)}개 파일을 {result.out_dir}/ 에 만들었습니다 "
          f"({elapsed:.1f}초).")
    for artifact in result.artifacts:
        side = f" {artifact.side}" if artifact.side else ""
        print(f"  {artifact.path:<22} {artifact.kind:<10} {artifact.product}{side}")
    return EXIT_OK


def cmd_preflight(args) -> int:
    """PDF 파일을 인쇄소 사전 검사(preflight)처럼 검사하고 표로 보여 줍니다.

    검사 항목: PDF/X-4와 CMYK 출력 인텐트, 재단·도련 상자, 글꼴 포함, RGB 색,
    이미지 해상도, 잉크 총량, 작은 글자의 잉크 수, QR코드, 안전 여백.
    모두 통과하면 종료 코드 0, 하나라도 실패하면 1입니다.
    QR코드 주소는 내용 파일(--data)의 service.url 과 비교합니다.

    예) leaflets preflight dist/print/pocket.pdf
        leaflets preflight dist/print/*.pdf --bleed 3
    """
    from leaflets.content import load_content
    from leaflets.preflight import PreflightError, format_report, preflight

    url = load_content(args.data).service.url
    passed = True
    for path in args.files:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise PreflightError(f"{path}: 파일을 읽을 수 없습니다 ({error.strerror})") from None
        report = preflight(data, str(path), bleed_mm=args.bleed, safe_mm=args.safe, url=url)
        print(format_report(report))
        passed &= report.passed
    return EXIT_OK if passed else EXIT_FAIL


COMMANDS = {
    "check": (cmd_check, "내용 파일 검사 (파일을 만들지 않음)"),
    "build": (cmd_build, "인쇄용·화면용 PDF와 미리보기 만들기"),
    "preflight": (cmd_preflight, "PDF를 인쇄소 사전 검사처럼 검사"),
}


def _millimetres(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"숫자(mm)가 아닙니다: {text!r}") from None
    if not 0 <= value <= 50:
        raise argparse.ArgumentTypeError(f"0~50 mm 사이여야 합니다: {text}")
    return value


def _add_help_option(parser):
    parser._positionals.title = "명령"
    parser._optionals.title = "옵션"
    parser.add_argument("-h", "--help", action="help", help="이 도움말을 보여 주고 끝냅니다")


def _add_data_option(parser):
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, metavar="파일",
        help=f"내용 파일 (기본값: {DEFAULT_DATA.name})",
    )


def make_parser() -> argparse.ArgumentParser:
    """Build the argument parser; every command's docstring is its --help."""
    parser = _Parser(
        prog="leaflets",
        description="『민원24』 홍보물(포스터·포켓용 리플릿) 제작 도구. "
                    "내용 파일 minwon24.toml 하나로 인쇄용 파일을 만듭니다.",
        epilog="예) leaflets check   → 내용 파일 검사\n"
               "    leaflets build   → dist/ 에 PDF와 미리보기 만들기\n"
               "    leaflets preflight dist/print/pocket.pdf   → 인쇄용 파일 검사\n"
               "명령마다 자세한 도움말: leaflets 명령 --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    _add_help_option(parser)
    parser.add_argument("--version", action="version", version=f"leaflets {__version__}",
                        help="버전을 보여 주고 끝냅니다")
    sub = parser.add_subparsers(dest="command", metavar="명령", parser_class=_Parser)
    sub.required = True
    for name, (function, summary) in COMMANDS.items():
        command = sub.add_parser(
            name, help=summary, description=inspect.cleandoc(function.__doc__),
            formatter_class=argparse.RawDescriptionHelpFormatter, add_help=False,
        )
        _add_help_option(command)
        command.set_defaults(function=function)
        _add_data_option(command)
        if name == "build":
            command.add_argument(
                "--out", type=Path, default=DEFAULT_OUT, metavar="폴더",
                help="결과를 저장할 폴더 (기본값: dist/). leaflets가 만든 폴더만 덮어씁니다",
            )
        if name == "preflight":
            command.add_argument("files", type=Path, nargs="+", metavar="PDF",
                                 help="검사할 PDF 파일 (여러 개 가능)")
            command.add_argument("--bleed", type=_millimetres, default=3.0, metavar="MM",
                                 help="요구하는 도련, 한쪽 mm (기본값: 3)")
            command.add_argument("--safe", type=_millimetres, default=3.0, metavar="MM",
                                 help="재단선 안쪽 안전 여백 mm (기본값: 3)")
    return parser


def main(argv=None) -> int:
    """Run the command line; return the exit code."""
    args = make_parser().parse_args(argv)
    try:
        return args.function(args)
    except LeafletsError as error:
        print(f"오류: {error}", file=sys.stderr)
        print("아무 파일도 바꾸지 않았습니다.", file=sys.stderr)
        return EXIT_INPUT
