"""Reading users' files with limits: one reader for every YAML and JSON file the program takes.

Scenarios, maps, sweep files and saved games are written by people and may be wrong, huge or hostile. Everything
they contain reaches the program through this module, which turns every way a file can be bad into one
:class:`~sim.errors.InputError` naming the file and, where it can, the line:

* only regular files are read (a folder, ``/dev/zero`` or a pipe is refused before reading), at most
  :data:`MAX_FILE_BYTES`, as UTF-8 text;
* YAML is read by the safe loader (no Python objects); anchors and aliases (``&a`` / ``*a``) are allowed, but the
  document may hold at most :data:`MAX_VALUES` values with every alias counted as what it names (an alias bomb of
  one kilobyte names a billion); merge keys (``<<``) are refused;
* mappings may not repeat a key (YAML and JSON alike: "last one wins" silently hides a mistake);
* values may nest at most :data:`MAX_DEPTH` levels deep; whole numbers have at most :data:`MAX_DIGITS` digits;
* YAML dates must be calendar dates (``2021-02-30`` and year 0 are refused with their line).

:func:`load_yaml` also keeps the node tree, which knows the line on which every value starts, so that a later
check can say on which line the faulty value was written (``Document.line(("formations", 3, "personnel"))``).
"""

from __future__ import annotations

import gc
import json
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from json.decoder import JSONObject  # type: ignore[attr-defined]
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

import yaml

from sim.errors import InputError

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest file read (10 MiB): over a hundred times the largest shipped file, and small enough to check in
seconds."""

MAX_DEPTH = 32
"""Deepest nesting of mappings and lists (a scenario nests 6 levels, a GeoJSON map 7)."""

MAX_VALUES = 500_000
"""Most values (scalars, mappings and lists, every alias counted as what it names) one YAML file may hold, and most
objects and arrays in a JSON file. A scenario of 16,000 formations holds about 240,000; an alias bomb of one
kilobyte names a billion. Parsing YAML costs about 600 bytes a value, so this also bounds the memory a refused
file can take: about 310 MB at worst (benchmarks/bench_loader.py)."""

MAX_DIGITS = 100
"""Most digits a whole number may have (no model quantity needs more; Python refuses beyond 4,300)."""

Path_ = tuple[Any, ...]
"""Where a value sits in a document: the keys and list indices that lead to it."""

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: its data and the node tree it was built from, which knows on which line each value
    starts (looked up only when a message needs it)."""

    data: Any
    root: yaml.Node | None = None

    def line(self, path: Path_) -> int | None:
        """The 1-based line of the value at ``path`` (a mapping entry: its key's line), or of its nearest
        ancestor written in this file."""
        if self.root is None:
            return None
        node, value, line = self.root, self.data, self.root.start_mark.line + 1
        for part in path:
            step = _step(node, value, part)
            if step is None:
                break
            node, value, line = step
        return line


def _step(node: yaml.Node, value: Any, part: Any) -> tuple[yaml.Node, Any, int] | None:
    """One step down a path in the node tree and the data built from it (entries in the same order)."""
    if isinstance(node, yaml.MappingNode) and isinstance(value, dict) and part in value:
        key_node, value_node = node.value[list(value).index(part)]
        return value_node, value[part], key_node.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode) and isinstance(value, list) and isinstance(part, int) \
            and 0 <= part < min(len(value), len(node.value)):
        item = node.value[part]
        return item, value[part], item.start_mark.line + 1
    return None


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file's values are built and checked: they hold no cycles, and
    with hundreds of thousands of new objects its repeated full passes take longer than the parse itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------- the file itself


def read_text(path: str | Path) -> str:
    """The text of a regular file of at most MAX_FILE_BYTES bytes, UTF-8; any problem is an InputError."""
    file = str(path)
    check_regular_file(path)
    try:
        raw = _read_at_most(path, MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(file, "", f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(file, "", f"is larger than {_mib(MAX_FILE_BYTES)}, the limit for an input file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(file, f"line {line}", "is not UTF-8 text (save the file as UTF-8)") from None


def _read_at_most(path: str | Path, limit: int) -> bytes:
    """Up to ``limit`` bytes, a mebibyte at a time (``read(limit)`` would allocate all of ``limit`` at once)."""
    chunks: list[bytes] = []
    size = 0
    with open(path, "rb") as handle:
        while size < limit and (chunk := handle.read(min(2**20, limit - size))):
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks)


def check_regular_file(path: str | Path) -> None:
    """Refuse what is missing, a folder, a device or a pipe, or too large, before anything is read."""
    file = str(path)
    try:
        info = Path(path).stat()
    except FileNotFoundError:
        raise InputError(file, "", "file not found") from None
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


_TAG_CACHE = 4096  # distinct scalars whose tags are remembered: repeated ids, kinds and numbers


def _refuse(problem: str, node: yaml.Node | yaml.Event) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(None, None, problem, node.start_mark)


class _LimitedLoader(_Loader):  # type: ignore[misc,valid-type]
    """The safe loader, refusing repeated keys, merge keys, impossible dates and over-long numbers."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._tags: dict[tuple[str, tuple[bool, bool]], str] = {}

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        """The tag of a plain scalar, remembered per value: the regular expressions cost most of the parse."""
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, tuple(implicit))
        tag = self._tags.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(self._tags) < _TAG_CACHE:
                self._tags[key] = tag
        return tag

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError, AttributeError, KeyError, IndexError) as exc:
            tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
            raise _refuse(f"cannot be read as {tag}: {exc}", node) from None  # e.g. ``!!int abc``

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Entries in the file's order; a repeated key, a merge key or a list as a key is an error."""
        if not isinstance(node, yaml.MappingNode):
            raise _refuse(f"expected a mapping, found {node.id}", node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _refuse("merge keys (<<) are not supported: write the values out", key_node)
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in mapping
            except TypeError:
                raise _refuse("a key must be a plain value, not a list or mapping", key_node) from None
            if repeated:
                raise _refuse(f"the key {key!r} appears twice in the same mapping", key_node)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, AttributeError):  # a date that is not one, or ``!!timestamp`` on words
            raise _refuse(f"{node.value!r} is not a calendar date", node) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        if sum(c.isdigit() for c in node.value) > MAX_DIGITS:
            raise _refuse(f"a number with more than {MAX_DIGITS} digits", node)
        return super().construct_yaml_int(node)


_LimitedLoader.add_constructor("tag:yaml.org,2002:timestamp", _LimitedLoader.construct_yaml_timestamp)
_LimitedLoader.add_constructor("tag:yaml.org,2002:int", _LimitedLoader.construct_yaml_int)


def load_yaml(path: str | Path) -> Document:
    """Parse a YAML file within the limits; every problem is an InputError naming the file and line."""
    file = str(path)
    text = read_text(path)
    try:
        with bulk():
            return _parse_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(file, where, f"not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputError(file, "", f"not valid YAML: {exc}") from None
    except RecursionError:  # only the pure-Python parser recurses (libyaml stops at 1,000 levels)
        raise InputError(file, "", f"not valid YAML: nested more than {MAX_DEPTH} levels deep") from None


def _parse_yaml(text: str) -> Document:
    if 3 * sum(text.count(c) for c in ":-,?[{") + 3 > MAX_VALUES:  # at most 3 nodes per ':', '-', ',', ...
        _count_nodes(text)  # the node tree costs ~300 bytes a node: count them first, in constant memory
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(None)
        _measure(node)
        return Document(loader.construct_document(node), node)
    finally:
        loader.dispose()


def _count_nodes(text: str) -> None:
    """Refuse a document of more than MAX_VALUES nodes from its event stream, before the nodes are built."""
    nodes = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_VALUES:
                raise _refuse(f"more than {MAX_VALUES:,} values", event)


def _measure(root: yaml.Node) -> None:
    """Refuse a document that, with every alias expanded (as the program walks it), holds more than MAX_VALUES
    values, nests deeper than MAX_DEPTH or contains itself; before any value is built. Each mapping and list
    node is measured once, its children first, without recursion; scalars are only counted."""
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (values, height) with aliases expanded
    path: set[int] = set()  # the nodes being measured: the current one and its ancestors
    stack = [root] if not isinstance(root, yaml.ScalarNode) else []
    while stack:
        node = stack[-1]
        if id(node) in measured:
            stack.pop()
            continue
        inner = _collections_in(node)
        if id(node) not in path:
            path.add(id(node))
            waiting = [child for child in inner if id(child) not in measured]
            if any(id(child) in path for child in waiting):
                raise _refuse("a value that contains itself (an alias inside its own anchor)", node)
            if waiting:
                stack.extend(waiting)
                continue
        stack.pop()
        path.discard(id(node))
        entries = 2 * len(node.value) if isinstance(node, yaml.MappingNode) else len(node.value)
        values = 1 + entries - len(inner) + sum(measured[id(child)][0] for child in inner)
        height = 1 + max((measured[id(child)][1] for child in inner), default=0)
        if values > MAX_VALUES:
            raise _refuse(f"more than {MAX_VALUES:,} values (counting each alias as what it names)", node)
        if height > MAX_DEPTH:
            raise _refuse(f"nested more than {MAX_DEPTH} levels deep", node)
        measured[id(node)] = (values, height)


def _collections_in(node: yaml.Node) -> list[yaml.Node]:
    """The mapping and list nodes directly inside a mapping or list node (keys included)."""
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair if not isinstance(n, yaml.ScalarNode)]
    return [n for n in node.value if not isinstance(n, yaml.ScalarNode)]


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
    if text.count("{") + text.count("[") > MAX_VALUES:  # an empty object costs 64 bytes: refuse before building
        raise InputError(file, "", f"more than {MAX_VALUES:,} objects and arrays")
    try:
        with bulk():
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
    """How deeply lists and mappings nest in ``data`` (a scalar: 0), level by level, without recursion; counting
    stops past MAX_DEPTH."""
    level, found = [data], 0
    while found <= MAX_DEPTH:
        inner: list[Any] = []
        for value in level:
            if isinstance(value, dict):
                inner.extend(value.values())
            elif isinstance(value, list):
                inner.extend(value)
            else:
                continue
        if not any(isinstance(value, dict | list) for value in level):
            return found
        found += 1
        level = inner
    return found
