"""docs/scenario-format.md, written from the scenario models (sim/scenario.py) and the loader's limits.

Every field's type, default, range, meaning and example come from the models themselves, so the page cannot drift
from what ``validate`` accepts; a test compares the page with :func:`scenario_format_markdown`. Regenerate it with
``python -m sim.scenario_doc`` after changing a model.
"""

from __future__ import annotations

import datetime as dt
import enum
import typing
from pathlib import Path
from typing import Annotated, Any

import annotated_types as at
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.loader import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES
from sim.scenario import (
    MAX_DAYS,
    MAX_EXTENDS,
    MAX_STEPS,
    Doctrine,
    FactionSpec,
    Fires,
    FormationSpec,
    Orders,
    Raid,
    ScenarioSpec,
    SideSpec,
    unwrap,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "scenario-format.md"
MODELS: tuple[type[BaseModel], ...] = (ScenarioSpec, SideSpec, Fires, FactionSpec, FormationSpec, Orders, Raid,
                                       Doctrine)

INTRO = f"""\
# Scenario format

A scenario is a YAML file: the map it is played on, its calendar, two sides, their factions and formations, and
each formation's orders. `python run.py validate FILE.yaml` checks one without running it; `run`, `batch`,
`compare`, `play` and the web app load scenarios the same way, so a file `validate` accepts is a file they run.

This page is generated from the models in `sim/scenario.py` (`python -m sim.scenario_doc`); a test keeps the two in
step. The model parameters a scenario may override under `parameters:` are in [parameters.md](parameters.md), the
map format in [map-format.md](map-format.md).

## The file

- UTF-8 YAML of at most {MAX_FILE_BYTES // 2**20} MiB, nested at most {MAX_DEPTH} levels deep, holding at most \
{MAX_VALUES:,} values (an alias `*name` counts as everything its anchor `&name` names). Merge keys (`<<`) and
  Python tags are refused, and so is a key given twice in one mapping (YAML would silently keep the last).
- Dates are calendar dates (`2020-03-01`; `2021-02-30` is refused). A campaign lasts at most {MAX_DAYS:,} days
  and {MAX_STEPS:,} steps.
- Unknown fields are errors, with a suggestion when one is close (`objectve` -> did you mean `objective`?).
  Numbers must be numbers (`"900"` and `true` are refused), places must be ids on the map.
- Every problem is reported on one line as `FILE: FIELD: PROBLEM (line N)`, exit code 2, naming the file that
  wrote the field (a counterfactual's own fault is reported against the counterfactual, not its parent).

## Counterfactuals: `extends`

A counterfactual names its parent with `extends: PARENT.yaml` (relative to itself) and states only what differs.
Mappings merge key by key; `formations` merge by `id` (a listed id changes that formation's fields, a new id adds
one; an id listed twice in one file is an error); a formation's `orders` replace the parent's whole;
`remove_formations: [ids]` drops formations; any other value replaces the parent's. Chains may be
{MAX_EXTENDS} files long; a file may not extend itself, directly or through others. `map` is relative to the file
that names it.

```yaml
extends: ../tiny.yaml
name: "The garrison breaks out when encircled"
doctrine:
  breakout_when_cut: true
remove_formations: [red_bands]
formations:
  - id: red_garrison        # an existing formation: only its strength changes
    personnel: 650
  - id: red_reserve         # a new formation: every required field
    name: depot guard
    faction: red_guard
    type: infantry
    personnel: 150
    at: depot
    orders: {{hold: depot}}
```
"""

CHECKS = """\
## What `validate` checks beyond the fields

Errors (exit 2), because a run would fail or mean nothing:

- every place named (objective, supply sources, held places, `at`, orders, fortifications, blocked roads) is on
  the map, and a raid's road is a road; factions name a side, formations a faction; formation ids are unique;
- exactly one attacker and one defender; no place is held by both sides;
- `end_date` is after `start_date`; no formation arrives after the end; a raid does not end before it starts;
- `march_km_per_day` and `type_value` are above 0 for every formation type the scenario uses;
- the objective is not a supply source, and is not held by the attacker at the start;
- no side's supply source is held by the other side at the start;
- the objective has a supply route from the defender's sources at the start (through places the defender holds
  or nobody holds, over roads that are not blocked).

Warnings (`validate` prints them, `run` prints them and goes on):

- a formation starts (or arrives) on a place the other side holds at the start;
- `doctrine.siege_before_assault` is on but the attacker's axes (with the places it holds) do not cut the
  objective off from the defender's sources: the objective is then stormed only when the attacker reaches
  `direct_assault_ratio`, and may never fall;
- the map's own warnings (a road graph in pieces, a road drawn far from its places).

## Siege doctrine is a per-scenario choice

`doctrine.siege_before_assault` (default `true`) makes the attacker storm the objective only once it is cut off
from every supply source of the defender (or at `direct_assault_ratio`). That is how a methodical siege is fought,
but it is a property of the theatre, not of the engine: where the attacker's axes cannot close every route (a
town on an open border, a one-axis counterfactual), set it to `false` so that the attacker storms once it has
`assault_ratio_objective`. `validate` warns when the switch is on and the axes cannot cut the
objective off.
"""


def type_text(annotation: Any) -> str:
    """How a field's type reads in the table."""
    inner = unwrap(annotation)
    origin = typing.get_origin(inner)
    if origin is list:
        return f"list of {type_text(typing.get_args(inner)[0])}"
    if origin is dict:
        return f"mapping: id -> {type_text(typing.get_args(inner)[1])}"
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return f"[{inner.__name__}](#{inner.__name__.lower()})"
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in inner)
    names = {str: "text", int: "whole number", float: "number", bool: "true/false", dt.date: "date",
             Any: "number, or numbers by key"}
    return names.get(inner, getattr(inner, "__name__", str(inner)))


def range_text(field: FieldInfo) -> str:
    """Bounds and lengths from the field's constraints (and those of an Annotated element type)."""
    inner = unwrap(field.annotation)
    while typing.get_origin(inner) in (list, dict):
        inner = typing.get_args(inner)[-1]
    element = []
    if typing.get_origin(inner) is Annotated:
        element = [m for a in typing.get_args(inner)[1:] for m in getattr(a, "metadata", [a])]
    unit = "characters" if unwrap(field.annotation) is str else "items"
    words = {at.Ge: ("ge", ">= {}"), at.Gt: ("gt", "> {}"), at.Le: ("le", "<= {}"), at.Lt: ("lt", "< {}"),
             at.MinLen: ("min_length", "at least {} " + unit), at.MaxLen: ("max_length", "at most {} " + unit)}
    own = [text.format(f"{getattr(c, attr):,}") for c in field.metadata for kind, (attr, text) in words.items()
           if isinstance(c, kind)]
    each = [text.format(f"{getattr(c, attr):,}").replace("characters", "items") for c in element
            for kind, (attr, text) in words.items() if isinstance(c, kind)]
    return ", ".join([*own, *(["each " + ", ".join(each)] if each else [])]).replace("at least 1 characters",
                                                                                   "not empty")


def default_text(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    default = field.default
    if isinstance(default, BaseModel):
        return "all defaults"
    if isinstance(default, enum.Enum):
        return f"`{default.value}`"
    return f"`{yaml.safe_dump(default, default_flow_style=True).strip().removesuffix('...').strip()}`"


def example_text(field: FieldInfo) -> str:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if "example" not in extra:
        return ""
    text = yaml.safe_dump(extra["example"], default_flow_style=True, sort_keys=False, width=10**6)
    return f"`{text.strip().removesuffix('...').strip()}`"


def model_table(model: type[BaseModel]) -> str:
    """One model's section: its docstring, then a row per field."""
    doc = " ".join((model.__doc__ or "").split())
    lines = [f"## {model.__name__}", "", doc, "", "| field | type | default | range | meaning | example |",
             "|---|---|---|---|---|---|"]
    for name, field in model.model_fields.items():
        meaning = (field.description or "").replace("|", "\\|")
        lines.append(f"| `{name}` | {type_text(field.annotation)} | {default_text(field)} | {range_text(field)} | "
                     f"{meaning} | {example_text(field)} |")
    return "\n".join(lines) + "\n"


def scenario_format_markdown() -> str:
    """The whole of docs/scenario-format.md."""
    return "\n".join([INTRO, *(model_table(m) for m in MODELS), CHECKS])


if __name__ == "__main__":
    DOC.write_text(scenario_format_markdown(), encoding="utf-8")
    print(f"Wrote {DOC}")
