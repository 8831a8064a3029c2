"""Reading users' files with limits: one reader for every YAML and JSON file the program takes.

Scenarios, maps, sweep files and saved games are written by people and may be wrong, huge or hostile. Everything
they contain reaches the program through this module, which turns every way a file can be bad into one
:class:`~sim.errors.InputError` naming the file and, where it can, the line:

* only regular files are read (a folder, ``/dev/zero`` or a pipe is refused before reading), at most
  :data:`MAX_FILE_BYTES`, as UTF-8 text;
* YAML is read by the safe loader (no Python objects), without anchors and aliases (``&a`` / ``*a``: an alias
  bomb of one kilobyte expands to billions of values) and without merge keys (``<<``, which need aliases);
* mappings may not repeat a key (YAML and JSON alike: "last one wins" silently hides a mistake);
* values may nest at most :data:`MAX_DEPTH` levels deep; whole numbers have at most :data:`MAX_DIGITS` digits;
* YAML dates must be calendar dates (``2013-02-30`` and year 0 are refused with their line).

:func:`load_yaml` also returns the line on which every value starts, keyed by its path (``("formations", 3,
"personnel")``), so that a later check can say on which line the faulty value was written.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from json.decoder import JSONObject  # type: ignore[attr-defined]
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

import yaml

from sim.errors import InputError

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest file read (10 MiB): twenty times the largest shipped file, and small enough to check in seconds."""

MAX_DEPTH = 32
"""Deepest nesting of mappings and lists (a scenario nests 6 levels, a GeoJSON map 7)."""

MAX_DIGITS = 100
"""Most digits a whole number may have (no model quantity needs more; Python refuses beyond 4,300)."""

Path_ = tuple[Any, ...]
"""Where a value sits in a document: the keys and list indices that lead to it."""

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: its data and, for each value, the 1-based line it starts on."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        """The line of the value at ``path``, or of its nearest ancestor written in this file."""
        for n in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:n]))
            if found is not None:
                return found
        return None


# ---------------------------------------------------------------- the file itself


def read_text(path: str | Path) -> str:
    """The text of a regular file of at most MAX_FILE_BYTES bytes, UTF-8; any problem is an InputError."""
    file = str(path)
    check_regular_file(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(file, "", f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(file, "", f"is larger than {_mib(MAX_FILE_BYTES)}, the limit for an input file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(file, f"line {line}", "is not UTF-8 text (save the file as UTF-8)") from None


def check_regular_file(path: str | Path) -> None:
    """Refuse what is missing, a folder, a device or a pipe, or too large, before anything is read."""
    file = str(path)
    try:
        info = Path(path).stat()
    except FileNotFoundError:
        raise InputError(file, "", "no such file") from None
    except (OSError, ValueError) as exc:
        raise InputError(file, "", f"cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(file, "", "is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(file, "", "is not a regular file (a device, pipe or socket)")
    if info.st_size > MAX_FILE_BYTES:
        raise InputError(file, "", f"is {_mib(info.st_size)}, larger than {_mib(MAX_FILE_BYTES)}, the limit for "
                         "an input file")


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB" if size % 2**20 else f"{size // 2**20} MiB"


# ---------------------------------------------------------------- YAML


class _LimitedLoader(_Loader):  # type: ignore[misc,valid-type]
    """The safe loader, refusing repeated keys, merge keys, impossible dates and over-long numbers."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. ``!!int abc``
            raise yaml.constructor.ConstructorError(None, None, str(exc), node.start_mark) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise yaml.constructor.ConstructorError(None, None, "merge keys (<<) are not supported: write the "
                                                        "values out", key_node.start_mark)
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
            except TypeError:
                raise yaml.constructor.ConstructorError(None, None, "a key must be a plain value, not a list or "
                                                        "mapping", key_node.start_mark) from None
            if repeated:
                raise yaml.constructor.ConstructorError(None, None, f"the key {key!r} appears twice in the same "
                                                        "mapping", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(None, None, f"{node.value!r} is not a calendar date",
                                                    node.start_mark) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        if sum(c.isdigit() for c in node.value) > MAX_DIGITS:
            raise yaml.constructor.ConstructorError(None, None, f"a number with more than {MAX_DIGITS} digits",
                                                    node.start_mark)
        return super().construct_yaml_int(node)


_LimitedLoader.add_constructor("tag:yaml.org,2002:timestamp", _LimitedLoader.construct_yaml_timestamp)
_LimitedLoader.add_constructor("tag:yaml.org,2002:int", _LimitedLoader.construct_yaml_int)


def load_yaml(path: str | Path) -> Document:
    """Parse a YAML file within the limits; every problem is an InputError naming the file and line."""
    file = str(path)
    text = read_text(path)
    try:
        _check_events(text)
        loader = _LimitedLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(file, where, f"not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputError(file, "", f"not valid YAML: {exc}") from None
    return Document(data, _value_lines(node, data) if node is not None else {})


def _check_events(text: str) -> None:
    """Refuse aliases and deep nesting from the event stream, before any value is built."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.MarkedYAMLError(problem="anchors and aliases (&name, *name) are not supported: write the "
                                       "value out", problem_mark=event.start_mark)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(problem=f"nested more than {MAX_DEPTH} levels deep",
                                           problem_mark=event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _value_lines(root: yaml.Node, data: Any) -> dict[Path_, int]:
    """Path -> line of every value, walking the node tree beside the data built from it (same order)."""
    lines: dict[Path_, int] = {(): root.start_mark.line + 1}
    stack: list[tuple[Path_, yaml.Node, Any]] = [((), root, data)]
    while stack:
        path, node, value = stack.pop()
        for key, child_node, child_value, line in _children(node, value):
            child = (*path, key)
            lines[child] = line
            stack.append((child, child_node, child_value))
    return lines


def _children(node: yaml.Node, value: Any) -> Iterator[tuple[Any, yaml.Node, Any, int]]:
    if isinstance(node, yaml.MappingNode) and isinstance(value, dict):
        for (key_node, value_node), (key, item) in zip(node.value, value.items(), strict=False):
            yield key, value_node, item, key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode) and isinstance(value, list):
        for i, (item_node, item) in enumerate(zip(node.value, value, strict=False)):
            yield i, item_node, item, item_node.start_mark.line + 1


# ---------------------------------------------------------------- JSON


class _RepeatedKey(ValueError):
    def __init__(self, key: str, position: int | None = None) -> None:
        super().__init__(key)
        self.key, self.position = key, position


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _RepeatedKey(key)
        out[key] = value
    return out


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"a number with more than {MAX_DIGITS} digits")
    return int(text)


def load_json(path: str | Path) -> Any:
    """Parse a JSON file within the limits; every problem is an InputError naming the file (and line)."""
    file = str(path)
    text = read_text(path)
    try:
        data = json.loads(text, object_pairs_hook=_unique_pairs, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise InputError(file, f"line {exc.lineno}, column {exc.colno}", f"not valid JSON: {exc.msg}") from None
    except _RepeatedKey as exc:
        line = _repeated_key_line(text)
        raise InputError(file, f"line {line}" if line else "", f"the key {exc.key!r} appears twice in the same "
                         "object") from None
    except RecursionError:
        raise InputError(file, "", f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise InputError(file, "", f"not valid JSON: {exc}") from None
    if depth(data) > MAX_DEPTH:
        raise InputError(file, "", f"nested more than {MAX_DEPTH} levels deep")
    return data


def _repeated_key_line(text: str) -> int | None:
    """Parse again, slowly, to find the line of the object that repeats a key (only done for a bad file)."""
    decoder = json.JSONDecoder()
    decoder.parse_object = _object_with_unique_keys
    decoder.scan_once = py_make_scanner(decoder)
    try:
        decoder.decode(text)
    except _RepeatedKey as exc:
        return text.count("\n", 0, exc.position) + 1 if exc.position is not None else None
    except (ValueError, RecursionError):
        return None
    return None


def _object_with_unique_keys(s_and_end: tuple[str, int], strict: bool, scan_once: Any, object_hook: Any,
                             object_pairs_hook: Any, memo: dict[str, str] | None = None) -> tuple[dict, int]:
    """The standard JSON object parser, raising at the opening brace of an object that repeats a key."""
    pairs, end = JSONObject(s_and_end, strict, scan_once, None, list, memo)
    keys = [key for key, _ in pairs]
    if len(set(keys)) < len(keys):
        raise _RepeatedKey("", s_and_end[1] - 1)
    return dict(pairs), end


def depth(data: Any) -> int:
    """How deeply lists and mappings nest in ``data`` (a scalar: 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            items = value.values()
        elif isinstance(value, list):
            items = value
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:
            stack.extend((item, level) for item in items)
    return deepest
