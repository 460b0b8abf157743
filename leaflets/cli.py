"""The ``leaflets`` command line.

Library code raises :class:`~leaflets.errors.LeafletsError`; this module is
the one place that turns it into a Korean message and exit code 2.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import inspect
import io
import os
import signal
import sqlite3
import sys
import threading
import time
import traceback
from pathlib import Path

from leaflets import __version__
from leaflets.errors import LeafletsError
from leaflets.project import DEFAULT_DATA, DEFAULT_DONGS, DEFAULT_OUT, DEFAULT_PRODUCTION

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM


class _Parser(argparse.ArgumentParser):
    """argparse with Korean usage errors and exit code 2."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"오류: 명령어 사용법이 틀렸습니다 ({message}). "
                              f"'{self.prog} --help' 로 사용법을 볼 수 있습니다.\n")


def cmd_check(args) -> int:
    """내용 파일(minwon24.toml), 발주 파일(production.toml), 동 파일(dongs.toml)에
    틀린 곳이 없는지 검사만 합니다. 아무 파일도 만들지 않습니다.
    build 와 똑같이 두 제품을 그려 보고(쪽 맞춤, 사전 검사) 내용이 넘치면
    어느 제품의 어느 항목인지 알려 줍니다. 문자(SMS 90바이트·LMS 2,000바이트,
    CP949)와 소식지·배너기 인쇄 파일도 build 처럼 검사합니다:
    check 를 통과하면 build 도 통과합니다.

    예) leaflets check
        leaflets check --data 새수수료.toml --production 발주.toml --dongs 동.toml
    """
    from leaflets.content import load_content
    from leaflets.dongs import load_dongs
    from leaflets.production import load_production

    content = load_content(args.data)
    production = load_production(args.production)
    print(f"확인 완료: {args.data} — 수수료 {len(content.fees)}행, "
          f"이용 방법 {len(content.howto.steps)}단계, QR 주소 {content.service.url}")
    runs = ", ".join(f"{run.product} {run.quantity:,}부 {run.colours_label}"
                     for run in production.runs)
    print(f"확인 완료: {args.production} — 작업 {runs}; 종이 {len(production.sheets)}가지")
    dongs = load_dongs(args.dongs)
    pictures = sum(1 for dong in dongs.dongs if dong.image)
    from leaflets.media import media_files

    media = media_files(content, production.media)  # 문자 bytes and CP949, as build
    _check_dong_media(content, dongs)  # each 동 edition's 문자, as build makes them
    print(f"확인 완료: {args.dongs} — 동 {len(dongs.dongs)}곳, 그림 {pictures}개, "
          "동별 문자 바이트·CP949")
    # The fit check and the preflight, as build does them, with nothing written:
    # check passes exactly when build would.
    from leaflets.build import render_files
    from leaflets.products import PRODUCTS
    from leaflets.render import Renderer

    printed = [artifact for artifact, _ in dict(
        render_files(content, Renderer(output=production.output),
                     spots=production.spots)).values()
        if artifact.kind == "print"]
    print("확인 완료: 쪽 맞춤·사전 검사 — " + ", ".join(
        f"{PRODUCTS[a.product].title} {a.pages}쪽" for a in printed))
    # The media as build makes them: 문자 byte limits and CP949, the banners, the
    # newsletter block and 배너기 rendered and preflighted.
    from leaflets.media.printed import print_media_files, print_products

    media += print_media_files(content, production.media, Renderer(output=production.output),
                               production.spots)
    products = print_products(production.media)
    print(f"확인 완료: 매체 {len(media)}개 (문자 바이트·CP949, "
          + ", ".join(f"{p.title} {p.trim_mm[0]:g}×{p.trim_mm[1]:g} mm"
                      for p in products.values()) + ")")
    return EXIT_OK


def _check_dong_media(content, dongs):
    """Raise what a build of every 동 edition's 문자 would raise, naming each 동."""
    from leaflets.errors import DataError, DataErrors
    from leaflets.media import dong_media_files

    errors = []
    for dong in dongs.dongs:
        try:
            dong_media_files(content, dong)
        except DataError as error:
            errors.extend(getattr(error, "errors", None) or [error])
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise DataErrors(errors)


def cmd_build(args) -> int:
    """포스터(A4)와 포켓용 리플릿을 만들어 출력 폴더에 저장합니다.

    만드는 파일:
      print/제품.pdf      인쇄소에 보낼 인쇄용 PDF (PDF/X-4, CMYK, 도련·재단선 포함)
      imposed/제품.pdf    인쇄기 종이에 앉힌 판(하리꼬미): 판걸이는 leaflets impose 참고
      office/제품-A4.pdf  동 주민센터 사무실 프린터용 A4 (양면, 긴 쪽 넘김)
      제품.pdf            홈페이지·이메일용 화면 PDF (RGB)
      제품-pN.png         쪽마다 미리보기
      dongs/동/...        --dong·--all-dongs: 동 주민센터 자체홍보물 (위와 같은 파일들)
      manifest.json       만든 파일 목록
    출력 폴더에 이미 있는 동 홍보물은 지우지 않고 새 내용으로 다시 만듭니다
    (--clean 이면 이번에 고른 것만 남깁니다).
    인쇄용 PDF는 사전 검사(preflight)를 통과해야 저장됩니다.
    도중에 오류가 나면 출력 폴더는 이전 상태 그대로 남습니다.
    바뀌지 않은 것은 다시 만들지 않습니다(.leaflets-cache); 아무 것도 안 바뀌었으면
    출력 폴더도 그대로 둡니다.

    예) leaflets build
        leaflets build --dong 옥수동 --dong 송정동
        leaflets build --all-dongs
        leaflets build --clean          → 동 홍보물 없이 구 홍보물만
        leaflets build --data minwon24.toml --out dist/
        leaflets build --media-only     → media/ (문자·배너·소식지·배너기)만
    """
    from leaflets.build import PreflightFailed, build, previous_dongs

    started = time.perf_counter()
    if args.media_only:
        return _build_media(args, started)
    progress = _progress_printer(sys.stderr)
    try:
        from leaflets.cache import CACHE_NAME, unsafe_reason

        cache = None if args.no_cache else args.data.resolve().parent / CACHE_NAME
        if cache is not None and (reason := unsafe_reason(cache)):
            print(f"경고: {reason}", file=sys.stderr)
            cache = None
        names, kept = tuple(args.dong or ()), ()
        if not args.all_dongs and not args.clean:  # a plain build keeps the 동 editions
            kept = tuple(name for name in previous_dongs(args.out, args.dongs)
                         if name not in names)
        with _sigterm_stops():
            result = build(args.data, args.out, args.production, dongs_path=args.dongs,
                           dong_names=names + kept, all_dongs=args.all_dongs,
                           jobs=args.jobs, progress=progress, cache_dir=cache)
    except PreflightFailed as failure:
        return _preflight_failed(failure)
    elapsed = time.perf_counter() - started
    print(f"완료: {len(result.artifacts)}개 파일을 {result.out_dir}/ 에 만들었습니다 "
          f"({elapsed:.1f}초).")
    _list_built(result.artifacts, "동 홍보물", "dongs/동 이름/")
    if kept:
        print(f"  이미 있던 동 홍보물 {len(kept)}곳도 새 내용으로 다시 만들었습니다 "
              "(없애려면 --clean).")
    return EXIT_OK


def _preflight_failed(failure) -> int:
    """Print each failed preflight report and say that nothing was written."""
    from leaflets.preflight import format_report

    for report in failure.reports:
        print(format_report(report), file=sys.stderr)
    print(f"오류: {failure}", file=sys.stderr)
    print("아무 파일도 바꾸지 않았습니다.", file=sys.stderr)
    return EXIT_FAIL


def _list_built(artifacts, editions_label: str, where: str):
    """One line per file of the 구 edition; the 동 editions counted on one line."""
    editions = {}
    for artifact in artifacts:
        if artifact.dong:
            editions[artifact.dong] = editions.get(artifact.dong, 0) + 1
            continue
        side = f" {artifact.side}" if artifact.side else ""
        print(f"  {artifact.path:<30} {artifact.kind:<11} {artifact.product}{side}")
    if editions:
        print(f"  {editions_label} {len(editions)}개 동 ({where}): "
              + ", ".join(f"{name} {count}개" for name, count in editions.items()))


def _build_media(args, started) -> int:
    """``build --media-only``: the media/ folder alone, the rest of the output kept."""
    from leaflets.build import PreflightFailed, build_media

    if args.dong or args.clean:
        print("오류: --media-only 는 --dong·--clean 과 함께 쓸 수 없습니다 (동 홍보물이 "
              "있으면 그 동들의 매체도 새로 만듭니다; 17개 동 모두는 --all-dongs)",
              file=sys.stderr)
        return EXIT_INPUT
    try:
        with _sigterm_stops():
            result = build_media(args.data, args.out, args.production,
                                 dongs_path=args.dongs, all_dongs=args.all_dongs)
    except PreflightFailed as failure:
        return _preflight_failed(failure)
    elapsed = time.perf_counter() - started
    print(f"완료: 매체 파일 {len(result.artifacts)}개를 {result.out_dir}/media/ 에 만들었습니다 "
          f"({elapsed:.1f}초). 포스터·리플릿은 다시 만들지 않았습니다.")
    _list_built(result.artifacts, "동 홍보물의 매체", "dongs/동 이름/media/")
    return EXIT_OK


def _progress_printer(stream):
    """Progress of a batch: one updating line in a terminal, plain lines otherwise."""
    def show(done, total, name):
        if stream.isatty():
            end = "\n" if done == total else ""
            stream.write(f"\r동 홍보물 만드는 중 [{done:>{len(str(total))}}/{total}] "
                         f"{name} 완료, {total - done}개 남음\033[K{end}")
        else:
            stream.write(f"동 홍보물 {done}/{total}: {name} 완료\n")
        stream.flush()
    return show


def cmd_preflight(args) -> int:
    """PDF 파일을 인쇄소 사전 검사(preflight)처럼 검사하고 표로 보여 줍니다.

    검사 항목: 암호화, PDF/X-4 식별(버전·XMP)과 출력 인텐트 ICC, 문서 정보와 XMP 일치,
    Trapped, JavaScript·동작, 도련 안 주석, 재단·도련 상자, 글꼴 포함, RGB 색,
    Lab·별색, 가는 선, 흰색 중복인쇄, 전달 함수·망점, 이미지 해상도, 잉크 총량,
    작은 글자의 잉크 수, QR코드, 안전 여백.
    모두 통과하면 종료 코드 0, 하나라도 실패하면 1, 읽을 수 없는 파일은 2입니다.
    QR코드는 이 프로젝트가 만든 파일에서만 요구하고 내용 파일(--data)의 service.url 과
    비교합니다. 다른 곳에서 만든 파일은 --qr 주소 로 요구할 수 있습니다.
    별색은 발주 파일(production.toml)의 [output] spots 에 적은 것만 허용하고,
    --spot 으로 더할 수 있습니다. 목록에 없는 별색은 불합격입니다.

    예) leaflets preflight dist/print/pocket.pdf
        leaflets preflight dist/print/*.pdf --bleed 3
        leaflets preflight 동에서만든.pdf --qr http://www.minwon.go.kr
        leaflets preflight dist/imposed/pocket.pdf --sheet   (인쇄판: 종이 전체가 재단)
        leaflets preflight dist/print/pocket.pdf --format json
        leaflets preflight 별색.pdf --spot "PANTONE 286 C"
    """
    from leaflets.content import load_content
    from leaflets.preflight import PreflightError, format_report, preflight, report_json
    from leaflets.production import load_production

    production = args.production or (DEFAULT_PRODUCTION if DEFAULT_PRODUCTION.exists()
                                      else None)
    spots = load_production(production).spots if production else ()
    spots += tuple(spot for spot in args.spot if spot not in spots)
    if args.qr:
        url, require = args.qr, True
    else:
        url = load_content(args.data).service.url if args.data.exists() else None
        require = None  # only the project's own files must carry a code
    files = []
    for path in args.files:  # every file read first: an unreadable one changes nothing
        try:
            files.append((path, path.read_bytes()))
        except OSError as error:
            raise PreflightError(f"{path}: 파일을 읽을 수 없습니다 ({error.strerror})") from None
    # An imposed sheet is its own trim (TrimBox = BleedBox = the sheet): no bleed beyond it.
    bleed = args.bleed if args.bleed is not None else (0.0 if args.sheet else 3.0)
    reports = [preflight(data, str(path), bleed_mm=bleed, safe_mm=args.safe, url=url,
                         spots=spots, sheet=args.sheet, require_qr=require)
               for path, data in files]
    if args.format == "json":
        print(report_json(reports))
    else:
        for report in reports:
            print(format_report(report))
    return EXIT_OK if all(report.passed for report in reports) else EXIT_FAIL


def cmd_impose(args) -> int:
    """인쇄 작업(production.toml)마다 종이별 판걸이와 필요한 종이 장수를 계산해 보여 줍니다.

    표: 종이, 판걸이(한 장에 몇 부), 필요한 장수(여분 포함), 종이 사용률.
    ▶ 표시가 고른 종이입니다: 가격표로 원가 계산하는 작업은 값이 가장 싼 종이
    (leaflets budget 과 같은 것), 아니면 장수가 가장 적고 종이 낭비가 적은 것.
    --out 폴더를 주면 고른 종이의 인쇄판 PDF와 사무실 A4 PDF를 그 폴더에 만듭니다.

    예) leaflets impose
        leaflets impose --product pocket --method sheetwise
        leaflets impose --product pocket --sheet 국전지 --out 판/
    """
    from leaflets.budget import plan_for_run
    from leaflets.build import imposed_files, manifest_entry, render_files, write_folder
    from leaflets.content import load_content
    from leaflets.impose.plan import all_plans
    from leaflets.korean import pad
    from leaflets.production import METHODS, load_production
    from leaflets.products import PRODUCTS
    from leaflets.render import Renderer

    content = load_content(args.data)
    production = load_production(args.production)
    if args.product and args.product not in {run.product for run in production.runs}:
        raise _usage(f"--product {args.product!r}: {args.production.name}에 없는 작업입니다",
                     ", ".join(run.product for run in production.runs))
    if args.sheet and args.sheet not in {s.name for s in production.press_sheets}:
        raise _usage(f"--sheet {args.sheet!r}: 종이 목록에 없습니다",
                     ", ".join(s.name for s in production.press_sheets))
    for run in production.runs:
        if args.product and run.product != args.product:
            continue
        piece, bleed = content.trim_mm(run.product), content.bleed_mm(run.product)
        chosen = plan_for_run(run, production, content, sheet=args.sheet, method=args.method)
        how = METHODS.get(chosen.method, "단면")
        print(f"■ {run.product} {PRODUCTS[run.product].title}: {run.quantity:,}부 "
              f"(여분 {run.overs_percent:g}% 포함 {run.quantity_with_overs:,}부), "
              f"{run.colours_label}도, {how}")
        print("   " + pad("종이", 14) + "".join(
            pad(label, width, right=True)
            for label, width in (("크기(mm)", 12), ("판걸이", 8), ("장수", 8), ("사용률", 8))))
        plans = [chosen] if args.sheet else all_plans(run, production, piece, bleed,
                                                      args.method)
        for plan in plans:
            mark = "▶" if plan.sheet.name == chosen.sheet.name else " "
            size = "×".join(f"{v:g}" for v in plan.sheet_mm)
            print(f" {mark} {pad(plan.sheet.name, 14)}{size:>12}{plan.n_up:>8}"
                  f"{plan.sheets:>8,}{plan.used_percent:>7.1f}%")
    if args.out is None:
        return EXIT_OK
    renderer = Renderer(output=production.output)
    prints = {a.product: data for a, data in dict(render_files(
        content, renderer, spots=production.spots)).values() if a.kind == "print"}
    files = dict(imposed_files(content, production, prints, renderer, product=args.product,
                               sheet=args.sheet, method=args.method))
    manifest = {"data_sha256": content.sha256,
                "artifacts": [manifest_entry(a) for a, _ in files.values()]}
    write_folder(args.out, files, manifest)
    print(f"완료: {len(files)}개 파일을 {args.out}/ 에 만들었습니다.")
    for artifact, _ in files.values():
        print(f"  {artifact.path}")
    return EXIT_OK


def cmd_budget(args) -> int:
    """인쇄 작업(production.toml)마다 값을 매겨 예산(배정액)과 비교합니다.

    작업마다 판걸이 계획에서 가장 싸게 드는 종이를 골라 용지비·인쇄비·소부비·
    후가공·공급가액·부가세·합계를 계산하고, 작업 배정액과 총 배정액에 견줍니다.
    금액은 천원 단위로 보여 줍니다 (json/csv 는 원 단위).
    발주 기록이 있으면 올해 발주 누계에 이번 작업을 더해 연간 배정액과도 견줍니다
    (같은 내용을 이미 발주했으면 두 번 더하지 않습니다).
    종료 코드: 0 모두 배정액 안, 1 넘는 것이 있음(작업·총 배정액, 또는 올해 누계와
    합쳐 연간 배정액; 얼마나 넘는지, 무엇 하나를 바꾸면 되는지 보여 줌), 2 파일 내용이 틀림.

    예) leaflets budget
        leaflets budget --max            → 배정액 안에서 찍을 수 있는 최대 부수
        leaflets budget --format csv > 예산.csv
    """
    import json

    from leaflets.budget import Pricer, as_csv, as_dict, format_table, won, year_overrun
    from leaflets.clock import build_date
    from leaflets.content import load_content
    from leaflets.korean import pad
    from leaflets.ledger import Ledger, bundle_hash, default_ledger
    from leaflets.production import load_production

    content = load_content(args.data)
    production = load_production(args.production)
    pricer = Pricer(production, content)
    check = pricer.check()
    remedies = [] if check.within else pricer.remedies(check)
    if args.max:
        rows = []
        for cost in check.runs:
            limit = cost.allocation
            best = pricer.max_quantity(cost.run, limit) if limit is not None else None
            rows.append((cost, best))
        if args.format == "json":
            print(json.dumps({"runs": [
                {"product": c.run.product, "allocation": c.allocation,
                 "max_quantity": b.run.quantity if b else 0, "total": b.total if b else 0,
                 "sheet": b.plan.sheet.name if b else None} for c, b in rows]},
                ensure_ascii=False, indent=2))
            return EXIT_OK
        print(f"배정액 안에서 찍을 수 있는 최대 부수 — {production.path.name}")
        for cost, best in rows:
            if cost.allocation is None:
                print(f"· {cost.run.product}: 작업 배정액(allocation)이 없어 계산하지 않았습니다")
            elif best is None:
                print(f"· {cost.run.product}: 배정액 {won(cost.allocation)}으로는 1부도 "
                      "찍을 수 없습니다")
            else:
                print(f"· {pad(cost.run.product, 10)} 배정액 {won(cost.allocation):>12}  "
                      f"최대 {best.run.quantity:>9,}부  합계 {won(best.total):>12}  "
                      f"({best.plan.sheet.name} {best.plan.n_up}면, 지금 "
                      f"{cost.run.quantity:,}부)")
        return EXIT_OK
    spent, ordered = None, None
    ledger = Ledger(args.ledger or default_ledger(args.production))
    if ledger.path.exists():
        year = int(build_date()[:4])
        spent = (year, ledger.spent(year))
        earlier = ledger.earlier(bundle_hash(args.data.read_bytes(),
                                             args.production.read_bytes()), content.sha256)
        if earlier is not None and earlier.fiscal_year == year:  # already in ``spent``
            ordered = earlier.id
    over = year_overrun(check, spent, ordered)
    if args.format == "json":
        report = as_dict(check, remedies)
        if spent is not None:
            report["spent_this_year"] = {"year": spent[0], "total": spent[1],
                                         "already_ordered": ordered, "over": over}
        print(json.dumps(report, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        sys.stdout.write(as_csv(check))
    else:
        sys.stdout.write(format_table(check, remedies, spent, ordered))
    return EXIT_OK if check.within and not over else EXIT_FAIL


def cmd_package(args) -> int:
    """인쇄소에 보낼 파일 묶음을 만들고 발주 기록에 남깁니다.

    출력 폴더/vendor/날짜-내용해시/ 와 같은 이름의 .zip 에 넣는 것:
      print/       인쇄용 PDF (PDF/X-4)        imposed/  판을 앉힌 PDF (작업이 원하면)
      proofs/      쪽마다 저해상도 미리보기    preflight/ 사전 검사 결과
      인쇄사양서.pdf  규격·수량·용지·도수·판걸이·인쇄 장수·담당자·인쇄소·납품
                   (사무실 예산 금액은 --with-prices 일 때만, leaflets budget 과 같은 계산)
    발주 파일(production.toml)의 [order] 에 담당자(contact)와 인쇄소(vendor)를 적어야
    만듭니다 (비어 있으면 종료 코드 2).
      README.txt   인쇄소용 안내              manifest.json  파일마다 SHA-256
    인쇄용 PDF 하나라도 사전 검사에 떨어지면 묶음을 만들지 않습니다 (종료 코드 1).
    발주 기록(orders.sqlite, 발주 파일과 같은 폴더)에 날짜·내용·수량·금액을 남깁니다.
    같은 내용(내용 파일과 발주 파일)을 이미 발주했으면 아무 것도 만들거나 기록하지 않고
    언제 발주했는지 알려 줍니다. 다시 발주하려면 --reorder (새 이름 …-2 로 만들고, 먼저
    발주한 묶음은 그대로 둡니다). 한 번 기록된 묶음 파일은 지우거나 덮어쓰지 않습니다.
    발주 기록을 다른 작업이 쓰고 있어 기다려도 안 되면 종료 코드 1.

    예) leaflets package
        leaflets package --reorder          → 같은 내용을 한 번 더 발주
        leaflets package --out 발주/ --no-record
        leaflets package --dong 옥수동       → 옥수동 자체홍보물 묶음 (날짜-해시-옥수동)

    --dong 동: 그 동의 자체홍보물(leaflets build --dong 과 같은 파일)을 묶고, 발주 기록에
    동 이름과 함께 남깁니다. leaflets evaluate 가 이 발주를 그 동의 특수사업 1건으로 셉니다.
    수량과 금액은 발주 파일의 작업(부수) 그대로입니다.
    """
    from leaflets.build import PreflightFailed
    from leaflets.ledger import LedgerBusy, default_ledger
    from leaflets.package import make_package
    from leaflets.preflight import format_report

    ledger = args.ledger or default_ledger(args.production)
    dong = None
    if args.dong is not None:
        from leaflets.dongs import load_dongs

        dong = load_dongs(args.dongs).get(args.dong)  # DataError (exit 2) for an unknown 동
    try:
        result = make_package(args.data, args.production, args.out, ledger,
                              record=not args.no_record, reorder=args.reorder,
                              with_prices=args.with_prices, dong=dong)
    except PreflightFailed as failure:
        for report in failure.reports:
            print(format_report(report), file=sys.stderr)
        print(f"오류: {failure}. 묶음을 만들지 않았습니다.", file=sys.stderr)
        return EXIT_FAIL
    except LedgerBusy as busy:
        print(f"오류: {busy}.", file=sys.stderr)
        print("아무 파일도 바꾸지 않았습니다.", file=sys.stderr)
        return EXIT_FAIL
    if result.earlier is not None:
        earlier = result.earlier
        print(f"이미 발주한 묶음입니다: 발주 기록 #{earlier.id} ({earlier.ordered_on}), "
              f"{earlier.package}, 합계 {earlier.total:,}원 ({ledger})")
        if result.zip_path.is_file():
            print(f"      압축 파일 {result.zip_path}")
        print("새로 만들거나 기록한 것은 없습니다. 같은 내용을 다시 발주하려면 --reorder 를 "
              "붙이세요.")
        return EXIT_OK
    print(f"완료: 인쇄소 묶음 {result.folder}/ ({len(result.files)}개 파일)")
    print(f"      압축 파일 {result.zip_path}")
    for path in result.files:
        print(f"  {path}")
    if result.order_id is not None:
        print(f"발주 기록 #{result.order_id}: 합계 {result.total:,}원 ({ledger})"
              + (f", {dong.name} 자체홍보물" if dong is not None else ""))
    return EXIT_OK


def cmd_history(args) -> int:
    """발주 기록(leaflets package 가 남긴 것)을 보여 줍니다.

    --void 번호 --reason 사유: 그 발주를 취소로 표시합니다. 기록은 지우지 않고 "취소"와
    사유·날짜를 함께 보여 주며, 올해 발주 누계(leaflets budget)에서 뺍니다. 묶음 파일은
    그대로 둡니다. 없는 번호, 이미 취소한 발주, 빈 사유는 종료 코드 2.

    예) leaflets history
        leaflets history --void 3 --reason "인쇄소 사정으로 발주 취소"
    """
    import datetime

    from leaflets.clock import build_date
    from leaflets.korean import pad
    from leaflets.ledger import Ledger, default_ledger

    ledger = Ledger(args.ledger or default_ledger(args.production))
    if args.void is not None:
        order = ledger.void(args.void, args.reason or "",
                            datetime.date.fromisoformat(build_date()))
        print(f"발주 기록 #{order.id} ({order.package}, {order.total:,}원)을(를) "
              f"{order.voided_on} 자로 취소했습니다. 사유: {order.void_reason}")
        print("기록과 묶음 파일은 그대로 두었고, 발주 누계에서는 뺍니다.")
        return EXIT_OK
    if args.reason is not None:
        raise _usage("--reason 은 --void 와 함께 씁니다", "--void 번호 --reason 사유")
    orders = ledger.orders()
    if not orders:
        print(f"발주 기록이 없습니다 ({ledger.path}).")
        return EXIT_OK
    print(f"발주 기록 — {ledger.path}")
    print(pad("번호", 6) + pad("날짜", 12) + pad("묶음", 20) + pad("합계", 14, right=True)
          + "  작업")
    for order in orders:
        runs = ", ".join(f"{r.product} {r.quantity:,}부 ({r.sheet} {r.n_up}면)"
                         for r in order.runs)
        if order.voided:
            runs = f"취소 {order.voided_on} (사유: {order.void_reason}) — {runs}"
        print(pad(f"#{order.id}", 6) + pad(order.ordered_on.isoformat(), 12)
              + pad(order.package, 20) + pad(f"{order.total:,}원", 14, right=True) + "  " + runs)
    years = sorted({order.fiscal_year for order in orders})
    for year in years:
        voided = sum(1 for order in orders if order.fiscal_year == year and order.voided)
        print(f"{year}년 누계: {ledger.spent(year):,}원"
              + (f" (취소 {voided}건 뺌)" if voided else ""))
    return EXIT_OK


def cmd_diff(args) -> int:
    """내용 파일의 두 버전을 비교해 결재용 자료를 만듭니다.

    바뀐 항목 표(항목, 변경 전, 변경 후)를 보여 주고, 달라진 쪽마다 변경 전·후
    미리보기를 나란히 놓고 바뀐 곳을 빨간 네모로 둘러 표시한 PNG를 --out 폴더에 만듭니다.
    --report 파일.pdf 를 쓰면 결재에 붙일 A4 PDF 한 부를 만듭니다: 제목과 작성일,
    바뀐 항목 표, 바뀐 쪽마다 변경 전·후 미리보기, 그리고 변경 후 내용의 인쇄 예산
    (leaflets budget 과 같은 표와 문장, 천원 단위). 같은 이름의 파일이 있으면 새 것으로
    한 번에 바꿉니다 (만들다 멈추면 이전 파일 그대로). --report 만 쓰면 PNG 폴더는
    만들지 않습니다.
    OLD, NEW 는 파일이거나 내용 파일의 git 버전(예: HEAD, HEAD~1)입니다.
    OLD 의 기본값은 마지막 커밋(HEAD), NEW 의 기본값은 지금의 내용 파일입니다.
    (웹 화면의 결재 자료 PDF는 HEAD 가 아니라 구 전체용 마지막 발주의 내용, 발주가
    없으면 직전 저장본 minwon24.toml.prev 와 비교합니다: 같은 비교를 명령줄에서 하려면
    그 파일을 OLD 로 주세요.)
    종료 코드: 0 바뀐 것 없음, 1 바뀐 것 있음, 2 입력 오류.

    예) leaflets diff                       → 마지막 커밋과 지금 파일 비교
        leaflets diff HEAD~1 HEAD
        leaflets diff 이전.toml minwon24.toml --out 결재자료/
        leaflets diff minwon24.toml.prev --report 결재자료.pdf   → 결재용 PDF 한 부
    """
    import json

    from leaflets.build import _check_target, _replace_folder
    from leaflets.diff import field_changes, format_changes, load_pair, page_diffs
    from leaflets.render import Renderer

    out = args.out if args.out is not None or args.report is not None else Path("diff")
    if args.report is not None:
        from leaflets.approval import check_report_path

        check_report_path(args.report)
    if out is not None:
        _check_target(out)
    (old_bytes, old_label, old), (new_bytes, new_label, new) = load_pair(
        args.old, args.new, args.data)
    changes = field_changes(old_bytes, new_bytes)
    print(f"비교: {old_label} → {new_label}")
    table = format_changes(changes)
    sys.stdout.write(table)
    renderer = Renderer()
    pages = page_diffs(old, new, renderer)
    if not changes and not pages:
        if args.report is not None:
            print("바뀐 것이 없어 결재 자료를 만들지 않았습니다.")
        return EXIT_OK
    if args.report is not None:
        _write_approval(args, (old_bytes, old_label, old), (new_bytes, new_label, new),
                        pages, renderer)
    if out is None:
        return EXIT_FAIL
    payload = {"변경내역.txt": (f"비교: {old_label} → {new_label}\n\n" + table).encode()}
    for page in pages:
        buffer = io.BytesIO()
        page.image.save(buffer, "PNG", compress_level=3)
        payload[f"{page.product}-p{page.page}.png"] = buffer.getvalue()
    payload["manifest.json"] = (json.dumps({
        "old": old_label, "new": new_label,
        "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in changes],
        "pages": [{"product": p.product, "page": p.page, "file": f"{p.product}-p{p.page}.png",
                   "regions": [list(r) for r in p.regions]} for p in pages],
    }, ensure_ascii=False, indent=2) + "\n").encode()
    _replace_folder(out, payload)
    print(f"비교 자료를 {out}/ 에 만들었습니다:")
    for page in pages:
        print(f"  {page.product}-p{page.page}.png  바뀐 곳 {len(page.regions)}군데")
    print("  변경내역.txt")
    return EXIT_FAIL


def _write_approval(args, old, new, pages, renderer) -> None:
    """``leaflets diff --report``: the 결재 PDF, put in place in one step."""
    from leaflets.approval import Version, approval_pdf
    from leaflets.budget import year_spending
    from leaflets.clock import build_date
    from leaflets.ledger import Ledger, default_ledger
    from leaflets.production import load_production
    from leaflets.shared import write_atomic

    production = load_production(args.production)
    ledger = Ledger(args.ledger or default_ledger(args.production))
    spent, ordered = year_spending(ledger, args.data, args.production, new[2])
    if args.new is not None:  # the ledger knows files on disk: not this version
        ordered = None
    pdf = approval_pdf(Version(*old), Version(*new), production, renderer,
                       date=build_date(), spent=spent, ordered=ordered, pages=pages)
    write_atomic(args.report, pdf)
    print(f"결재 자료 PDF를 만들었습니다: {args.report} ({len(pdf) // 1024:,} KB)")


def cmd_evaluate(args) -> int:
    """동별 민원24 홍보 및 이용실적 평가(붙임 1): 17개 동의 점수와 순위를 계산합니다.

    이용실적(70점): 신청율(민원24 신청건수 ÷ 주민등록창구 처리건수 × 100) 순위, 1위 70점,
    순위마다 1점씩 뺌, 같은 신청율은 같은 순위(1, 2, 2, 4). 홍보·교육(20점): 지표마다
    1회 2점, 2회까지. 같은 활동(동·날짜·내용)을 두 지표에 적으면 오류. 특수사업(10점): 건당
    5점; 평가 기간에 발주한 동 자체홍보물(발주 기록)은 1건으로 세되, 활동 파일에 이미
    있으면 다시 세지 않습니다. 평가 기간: --year 의 1월 1일 ~ 11월 30일.
    입력 파일: 실적.csv (동,민원24_신청건수,주민등록창구_처리건수; 17개 동 모두),
    활동.csv (동,날짜,지표,내용). UTF-8 또는 CP949(엑셀 CSV), 천 단위 쉼표 가능.
    --out 폴더에 결재용 A4 보고서(평가결과.pdf)와 표(평가결과.csv, 엑셀용)를 만듭니다.
    입력 오류(파일·행·열을 알려 줌)는 종료 코드 2, 아무 파일도 만들지 않습니다.

    예) leaflets evaluate --counts 실적.csv --activities 활동.csv --year 2015
        leaflets evaluate --counts 실적.csv --activities 활동.csv --gu 407398,362095,23455
        leaflets evaluate --counts 실적.csv --activities 활동.csv --format json
        leaflets evaluate --counts 실적.csv --activities 활동.csv --out 평가/
    """
    import json

    from leaflets.build import _check_target, _replace_folder
    from leaflets.clock import build_date
    from leaflets.evaluation import as_dict, evaluate, gu_rate, period
    from leaflets.evaluation_io import ledger_orders, read_activities, read_counts
    from leaflets.evaluation_report import as_csv, format_table, report_files
    from leaflets.ledger import Ledger, default_ledger

    today = build_date()
    year = args.year or int(today[:4])
    gu = None
    if args.gu is not None:
        parts = [part.strip().replace(",", "") for part in args.gu.split(",")] \
            if args.gu.count(",") == 2 else []
        if len(parts) != 3 or not all(part.isdigit() for part in parts) \
                or not sum(map(int, parts)):
            raise _usage(f"--gu {args.gu!r}: 민원24, 주민등록창구, 새올행정방문 건수 세 개를 "
                         "쉼표로 적어 주세요", "예: 407398,362095,23455")
        gu = gu_rate(*map(int, parts))
    counts = read_counts(args.counts)
    activities = read_activities(args.activities)
    orders = ledger_orders(Ledger(args.ledger or default_ledger(DEFAULT_PRODUCTION)))
    result = evaluate(counts, activities, period(year), orders, gu)
    if args.out is not None:
        from leaflets.render import Renderer

        _check_target(args.out)
        _replace_folder(args.out, report_files(result, Renderer(), today))
    if args.format == "json":
        print(json.dumps(as_dict(result), ensure_ascii=False))
    elif args.format == "csv":
        sys.stdout.write(as_csv(result))
    else:
        sys.stdout.write(format_table(result))
    if args.out is not None:
        print(f"보고서를 {args.out}/ 에 만들었습니다: 평가결과.pdf, 평가결과.csv",
              file=sys.stderr)
    return EXIT_OK


def cmd_backup(args) -> int:
    """이 사무실의 자료를 ZIP 파일 하나로 백업합니다. 웹 화면이 켜져 있어도 됩니다.

    담는 것: 내용 파일(minwon24.toml), 발주 파일(production.toml), 동 파일(dongs.toml),
    동 그림(images/), 동별 평가 자료(evaluation/), 발주 기록(orders.sqlite),
    웹 계정(instance/users.sqlite, instance/secret_key).
    파일마다 SHA-256을 manifest.json 에 적습니다.
    저장 중인 파일은 저장이 끝난 뒤에 읽으므로 백업은 언제나 온전한 상태입니다.
    계정과 비밀 키가 들어 있으니 백업 파일은 안전한 곳에 두십시오.

    예) leaflets backup 백업/2026-11-30.zip
        leaflets backup 백업.zip --data 사무실/minwon24.toml --production 사무실/production.toml
    """
    from leaflets.backup import Site, make_backup
    from leaflets.ledger import default_ledger

    site = Site(args.data, args.production, args.dongs, default_ledger(args.production),
                args.data.resolve().parent / "instance")
    members = make_backup(site, args.file)
    print(f"백업 완료: {args.file} (파일 {len(members)}개)")
    for name in members:
        print(f"  {name}")
    return EXIT_OK


def cmd_restore(args) -> int:
    """leaflets backup 으로 만든 ZIP 파일을 폴더에 되살립니다.

    먼저 백업 전체를 검사합니다(목록, 파일 이름, 파일마다 SHA-256): 손상되었거나
    leaflets 백업이 아니면 아무 것도 쓰지 않고 종료 코드 2. 폴더에 이미 자료
    (minwon24.toml 등)가 있으면 덮어쓰지 않습니다 (--force 로 덮어쓰기).
    웹 화면(leaflets serve)을 끈 뒤에 복원하십시오.

    예) leaflets restore 백업/2026-11-30.zip --into 새사무실/
        leaflets restore 백업.zip --into . --force
    """
    from leaflets.backup import restore_backup

    written = restore_backup(args.file, args.into, force=args.force)
    print(f"복원 완료: {args.into}/ (파일 {len(written)}개)")
    for name in written:
        print(f"  {name}")
    return EXIT_OK


def cmd_serve(args) -> int:
    """사무실용 웹 화면을 띄웁니다: 수수료 편집, 미리보기, 예산, 동 홍보물, 인쇄 발주.

    기본은 이 컴퓨터에서만 열리는 주소(127.0.0.1)입니다. 다른 컴퓨터에서 쓰려면
    --host 0.0.0.0 처럼 주되, 먼저 leaflets user add 로 계정을 만들어야 합니다.

    예) leaflets user add 민원여권과 --role admin
        leaflets serve                    → 브라우저에서 http://127.0.0.1:8000
        leaflets serve --host 0.0.0.0 --port 8080
    """
    from leaflets.users import UserStore
    from leaflets.web import create_app, is_local

    instance = args.data.resolve().parent / "instance"
    store = UserStore(instance / "users.sqlite")
    if not is_local(args.host) and not store.users():
        raise _usage(f"--host {args.host}: 계정이 하나도 없어 다른 컴퓨터에 열 수 없습니다. "
                     "먼저 leaflets user add 로 계정을 만드세요", "127.0.0.1")
    app = create_app(data=args.data, production=args.production, dongs=args.dongs,
                     instance=instance)
    import waitress

    print(f"웹 화면: http://{args.host}:{args.port}/  (끝내려면 Ctrl+C)", flush=True)
    # More request threads than render workers, so cached pages are served while renders run.
    waitress.serve(app, host=args.host, port=args.port, threads=8, ident="leaflets")
    return EXIT_OK


def cmd_user(args) -> int:
    """웹 화면 계정을 만들고, 보고, 지우고, 비밀번호를 바꿉니다.

    역할: admin (관리자, 민원여권과: 수수료·발주·모든 동), dong (동 담당자: 자기 동만).
    비밀번호는 두 번 묻습니다 (--password-stdin 이면 표준 입력 한 줄).
    passwd 는 비밀번호를 바꾸고 그 사용자의 로그인(세션)을 모두 끝냅니다.

    예) leaflets user add 민원여권과 --role admin
        leaflets user add 옥수동담당 --role dong --dong 옥수동
        leaflets user list
        leaflets user remove 옥수동담당
        leaflets user passwd 옥수동담당
    """
    import getpass

    from leaflets.dongs import load_dongs
    from leaflets.users import ROLES, UserStore

    store = UserStore(args.data.resolve().parent / "instance" / "users.sqlite")
    if args.action == "list":
        for user in store.users():
            print(f"{user.name}\t{ROLES[user.role]}\t{user.dong or ''}")
        return EXIT_OK
    if not args.name:
        raise _usage("사용자 이름이 필요합니다", "leaflets user add 이름 --role admin")
    if args.action == "remove":
        store.remove(args.name)
        print(f"사용자 {args.name}을(를) 지웠습니다.")
        return EXIT_OK
    if args.action == "passwd" and store.get(args.name) is None:
        raise _usage(f"사용자 '{args.name}'이(가) 없습니다",
                     ", ".join(user.name for user in store.users()) or "(계정 없음)")
    try:
        if args.password_stdin:
            line = sys.stdin.readline() if sys.stdin else ""
            if not line:
                raise EOFError
            password = line.rstrip("\n")
        else:
            password = getpass.getpass("비밀번호: ")
            if getpass.getpass("비밀번호 확인: ") != password:
                raise _usage("두 비밀번호가 다릅니다", "같은 비밀번호 두 번")
    except EOFError:  # Ctrl+D, or an empty or closed standard input
        raise _usage("비밀번호를 입력하지 않았습니다", "비밀번호 한 줄") from None
    if args.action == "passwd":
        ended = store.set_password(args.name, password)
        print(f"사용자 {args.name}의 비밀번호를 바꿨습니다. 로그인해 있던 세션 {ended}개를 "
              "끝냈습니다.")
        return EXIT_OK
    known = [d.name for d in load_dongs(args.dongs).dongs]
    user = store.add(args.name, password, args.role or "", args.dong, known)
    print(f"사용자 {user.name} ({ROLES[user.role]}{' · ' + user.dong if user.dong else ''})을(를) "
          "만들었습니다.")
    return EXIT_OK


def _usage(message, allowed):
    from leaflets.errors import LeafletsError

    return LeafletsError(f"{message}. 가능한 값: {allowed}")


COMMANDS = {
    "check": (cmd_check, "내용 파일 검사 (파일을 만들지 않음)"),
    "build": (cmd_build, "인쇄용·화면용 PDF와 미리보기 만들기"),
    "preflight": (cmd_preflight, "PDF를 인쇄소 사전 검사처럼 검사"),
    "impose": (cmd_impose, "판걸이·종이 장수 계산, 인쇄판 PDF 만들기"),
    "budget": (cmd_budget, "인쇄 비용 계산, 예산(배정액)과 비교"),
    "package": (cmd_package, "인쇄소에 보낼 파일 묶음(zip)과 인쇄 사양서 만들기"),
    "history": (cmd_history, "발주 기록 보기"),
    "diff": (cmd_diff, "내용 파일 두 버전 비교 (결재용 표와 그림)"),
    "serve": (cmd_serve, "사무실용 웹 화면 띄우기"),
    "user": (cmd_user, "웹 화면 계정 관리"),
    "backup": (cmd_backup, "자료·그림·발주 기록·계정을 ZIP 하나로 백업"),
    "restore": (cmd_restore, "백업 ZIP을 폴더에 복원"),
    "evaluate": (cmd_evaluate, "동별 민원24 홍보·이용실적 평가 (붙임 1)"),
}


def _ranged(convert, low, high, kind: str, unit: str = ""):
    """An argparse type: ``convert`` the text, then require low <= value <= high."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{kind}가 아닙니다: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{low}~{high}{unit} 사이여야 합니다: {text}")
        return value

    return parse


_jobs = _ranged(int, 1, 64, "정수")
_millimetres = _ranged(float, 0, 50, "숫자(mm)", " mm")


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
               "    leaflets impose  → 판걸이·종이 장수 계산\n"
               "    leaflets budget  → 인쇄 비용과 예산 비교\n"
               "    leaflets package → 인쇄소에 보낼 묶음(zip)\n"
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
        if name in ("check", "build", "impose", "budget", "package", "history", "serve",
                    "backup", "diff"):
            command.add_argument(
                "--production", type=Path, default=DEFAULT_PRODUCTION, metavar="파일",
                help=f"발주 파일 (기본값: {DEFAULT_PRODUCTION.name})",
            )
        if name in ("check", "build", "serve", "user", "backup", "package"):
            command.add_argument("--dongs", type=Path, default=DEFAULT_DONGS, metavar="파일",
                                 help=f"동 파일 (기본값: {DEFAULT_DONGS.name})")
        if name in ("backup", "restore"):
            command.add_argument("file", type=Path, metavar="ZIP", help="백업 파일")
        if name == "restore":
            command.add_argument("--into", type=Path, default=Path("."), metavar="폴더",
                                 help="복원할 폴더 (기본값: 지금 폴더)")
            command.add_argument("--force", action="store_true",
                                 help="폴더에 있는 자료를 덮어쓰기")
        if name == "build":
            command.add_argument(
                "--out", type=Path, default=DEFAULT_OUT, metavar="폴더",
                help="결과를 저장할 폴더 (기본값: dist/). leaflets가 만든 폴더만 덮어씁니다",
            )
            command.add_argument("--dong", action="append", metavar="동",
                                 help="이 동의 자체홍보물도 만들기 (여러 번 쓸 수 있음)")
            command.add_argument("--all-dongs", action="store_true",
                                 help="동 파일의 모든 동 자체홍보물 만들기")
            command.add_argument("--jobs", type=_jobs, metavar="N",
                                 help="동시에 만드는 개수 (기본값: CPU 코어 수)")
            command.add_argument("--clean", action="store_true",
                                 help="출력 폴더에 있던 동 홍보물을 다시 만들지 않고 지우기")
            command.add_argument("--no-cache", action="store_true",
                                 help="바뀌지 않은 것도 모두 새로 만들기 (캐시 안 씀)")
            command.add_argument("--media-only", action="store_true",
                                 help="문자·e-메일·배너·소식지·배너기(media/)만 빨리 만들기 "
                                      "(포스터·리플릿은 그대로 둠)")
        if name == "impose":
            from leaflets.production import METHODS
            from leaflets.products import PRODUCTS

            command.add_argument("--product", choices=list(PRODUCTS), metavar="제품",
                                 help=f"이 제품만 ({', '.join(PRODUCTS)})")
            command.add_argument("--sheet", metavar="종이",
                                 help="이 종이로 (예: 국전지). 없으면 가장 적게 드는 종이")
            command.add_argument("--method", choices=list(METHODS), metavar="방식",
                                 help="양면 인쇄 방식: " + ", ".join(
                                     f"{k}({v})" for k, v in METHODS.items()))
            command.add_argument("--out", type=Path, metavar="폴더",
                                 help="인쇄판 PDF를 만들 폴더 (없으면 표만 보여 줌)")
        if name in ("budget", "package", "history", "diff"):
            command.add_argument("--ledger", type=Path, metavar="파일",
                                 help="발주 기록 파일 (기본값: 발주 파일 옆 orders.sqlite)")
        if name == "package":
            command.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="폴더",
                                 help="묶음을 만들 폴더 (기본값: dist/, 그 아래 vendor/)")
            command.add_argument("--no-record", action="store_true",
                                 help="발주 기록에 남기지 않기 (시험용)")
            command.add_argument("--reorder", action="store_true",
                                 help="이미 발주한 내용을 한 번 더 발주하기 (재발주)")
            command.add_argument("--with-prices", action="store_true",
                                 help="인쇄 사양서에 사무실 예산 금액(단가·합계)도 넣기")
            command.add_argument("--dong", metavar="동",
                                 help="구청 것 대신 이 동의 자체홍보물을 묶어 발주하기")
        if name == "history":
            command.add_argument("--void", type=int, metavar="번호",
                                 help="이 번호의 발주를 취소로 표시 (--reason 필요)")
            command.add_argument("--reason", metavar="사유", help="취소 사유")
        if name == "budget":
            command.add_argument("--format", choices=("table", "json", "csv"), default="table",
                                 metavar="형식",
                                 help="table(표, 기본값), json, csv(원 단위, 엑셀용)")
            command.add_argument("--max", action="store_true",
                                 help="작업마다 배정액 안에서 찍을 수 있는 최대 부수")
        if name == "serve":
            command.add_argument("--host", default="127.0.0.1", metavar="주소",
                                 help="받을 주소 (기본값: 127.0.0.1, 이 컴퓨터만)")
            command.add_argument("--port", type=int, default=8000, metavar="번호",
                                 help="포트 (기본값: 8000)")
        if name == "user":
            command.add_argument("action", choices=("add", "list", "remove", "passwd"),
                                 metavar="할일", help="add(만들기), list(보기), remove(지우기), "
                                                      "passwd(비밀번호 바꾸기)")
            command.add_argument("name", nargs="?", metavar="이름", help="사용자 이름")
            command.add_argument("--role", choices=("admin", "dong"), metavar="역할",
                                 help="admin(관리자) 또는 dong(동 담당자)")
            command.add_argument("--dong", metavar="동", help="동 담당자의 동 (예: 옥수동)")
            command.add_argument("--password-stdin", action="store_true",
                                 help="비밀번호를 표준 입력에서 한 줄 읽기")
        if name == "diff":
            command.add_argument("old", nargs="?", default="HEAD", metavar="OLD",
                                 help="이전 버전: 파일 또는 git 버전 (기본값: HEAD)")
            command.add_argument("new", nargs="?", metavar="NEW",
                                 help="새 버전: 파일 또는 git 버전 (기본값: 지금 내용 파일)")
            command.add_argument("--out", type=Path, metavar="폴더",
                                 help="비교 그림을 만들 폴더 (기본값: diff/, --report 만 쓰면 "
                                      "만들지 않음)")
            command.add_argument("--report", type=Path, metavar="파일.pdf",
                                 help="결재에 붙일 A4 PDF 한 부 (바뀐 항목 표, 변경 전·후 "
                                      "미리보기, 인쇄 예산)")
        if name == "evaluate":
            command.add_argument("--counts", type=Path, required=True, metavar="파일",
                                 help="실적.csv: 동,민원24_신청건수,주민등록창구_처리건수")
            command.add_argument("--activities", type=Path, required=True, metavar="파일",
                                 help="활동.csv: 동,날짜,지표,내용")
            command.add_argument("--year", type=_ranged(int, 2000, 2100, "연도"),
                                 metavar="연도", help="평가 연도 (기본값: 올해)")
            command.add_argument("--gu", metavar="건수",
                                 help="구 신청율: 민원24,주민등록창구,새올행정방문 건수")
            command.add_argument("--format", choices=("table", "json", "csv"), default="table",
                                 metavar="형식", help="table(표, 기본값), json, csv")
            command.add_argument("--ledger", type=Path, metavar="파일",
                                 help="발주 기록 파일 (기본값: production.toml 옆 orders.sqlite)")
            command.add_argument("--out", type=Path, metavar="폴더",
                                 help="보고서 PDF와 CSV를 만들 폴더")
        if name == "preflight":
            command.add_argument("files", type=Path, nargs="+", metavar="PDF",
                                 help="검사할 PDF 파일 (여러 개 가능)")
            command.add_argument("--bleed", type=_millimetres, default=None, metavar="MM",
                                 help="요구하는 도련, 한쪽 mm (기본값: 3, --sheet 이면 0)")
            command.add_argument("--safe", type=_millimetres, default=3.0, metavar="MM",
                                 help="재단선 안쪽 안전 여백 mm (기본값: 3)")
            command.add_argument("--qr", metavar="주소",
                                 help="QR코드가 있어야 하고 이 주소를 열어야 함 "
                                      "(기본값: 이 프로젝트의 파일만, 내용 파일의 주소)")
            command.add_argument("--production", type=Path, default=None, metavar="파일",
                                 help="별색 목록([output] spots)을 읽을 발주 파일 "
                                      f"(기본값: 있으면 {DEFAULT_PRODUCTION.name})")
            command.add_argument("--spot", action="append", default=[], metavar="별색",
                                 help="발주 파일의 별색에 더해 허용할 별색 이름 "
                                      "(예: 'PANTONE 185 C', 여러 번 쓸 수 있음)")
            command.add_argument("--sheet", action="store_true",
                                 help="인쇄판(판걸이한 종이) 검사: 맞춤색 표시를 어디에나 허용")
            command.add_argument("--format", choices=("table", "json"), default="table",
                                 help="table(표, 기본값) 또는 json(프로그램용)")
    return parser


def main(argv=None) -> int:
    """Run the command line; return the exit code: 2 for wrong input, 130 when stopped
    (Ctrl+C; 143 for SIGTERM), 1 for any other failure — each with one Korean message."""
    args = None
    try:
        args = make_parser().parse_args(argv)
        return args.function(args)
    except LeafletsError as error:
        print(f"오류: {error}", file=sys.stderr)
        print("아무 파일도 바꾸지 않았습니다.", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt as stop:
        kept = (" 만들던 파일은 지웠고 출력 폴더는 이전 그대로입니다."
                if getattr(args, "command", None) == "build" else "")
        print(f"\n중단했습니다.{kept}", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(stop, _Terminated) else EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001  the one place every other failure ends
        print(f"오류: {_failure_message(error)}", file=sys.stderr)
        if os.environ.get("LEAFLETS_DEBUG") == "1":
            traceback.print_exc()
        return EXIT_FAIL


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
_OS_ERRORS = {
    errno.EACCES: "권한이 없습니다",
    errno.EPERM: "권한이 없습니다",
    errno.EROFS: "읽기 전용 디스크입니다",
    errno.ENOENT: "파일이나 폴더가 없습니다",
    errno.EIO: "디스크 입출력 오류입니다",
}


def _failure_message(error: Exception) -> str:
    """One Korean line for a failure that is not the user's input."""
    if isinstance(error, OSError) and error.errno is not None:
        where = f" ({error.filename})" if error.filename else ""
        if error.errno in _NO_SPACE:
            return f"디스크 공간이 부족합니다{where}. 공간을 비운 뒤 다시 해 주세요"
        problem = _OS_ERRORS.get(error.errno, "파일을 읽거나 쓸 수 없습니다")
        return f"{problem}{where} [{error.strerror or type(error).__name__}]"
    if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
        return "다른 작업이 기록 파일(데이터베이스)을 쓰고 있습니다. 잠시 뒤 다시 해 주세요"
    if isinstance(error, sqlite3.Error):
        return f"기록 파일(데이터베이스) 오류입니다 ({type(error).__name__})"
    if isinstance(error, MemoryError):
        return "메모리가 부족합니다. 다른 프로그램을 닫거나 --jobs 를 줄여 다시 해 주세요"
    return (f"예상하지 못한 오류가 났습니다 ({type(error).__name__}). "
            "LEAFLETS_DEBUG=1 로 다시 실행하면 자세한 내용을 볼 수 있습니다")


class _Terminated(KeyboardInterrupt):
    """SIGTERM, stopped the way Ctrl+C stops a build."""


@contextlib.contextmanager
def _sigterm_stops():
    """While building, SIGTERM unwinds like Ctrl+C: workers end, staging is removed."""
    def stop(signum, frame):
        raise _Terminated()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
