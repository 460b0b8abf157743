"""The lock files: every machine installs the same packages and prints the same bytes.

The slow test makes two fresh virtual environments from requirements.lock (pip
with --require-hashes, as scripts/setup does), installs a copy of the project
into each, builds the shipped content in each and compares the print PDFs byte
for byte. It needs the package index (or pip's download cache).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from leaflets.project import ROOT

RUNTIME_LOCK = ROOT / "requirements.lock"
TEST_LOCK = ROOT / "requirements-test.lock"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# What a build reads: the package, its templates, fonts and profile, the data files.
PROJECT_FOLDERS = ("leaflets", "templates", "fonts", "profiles", "examples")
PROJECT_FILES = ("pyproject.toml", "README.md", "minwon24.toml", "production.toml",
                 "dongs.toml")


def _entries(lock: Path) -> list[tuple[str, list[str]]]:
    """Each requirement of a lock file with the options on its (continued) line."""
    logical = lock.read_text(encoding="utf-8").replace("\\\n", " ")
    entries = []
    for line in logical.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            entries.append((words[0], words[1:]))
    return entries


def _pins(lock: Path) -> dict[str, tuple[str, list[str]]]:
    """Package name -> (pinned version, hashes)."""
    pins = {}
    for requirement, options in _entries(lock):
        parsed = Requirement(requirement)
        (specifier,) = parsed.specifier
        assert specifier.operator == "==", requirement
        hashes = sorted(o.removeprefix("--hash=") for o in options if o.startswith("--hash="))
        pins[canonicalize_name(parsed.name)] = (specifier.version, hashes)
    return pins


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, TEST_LOCK], ids=lambda p: p.name)
def test_every_requirement_is_an_exact_pin_with_sha256_hashes(lock):
    entries = _entries(lock)
    assert len(entries) > 20
    for requirement, options in entries:
        assert "==" in requirement and ";" not in requirement, requirement
        assert options, f"{requirement} has no --hash"
        for option in options:
            assert option.startswith("--hash=sha256:"), (requirement, option)
            assert len(option.removeprefix("--hash=sha256:")) == 64, (requirement, option)


@pytest.mark.parametrize("lock, requirements", [
    (RUNTIME_LOCK, PYPROJECT["project"]["dependencies"]),
    (TEST_LOCK, PYPROJECT["project"]["dependencies"]
     + PYPROJECT["project"]["optional-dependencies"]["test"]),
], ids=["runtime", "test"])
def test_lock_pins_every_pyproject_dependency_within_its_range(lock, requirements):
    pins = _pins(lock)
    for text in requirements:
        wanted = Requirement(text)
        name = canonicalize_name(wanted.name)
        assert name in pins, f"{lock.name} lacks {wanted.name}: run ./scripts/lock"
        assert pins[name][0] in wanted.specifier, (text, pins[name][0])


def test_test_lock_installs_the_runtime_lock_unchanged():
    runtime, test = _pins(RUNTIME_LOCK), _pins(TEST_LOCK)
    assert {name: test.get(name) for name in runtime} == runtime


def _environment(place: Path) -> tuple[Path, Path]:
    """A fresh venv from the runtime lock with a copy of the project installed into it."""
    source = place / "leaflets-copy"
    for name in PROJECT_FOLDERS:
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, source / name)
    venv = place / "venv"
    # The runner's pip installs into the new venv (--python): seeding a pip of its own
    # into each would only cost time.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
           "-q", "--disable-pip-version-check"]
    for args in (["--require-hashes", "-r", str(RUNTIME_LOCK)], ["--no-deps", "-e", str(source)]):
        result = subprocess.run(pip + args, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    return venv, source


def _print_files(place: Path, venv: Path, source: Path) -> dict[str, bytes]:
    """Build the copy's shipped content with the venv's `leaflets`; the print PDFs."""
    out = place / "dist"
    env = {key: value for key, value in os.environ.items()
           if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    env["SOURCE_DATE_EPOCH"] = "1735689600"  # 2025-01-01: the date on the slug
    result = subprocess.run(
        [str(venv / "bin" / "leaflets"), "build", "--no-cache", "--out", str(out)],
        cwd=source, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return {p.name: p.read_bytes() for p in sorted((out / "print").glob("*.pdf"))}


def _install_and_build(place: Path) -> dict[str, bytes]:
    return _print_files(place, *_environment(place))


def test_two_fresh_environments_from_the_lock_print_the_same_bytes(tmp_path):
    # Two subprocess chains, one per core; the threads only wait on them.
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(_install_and_build, [tmp_path / "first", tmp_path / "second"])
    assert set(first) == {"poster-a4.pdf", "pocket.pdf"}
    assert all(data.startswith(b"%PDF-") for data in first.values())
    for name, data in first.items():
        assert data == second[name], f"print/{name} differs between the two environments"
