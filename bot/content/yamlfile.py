"""Safe YAML loading that remembers the line of every mapping key and list item,
so that maintainers get "file:line: message" instead of a traceback."""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.understanding.languages import LANGUAGES


# Ids of topics, entries and conversations: lower-case letters, digits and dashes.
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

MiB = 2**20
# Size limits, checked before any YAML is parsed: loading and indexing take about
# 50 times the size of the files in memory (the bundled 1.4 MB base: ~75 MB; 8.7 MB:
# ~500 MB and 20 s), and a reload builds next to the running engine. The largest
# file today is 0.34 MB and all files together 2.6 MB (the phrasings of December 2026):
# still a quarter of either limit.
MAX_FILE_BYTES = 2 * MiB  # one knowledge, conversation or intents file
MAX_TOTAL_BYTES = 12 * MiB  # the knowledge and conversation files together


class LineDict(dict):
    """A mapping that knows the line of itself and of each key."""

    line: int = 0
    key_lines: dict
    duplicate_keys: list


class LineList(list):
    """A list that knows the line of itself and of each item."""

    line: int = 0
    item_lines: list


# libyaml's parser when PyYAML has it (ten times faster), with the safe constructor either way.
class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    mapping.duplicate_keys = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value", key_node.start_mark
            )
        if key in mapping:
            mapping.duplicate_keys.append((key, key_node.start_mark.line + 1))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    items = LineList(loader.construct_object(child, deep=True) for child in node.value)
    items.line = node.start_mark.line + 1
    items.item_lines = [child.start_mark.line + 1 for child in node.value]
    return items


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


class _ValueError(yaml.constructor.ConstructorError):
    """A well-formed value that cannot be built (2026-02-30, an int of 5000 digits…)."""


def _construct_object(loader: _LineLoader, node: yaml.Node, deep: bool = False):
    """Every value built with the line of its node when building it fails: PyYAML's
    constructors raise plain ValueError (impossible dates, times and offsets, too
    many digits) and RecursionError (deep nesting) without a line."""
    try:
        return yaml.constructor.SafeConstructor.construct_object(loader, node, deep)
    except yaml.YAMLError:
        raise
    except RecursionError:
        # Raised again at each level until there is room to build the error; its line is near the deepest.
        raise _ValueError(None, None, "nested too deeply", node.start_mark) from None
    except Exception as error:  # noqa: BLE001 - any constructor failure is the file's problem, not a crash
        raise _ValueError(None, None, _cannot_build(node, error), node.start_mark) from None


def _cannot_build(node: yaml.Node, error: Exception) -> str:
    value = node.value if isinstance(node, yaml.ScalarNode) else node.tag
    shown = value if len(value) <= 40 else f"{value[:20]}…({len(value)} characters)"
    if node.tag == "tag:yaml.org,2002:timestamp":
        return f"'{shown}' is not a valid date ({str(error)[:100]}); write YYYY-MM-DD"
    return f"'{shown}' cannot be read ({str(error)[:100]})"


_LineLoader.construct_object = _construct_object


@dataclass(frozen=True)
class Problem:
    """Something wrong in a data file, at a line a maintainer can open."""

    path: Path
    line: int
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


def errors_in(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


class YamlError(Exception):
    """A file that is not valid YAML; carries the problem with its line."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def _size(size: int) -> str:
    return f"{size / MiB:.1f} MiB ({size} bytes)"


def _limit(size: int) -> str:
    return f"{size / MiB:.1f} MiB" if size % MiB == 0 else _size(size)


def total_size(paths: Iterable[Path]) -> int:
    """The bytes of ``paths`` together (a file that cannot be read counts 0: reading it reports it)."""
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            pass
    return total


def total_size_problem(where: Path, size: int, what: str) -> Problem | None:
    """The one problem of files over MAX_TOTAL_BYTES together, else None."""
    if size <= MAX_TOTAL_BYTES:
        return None
    return Problem(where, 0, f"the {what} files are {_size(size)} in all; the limit is {_limit(MAX_TOTAL_BYTES)} "
                             f"for the knowledge and conversation files together")


def load_yaml(path: Path):
    """Load one YAML file with line information; raise YamlError on bad syntax,
    a value that cannot be built, or a file over MAX_FILE_BYTES (not parsed)."""
    limit = MAX_FILE_BYTES
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            data = file.read(limit + 1) if size <= limit else b""
    except OSError as error:
        raise YamlError(Problem(path, 1, f"the file cannot be read ({error.strerror or error})")) from None
    if size > limit or len(data) > limit:  # also a file that grew after its size was taken
        raise YamlError(Problem(path, 1, f"the file is {_size(max(size, len(data)))}; the limit is {_limit(limit)} a file"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise YamlError(Problem(path, 1, f"not UTF-8 text ({error.reason})")) from None
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except _ValueError as error:
        raise YamlError(Problem(path, error.problem_mark.line + 1, error.problem)) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        reason = " ".join(filter(None, [error.context, error.problem]))
        raise YamlError(Problem(path, line, f"YAML syntax: {reason}")) from None
    except yaml.YAMLError as error:
        raise YamlError(Problem(path, 1, f"YAML: {error}")) from None
    except (ValueError, TypeError, RecursionError) as error:  # a tagged document (--- !!set) builds outside construct_object
        raise YamlError(Problem(path, 1, f"a value cannot be read ({str(error)[:100]})")) from None


def documents(paths: Iterable[Path], problems: list[Problem]) -> Iterator[tuple[Path, Any]]:
    """(path, document) of each file that is valid YAML; the others go to ``problems``."""
    for path in paths:
        try:
            yield path, load_yaml(path)
        except YamlError as error:
            problems.append(error.problem)


def line_of(container, key=None) -> int:
    """The line of ``container`` or of one of its keys/items, 0 when unknown."""
    if key is not None:
        if isinstance(container, LineDict):
            return container.key_lines.get(key, container.line)
        if isinstance(container, LineList) and isinstance(key, int) and key < len(container.item_lines):
            return container.item_lines[key]
    return getattr(container, "line", 0)


class FileReader:
    """Reads the fields of one data file, collecting problems with their lines."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, container, key, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.path, line_of(container, key), message, severity))

    def text(self, container, key, *, required: bool = True) -> str | None:
        value = container.get(key)
        if value is None:
            if required:
                self.problem(container, None, f"'{key}' is missing")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(container, key, f"'{key}' must be non-empty text")
            return None
        return value.strip()

    def text_list(self, container, key) -> list[str]:
        value = container.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(container, key, f"'{key}' must be a list")
            return []
        items = []
        for index, item in enumerate(value):
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                self.problem(value, index, f"'{key}' item {index + 1} must be non-empty text")
                continue
            items.append(item.strip())
        return items

    def per_language(self, container, key, *, lists: bool, required: bool = True) -> dict:
        value = container.get(key)
        if value is None:
            if required:
                self.problem(container, None, f"'{key}' is missing")
            return {}
        if not isinstance(value, dict):
            self.problem(container, key, f"'{key}' must map language codes to {'lists' if lists else 'text'}")
            return {}
        result = {}
        for lang in value:
            if lang not in LANGUAGES:
                self.problem(value, lang, f"unknown language '{lang}' in '{key}' (use one of {' '.join(LANGUAGES)})")
                continue
            item = self.text_list(value, lang) if lists else self.text(value, lang)
            if item:
                result[lang] = item
        return result

    def check_keys(self, mapping: LineDict, allowed: set[str], what: str) -> None:
        for key, line in getattr(mapping, "duplicate_keys", []):
            self.problems.append(Problem(self.path, line, f"'{key}' appears twice in {what}"))
        for key in mapping:
            if key not in allowed:
                self.problem(mapping, key, f"unknown field '{key}' in {what}")


# Lists indented under their key ("entries:\n  - id: …", knowledge/) or level with it (conversations/).
_LIST_LAYOUTS = ((4, 2), (2, 0))


def rewrite_yaml(path: Path, change: Callable[[Any], None]) -> None:
    """Let ``change`` edit the document of ``path`` in place, then write it back
    with its comments, quotes and layout kept (ruamel.yaml's round trip, in the
    indentation of lists the file uses), atomically: a crash leaves the old file."""
    from ruamel.yaml import YAML  # here: the bot itself only reads YAML, with PyYAML

    text = path.read_text(encoding="utf-8")
    yaml_rt = YAML()
    yaml_rt.preserve_quotes = True
    yaml_rt.width = 1_000_000  # never wrap a line the maintainer wrote on one
    for sequence, offset in _LIST_LAYOUTS:  # the layout that gives the file back as it is
        yaml_rt.indent(mapping=2, sequence=sequence, offset=offset)
        document = yaml_rt.load(text)
        if _dumped(yaml_rt, document) == text:
            break
    change(document)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                     delete=False) as file:
        file.write(_dumped(yaml_rt, document))
    os.replace(file.name, path)


def _dumped(yaml_rt, document) -> str:
    out = io.StringIO()
    yaml_rt.dump(document, out)
    return out.getvalue()
