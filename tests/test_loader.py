"""sim/loader.py: every way a file can be too big, too deep, repeated or impossible ends in one InputError that
names the file (and the line), before the program spends memory or time on it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from sim.errors import InputError
from sim.loader import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES, depth, load_json, load_yaml, read_text
from sim.scenario import load_scenario


def write(tmp_path: Path, text: str | bytes, name: str = "f.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def yaml_error(tmp_path: Path, text: str | bytes) -> InputError:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    assert caught.value.file == str(path)
    return caught.value


def json_error(tmp_path: Path, text: str) -> InputError:
    path = write(tmp_path, text, "f.json")
    with pytest.raises(InputError) as caught:
        load_json(path)
    assert caught.value.file == str(path)
    return caught.value


# ---------------------------------------------------------------- the file


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:  # sparse: 10 MiB + 1 byte of nothing, written in no time
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(InputError, match="larger than 10 MiB, the limit for an input file"):
        read_text(path)
    exactly = tmp_path / "limit.yaml"
    exactly.write_bytes(b"#" * MAX_FILE_BYTES)
    assert len(read_text(exactly)) == MAX_FILE_BYTES


@pytest.mark.parametrize(("path", "problem"), [("/dev/zero", "is not a regular file"), ("/tmp", "is a folder"),
                                               ("/no/such/file.yaml", "file not found")])
def test_what_is_not_a_regular_file_is_refused(path: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        load_yaml(path)
    with pytest.raises(InputError, match=problem):
        load_json(path)


def test_text_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    err = yaml_error(tmp_path, b"a: 1\nb: caf\xe9\n")
    assert (err.field, err.problem) == ("line 2", "is not UTF-8 text (save the file as UTF-8)")


# ---------------------------------------------------------------- YAML


@pytest.mark.parametrize(("text", "where", "problem"), [
    ("a: 1\nb: 2\na: 3\n", "line 3, column 1", "the key 'a' appears twice in the same mapping"),
    ("d: 2013-02-30\n", "line 1, column 4", "'2013-02-30' is not a calendar date"),
    ("d: 0000-01-01\n", "line 1, column 4", "'0000-01-01' is not a calendar date"),
    ("n: " + "9" * 5000 + "\n", "line 1, column 4", "a number with more than 100 digits"),
    ("n: !!float many\n", "line 1, column 4", "could not convert string to float: 'many'"),
    ("<<: {a: 1}\n", "line 1, column 1", "merge keys (<<) are not supported"),
    ("? [a, b]\n: 1\n", "line 1, column 3", "a key must be a plain value"),
    ("a: &a [*a]\n", "line 1, column 4", "a value that contains itself"),
    ("x: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n", "line 1", f"nested more than {MAX_DEPTH} levels"),
    ("a: !!python/object:os.system [ls]\n", "line 1, column 4", "could not determine a constructor"),
])
def test_bad_yaml_names_the_line(tmp_path: Path, text: str, where: str, problem: str) -> None:
    err = yaml_error(tmp_path, text)
    assert err.field.startswith(where), str(err)
    assert problem in err.problem, str(err)


def test_an_alias_bomb_is_refused_from_its_size_before_it_is_built(tmp_path: Path) -> None:
    # nine levels of ten aliases each name 10^9 strings in a few hundred bytes
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
    err = yaml_error(tmp_path, "\n".join(lines) + "\n")
    assert f"more than {MAX_VALUES:,} values" in err.problem
    assert err.field.startswith("line 6")  # 10^6 values are reached in the sixth list


def test_aliases_within_the_limits_are_the_values_they_name(tmp_path: Path) -> None:
    doc = load_yaml(write(tmp_path, "base: &orders {hold: ford}\nfirst: *orders\nsecond: *orders\n"))
    assert doc.data == {"base": {"hold": "ford"}, "first": {"hold": "ford"}, "second": {"hold": "ford"}}


def test_a_document_knows_the_line_of_each_value(tmp_path: Path) -> None:
    doc = load_yaml(write(tmp_path, "name: x\nformations:\n  - id: a\n    personnel: 3\n  - id: b\n"
                                    "    personnel: 4\n"))
    assert doc.line(("formations", 1, "personnel")) == 6
    assert doc.line(("formations", 0)) == 3
    assert doc.line(("formations", 1, "unknown", 7)) == 5  # the nearest ancestor written in the file
    assert doc.line(()) == 1
    assert doc.data["formations"][1] == {"id": "b", "personnel": 4}
    assert isinstance(load_yaml(write(tmp_path, "d: 2013-04-04\n")).data["d"], dt.date)


# ---------------------------------------------------------------- JSON


@pytest.mark.parametrize(("text", "where", "problem"), [
    ('{"a": 1,\n "b": {"c": 1,\n  "c": 2}}', "line 2", "the key 'c' appears twice in the same object"),
    ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "", f"nested more than {MAX_DEPTH} levels deep"),
    ('{"a": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}", "", f"nested more than {MAX_DEPTH}"),
    ('{"a": ' + "7" * 5000 + "}", "", "a number with more than 100 digits"),
    ('{"a": ', "line 1, column 7", "not valid JSON: Expecting value"),
])
def test_bad_json_is_one_error(tmp_path: Path, text: str, where: str, problem: str) -> None:
    err = json_error(tmp_path, text)
    assert err.field == where, str(err)
    assert problem in err.problem, str(err)


def test_json_within_the_limits_loads(tmp_path: Path) -> None:
    data = {"a": [[1, 2], {"b": None}], "c": "é"}
    assert load_json(write(tmp_path, json.dumps(data), "f.json")) == data
    assert depth(data) == 3 and depth(7) == 0


# ---------------------------------------------------------------- many formations, removed by a child


def test_thousands_of_formations_merge_and_remove_by_id_and_errors_still_name_the_file(
        tiny_data: dict, scenario_dir: Path) -> None:
    template = tiny_data["formations"][3]
    tiny_data["formations"] += [dict(template, id=f"extra{i}") for i in range(4000)]
    (scenario_dir / "big.yaml").write_text(yaml.safe_dump(tiny_data, sort_keys=False), encoding="utf-8")
    child = {"extends": "big.yaml", "remove_formations": [f"extra{i}" for i in range(0, 4000, 2)],
             "formations": [{"id": "extra3999", "personnel": 7}]}
    path = scenario_dir / "child.yaml"
    path.write_text(yaml.safe_dump(child), encoding="utf-8")
    scenario = load_scenario(path)
    ids = [f.id for f in scenario.spec.formations]
    assert len(ids) == 4 + 2000 and ids[4:6] == ["extra1", "extra3"]
    assert scenario.spec.formations[-1].personnel == 7
    child["formations"] = [{"id": "extra3999", "personnel": -7}]
    path.write_text(yaml.safe_dump(child), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert (caught.value.file, caught.value.field) == (str(path.resolve()), "formations[2003].personnel")
