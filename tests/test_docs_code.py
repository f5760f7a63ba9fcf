"""Every code block of README.md and docs/*.md runs as written, and the docs speak for themselves.

Rules (new pages under ``docs/`` are picked up automatically):

* ```` ```python ```` blocks run, in page order, in one namespace per page -- as a
  reader pasting them one after the other into one Python session would run them
  (each page starts with the imports and data its first block needs). They run in
  a fresh temporary folder, so files they write go nowhere.
* A block tagged ```` ```text ```` (or untagged, or ``json``/``output``) is output or
  a diagram and is not run. A ``text`` block right after the line
  ``<!-- output of the block above -->`` must be what the block above prints, up to
  timings (``226us/step``, ``- 0s -``) and ``...`` lines, which stand for any lines.
* ```` ```bash ```` blocks are not run (they install and train), but every command in
  them is checked cheaply: ``descend ...`` parses with the real command-line parser,
  ``python examples/X.py ...`` names an existing example and parses with its own
  options, and ``pip install`` names only this clone (``.`` with extras that exist),
  never the package index.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
OUTPUT_MARK = "<!-- output of the block above -->"
NOT_RUN = {"", "text", "json", "output", "console"}

_FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)


@dataclass
class Block:
    page: Path
    line: int
    lang: str
    code: str
    checked_output: bool     # a text block marked as the output of the python block before it


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, in order."""
    text = page.read_text(encoding="utf-8")
    found: list[Block] = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip().splitlines()
        marked = bool(before) and before[-1].strip() == OUTPUT_MARK
        found.append(Block(page, text.count("\n", 0, match.start()) + 1, match.group(1).lower(),
                           match.group(2), marked))
    return found


def _rel(page: Path) -> str:
    return str(page.relative_to(REPO))


def test_every_page_is_found_and_parsed() -> None:
    names = [_rel(p) for p in PAGES]
    assert "README.md" in names and "docs/learning.md" in names
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        opened = sum(1 for line in text.splitlines() if line.startswith("```"))
        assert opened == 2 * len(blocks(page)), f"{_rel(page)}: unbalanced ``` fences"
    langs = {b.lang for page in PAGES for b in blocks(page)}
    unknown = langs - NOT_RUN - {"python", "bash"}
    assert not unknown, f"code blocks tagged {unknown}: tag them python, bash or text"


# ---------------------------------------------------------------------- python blocks
def _normalise(line: str) -> str:
    line = re.sub(r"\d+(\.\d+)?(us|ms|s)/step", "<t>/step", line)
    line = re.sub(r" - \d+(\.\d+)?(ms|s|m) - ", " - <t> - ", line)
    return line.rstrip()


def output_matches(expected: str, actual: str) -> bool:
    """Whether ``actual`` output has the lines of ``expected``, ``...`` standing for any lines."""
    parts = [[_normalise(x) for x in chunk.strip("\n").splitlines()]
             for chunk in re.split(r"^\.\.\.$", expected, flags=re.M)]
    lines = [_normalise(x) for x in actual.splitlines() if x.strip()]
    position = 0
    for i, part in enumerate(parts):
        part = [x for x in part if x.strip()]
        if not part:
            continue
        if i == 0:
            if lines[: len(part)] != part:
                return False
            position = len(part)
            continue
        for start in range(position, len(lines) - len(part) + 1):
            if lines[start: start + len(part)] == part:
                position = start + len(part)
                break
        else:
            return False
    return i == 0 or not parts[-1] or position == len(lines) or all(
        not x.strip() for x in parts[-1])


def test_output_matching_rules() -> None:
    actual = ("Epoch 1/2\n3/3 - 0s - 5ms/step - loss: 1\n"
              "Epoch 2/2\n3/3 - 1s - 9us/step - loss: 0.5\n")
    assert output_matches("Epoch 1/2\n3/3 - 2s - 1ms/step - loss: 1\n...\n"
                          "3/3 - 0s - 2ms/step - loss: 0.5\n", actual)
    assert not output_matches("Epoch 1/2\n3/3 - 0s - 5ms/step - loss: 2\n...\n", actual)
    assert not output_matches("Epoch 1/2\n...\n3/3 - 0s - 2ms/step - loss: 0.4\n", actual)


PYTHON_PAGES = [p for p in PAGES if any(b.lang == "python" for b in blocks(p))]


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=_rel)
def test_python_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    import matplotlib

    matplotlib.use("Agg")
    namespace: dict = {"__name__": "__docs__"}
    page_blocks = blocks(page)
    printed = ""
    for i, block in enumerate(page_blocks):
        if block.lang == "python":
            out = io.StringIO()
            try:
                code = compile(block.code, f"{_rel(page)}:{block.line}", "exec")
                with contextlib.redirect_stdout(out):
                    exec(code, namespace)
            except Exception as exc:
                raise AssertionError(
                    f"{_rel(page)}, the python block at line {block.line} failed: "
                    f"{type(exc).__name__}: {exc}") from exc
            printed = out.getvalue()
        elif block.checked_output:
            assert page_blocks[i - 1].lang == "python", (
                f"{_rel(page)}:{block.line}: {OUTPUT_MARK} must follow a python block")
            assert output_matches(block.code, printed), (
                f"{_rel(page)}:{block.line}: the output shown is not what the block above "
                f"prints. It printed:\n{printed}")


# ------------------------------------------------------------------------ bash blocks
def _commands(code: str) -> list[list[str]]:
    commands = []
    for raw in code.splitlines():
        line = raw.split("  #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        for part in line.split("&&"):
            words = shlex.split(part)
            while words and re.match(r"^[A-Z_]+=", words[0]):   # VAR=value prefixes
                words = words[1:]
            if words:
                commands.append(words)
    return commands


def _check_command(words: list[str]) -> None:
    from descend.cli import build_parser

    tool, args = words[0], words[1:]
    if tool == "descend":
        if args in (["--help"], ["--version"], ["-h"]):
            return
        build_parser().parse_args(args)
    elif tool == "python" and args and args[0].startswith("examples/"):
        script = REPO / args[0]
        assert script.is_file(), f"{args[0]} does not exist"
        spec = importlib.util.spec_from_file_location("doc_example", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if hasattr(module, "parse_args"):
            module.parse_args(args[1:])
    elif tool == "pip":
        assert args[:1] == ["install"], words
        targets = [a for a in args[1:] if not a.startswith("-")]
        extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
            "optional-dependencies"]
        for target in targets:
            match = re.fullmatch(r"\.(?:\[([\w,]+)\])?", target)
            assert match, f"pip install {target}: install from the clone ('.'), descend is not " \
                          "on the package index"
            for extra in (match.group(1) or "").split(","):
                assert not extra or extra in extras, f"no extra [{extra}] in pyproject.toml"


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_bash_commands_are_valid(page: Path) -> None:
    for block in blocks(page):
        if block.lang != "bash":
            continue
        for words in _commands(block.code):
            try:
                _check_command(words)
            except SystemExit as exc:
                raise AssertionError(f"{_rel(page)}:{block.line}: `{' '.join(words)}` is not a "
                                     "valid command") from exc


def test_the_bash_check_catches_bad_commands() -> None:
    with pytest.raises(SystemExit):
        _check_command(["descend", "demo", "--epocs", "3"])
    with pytest.raises(AssertionError, match="package index"):
        _check_command(["pip", "install", "descend[plot]"])
    with pytest.raises(AssertionError, match="no extra"):
        _check_command(["pip", "install", ".[plots]"])
    with pytest.raises(AssertionError, match="does not exist"):
        _check_command(["python", "examples/nothing.py"])
    _check_command(["pip", "install", "-e", ".[test]"])
    _check_command(["descend", "demo", "--plots", "out/"])


# ---------------------------------------------------------------- speaking of itself
USER_FACING = [*PAGES, *sorted((REPO / "examples").glob("*.py"))]
BANNED = [
    (re.compile(r"\.\./shared"), "a path outside the repository"),
    (re.compile(r"\bthe issue\b|\bissue \d+\b", re.I), "this project's issue tracker"),
    (re.compile(r"\bthe seeds?\b(?! ?\d)(?!=)", re.I), "'the seed(s)': name the course"),
    (re.compile(r"pip install descend\b"), "descend is not on the package index"),
]


@pytest.mark.parametrize("path", USER_FACING, ids=_rel)
def test_user_facing_text_speaks_for_itself(path: Path) -> None:
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for pattern, why in BANNED:
            if pattern.search(line):
                problems.append(f"{_rel(path)}:{number}: {why}: {line.strip()}")
    assert not problems, "\n".join(problems)
