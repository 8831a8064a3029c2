"""The whole validation of a primary theatre and its transfer theatres as one resumable command
(``run.py validation``).

A theatre is a scenario file with a record (docs/record-format.md); the page names it by its objective's name
on its map and the stage folders by a slug of its file name. Stages, in order, each in a folder of its own under
the output folder and each the project's own command: calibrate the primary theatre on its fitted period (its
check on fresh runs gives the held-back, out-of-sample measures); for each transfer theatre, a fidelity run with
the primary's fitted parameters (the transfer test) and a calibration on its own record; global sensitivity
(Morris, then Sobol') around the primary's fit; and scenario discovery over the primary's counterfactual library.
A stage that finished (its ``stage.json`` names the same command) is skipped on a rerun; an interrupted
calibration resumes from its journal. ``measured()`` then gathers every number docs/validation.md quotes, with
every target of the primary theatre checked (``primary_targets``; the shipped one's are issue 13's), into one
small document (``validation-measured.json``) from which analysis/validation_doc.py writes the page's generated
sections.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from analysis.calibrate import SEARCH_SPACE
from sim.errors import InputError
from sim.record import Record
from sim.records import atomic_write_text, to_json
from sim.scenario import Scenario, read_mapping

Command = Sequence[str]  # how to start run.py: [python, path of run.py]; a stage appends its arguments


@dataclass(frozen=True)
class Budgets:
    """How much each stage runs; the defaults are issue 13's budgets."""

    trials: int = 60  # calibration trials, each theatre
    runs: int = 8  # replicates per calibration trial
    # fresh replicates of each checked parameter set (the out-of-sample measures): a capture the runs make about
    # half the time (al-Buwaydah) has a median that 40 runs set by chance (held-back share 78-89% over three seed
    # sets of 40); 200 settle it
    check_runs: int = 200
    morris: int = 20  # Morris trajectories
    sobol_samples: int = 256  # Sobol' base samples
    top: int = 4  # parameters Sobol' looks at
    sensitivity_runs: int = 4  # replicates averaged per sensitivity point
    samples: int = 200  # discovery: Latin hypercube points per variant
    discover_runs: int = 8  # discovery: replicates per point
    seed: int = 1

    def check(self) -> None:
        for name, value in asdict(self).items():
            if value < (0 if name == "seed" else 1):
                raise InputError("validation", f"--{name.replace('_', '-')}", f"must be at least 1, got {value}")


QUICK = Budgets(trials=4, runs=2, check_runs=4, morris=2, sobol_samples=4, top=2, sensitivity_runs=1, samples=4,
                discover_runs=1)  # every stage end to end in about a minute: for tests, not a result


TARGETS_FILE = "validation-targets.yaml"  # a theatre's targets, beside its record file
Days = Annotated[float, Field(gt=0)]
Share = Annotated[float, Field(ge=0, le=1)]
Range = Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=2, max_length=2)]


class Targets(BaseModel):
    """What the primary theatre's held-back record is held to. The days come from its record; the other
    figures default to what any theatre can be held to, and a ``validation-targets.yaml`` beside its record may
    change them and add the ones a record cannot give (the shipped theatre's file: issue 13's targets)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    fall_day_days: Days = 3.0  # the censored median fall day within this many days of the record's
    first_assault_days: Days = 3.0  # the first assault on the objective within this many days of the record's
    captures_within_7_days: Share = 0.8  # at least this share of the held-back captures within 7 days
    capture_order_spearman: Annotated[float, Field(ge=-1, le=1)] = 0.9  # over the whole record, at least
    killed_within: Share = 0.2  # each recorded side's and faction's killed within this share of its figure
    transfer_fall_day_days: Days = 7.0  # a transfer theatre's fall day within this many days of its record's
    battle_days: Range | None = None  # the objective's battle, first capture to fall, in days: [low, high]
    exchange_ratio: Range | None = None  # defender killed per attacker killed: [low, high]
    defender_captured: Range | None = None  # the defender's men captured: [low, high]

    @field_validator("battle_days", "exchange_ratio", "defender_captured")
    @classmethod
    def _ordered(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError(f"a range must be [low, high], got {value}")
        return value


def load_targets(record: Record) -> Targets:
    """The targets in the ``validation-targets.yaml`` beside ``record``'s file, or the defaults without one."""
    path = Path(record.path).parent / TARGETS_FILE
    if not path.exists():
        return Targets()
    try:
        return Targets.model_validate(read_mapping(path).data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(str(path), ".".join(str(p) for p in err["loc"]), err["msg"]) from None


@dataclass(frozen=True)
class Theatre:
    """A scenario with a record, as the validation names it: ``name`` in the page (its objective's name on its
    map), ``slug`` in stage folders and file names (from its file name)."""

    path: Path
    name: str
    slug: str
    record: Record

    @classmethod
    def of(cls, path: Path, scenario: Scenario, record: Record) -> Theatre:
        return cls(path, scenario.graph.nodes[scenario.spec.objective]["name"], slug(path), record)


def slug(path: Path) -> str:
    """A file name as a folder name: its stem in lower case without accents, every run of other characters than
    a-z and 0-9 one underscore ("Vale of Ember 2.yaml" -> "vale_of_ember_2", "Château.yaml" -> "chateau")."""
    plain = unicodedata.normalize("NFKD", path.stem.lower()).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_") or "theatre"


@dataclass(frozen=True)
class Theatres:
    """The scenario files the stages run: the primary theatre, the theatres its fit is carried to, the
    primary's counterfactuals (discovery's variants), and the targets the primary is held to."""

    primary: Theatre
    transfers: tuple[Theatre, ...]
    counterfactuals: tuple[Path, ...]
    targets: Targets = Targets()

    def __post_init__(self) -> None:
        seen: dict[str, Path] = {}
        for theatre in self.transfers:
            if theatre.slug in seen:
                raise InputError(str(theatre.path), "--transfer", f"names the same stage folders as "
                                 f"{seen[theatre.slug]} ({theatre.slug!r}): rename one of the files")
            seen[theatre.slug] = theatre.path


def transfer_stage(theatre: Theatre) -> str:
    return f"{theatre.slug}_transfer"


def own_fit_stage(theatre: Theatre) -> str:
    return f"calibrate_{theatre.slug}"


def _int_args(**values: int) -> list[str]:
    return [a for name, v in values.items() for a in (f"--{name.replace('_', '-')}", str(v))]


def derived_scenario(path: Path, parent: Path, parameters: Mapping[str, float], why: str) -> Path:
    """A scenario file that extends ``parent`` with ``parameters`` (written atomically; JSON is YAML)."""
    body = {"extends": str(parent.resolve()), "name": f"{parent.stem} ({why})",
            "parameters": {k: float(v) for k, v in parameters.items()}}
    atomic_write_text(path, f"# {why}: written by run.py validation\n{json.dumps(body, indent=2)}\n")
    return path


def chosen_parameters(folder: Path) -> dict[str, float]:
    """The chosen values of a finished calibration folder."""
    return read_json(folder / "calibration.json")["chosen"]["params"]


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(str(path), "", f"cannot be read: {exc}") from None


def _calibrate_argv(theatre: Theatre, folder: Path, budgets: Budgets, extra: Sequence[str]) -> list[str]:
    return ["calibrate", "--scenario", str(theatre.path), *_int_args(budget=budgets.trials, runs=budgets.runs,
            check_runs=budgets.check_runs, seed=budgets.seed), "--out", str(folder), *extra]


def _primary_fit(out: Path, theatres: Theatres, on: Theatre, name: str) -> Path:
    """``on`` with the parameters fitted on the primary theatre, as a scenario file in ``out/scenarios``."""
    return derived_scenario(out / "scenarios" / name, on.path, chosen_parameters(out / "calibrate"),
                            f"parameters fitted on {theatres.primary.name}")


def _transfer_argv(out: Path, theatres: Theatres, theatre: Theatre, budgets: Budgets, extra: Sequence[str]
                   ) -> list[str]:
    """The same fresh seeds as the calibrations' checks (calibrate: seed + 2)."""
    path = _primary_fit(out, theatres, theatre, f"{theatre.slug}_{theatres.primary.slug}_fit.yaml")
    return ["fidelity", "--scenario", str(path), *_int_args(runs=budgets.check_runs, seed=budgets.seed + 2),
            "--out", str(out / transfer_stage(theatre)), *[a for a in extra if not a.startswith("--search")]]


def _sensitivity_argv(out: Path, theatres: Theatres, budgets: Budgets, extra: Sequence[str]) -> list[str]:
    path = _primary_fit(out, theatres, theatres.primary, f"{theatres.primary.slug}_fit.yaml")
    return ["sensitivity", "--scenario", str(path), *_int_args(budget=budgets.morris,
            sobol_samples=budgets.sobol_samples, top=budgets.top, runs=budgets.sensitivity_runs, seed=budgets.seed),
            "--out", str(out / "sensitivity"), *extra]


def _discovery_argv(out: Path, theatres: Theatres, budgets: Budgets, extra: Sequence[str]) -> list[str]:
    return ["discover", "--scenario", str(theatres.primary.path), "--counterfactuals",
            *[str(p) for p in theatres.counterfactuals],
            *_int_args(samples=budgets.samples, runs=budgets.discover_runs, seed=budgets.seed),
            "--out", str(out / "discovery"), *extra]


def stage_commands(out: Path, theatres: Theatres, budgets: Budgets, extra: Sequence[str] = ()
                   ) -> dict[str, Callable[[], list[str]]]:
    """Each stage's name and how to build its command, in order. A command is built when its stage starts,
    since a later stage may write the scenario file it runs from an earlier one's result."""
    stages: dict[str, Callable[[], list[str]]] = {
        "calibrate": partial(_calibrate_argv, theatres.primary, out / "calibrate", budgets, extra)}
    for theatre in theatres.transfers:
        stages[transfer_stage(theatre)] = partial(_transfer_argv, out, theatres, theatre, budgets, extra)
        stages[own_fit_stage(theatre)] = partial(_calibrate_argv, theatre, out / own_fit_stage(theatre), budgets,
                                                 extra)
    stages["sensitivity"] = partial(_sensitivity_argv, out, theatres, budgets, extra)
    stages["discovery"] = partial(_discovery_argv, out, theatres, budgets, extra)
    return stages


def _tree_ticks(root: int) -> dict[int, int]:
    """CPU clock ticks (user + system) of ``root`` and every process descending from it, from /proc (Linux);
    empty elsewhere. Workers fork from a forkserver, so a stage's CPU time is not in any rusage it returns."""
    stats: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # ppid, utime + stime
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, (ppid, _) in stats.items() if ppid in tree} - tree
        grew, tree = bool(more), tree | more
    return {pid: stats[pid][1] for pid in tree if pid in stats}


def run_command(argv: Sequence[str], every: float = 1.0) -> tuple[int, float | None]:
    """Run a stage's command; return its exit status and CPU seconds of its process tree (sampled every
    ``every`` seconds, so a process living less than that may be missed; None where /proc is absent)."""
    ticks: dict[int, int] = {}
    with subprocess.Popen(list(argv)) as process:
        while process.poll() is None:
            ticks |= _tree_ticks(process.pid)
            time.sleep(every)
    if not Path("/proc").is_dir():
        return process.returncode, None
    return process.returncode, sum(ticks.values()) / os.sysconf("SC_CLK_TCK")


def run_stage(stage: str, out: Path, argv: list[str], command: Command, progress: Callable[[str], None]
              ) -> dict[str, Any]:
    """Run one stage unless its folder holds a finished run of the same command; return its stage.json."""
    marker = out / stage / "stage.json"
    if marker.is_file():
        done = read_json(marker)
        if done.get("argv") == argv:
            progress(f"== {stage}: done earlier ({done['wall_seconds']:.0f} s), skipped")
            return done
    progress(f"== {stage}: run.py {' '.join(argv)}")
    wall = time.perf_counter()
    status, cpu = run_command([*command, *argv])
    if status != 0:
        raise InputError(str(out / stage), stage, f"stage failed (exit {status}); rerun the same command to resume")
    done = {"stage": stage, "argv": argv, "wall_seconds": round(time.perf_counter() - wall, 1),
            "cpu_seconds": None if cpu is None else round(cpu, 1)}
    atomic_write_text(marker, to_json(done))
    progress(f"== {stage}: {done['wall_seconds']:.0f} s wall, {_num_text(cpu)} s CPU")
    return done


def _num_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def run_validation(out: Path, theatres: Theatres, budgets: Budgets, command: Command, extra: Sequence[str] = (),
                   progress: Callable[[str], None] = print) -> dict[str, dict[str, Any]]:
    """Every stage in order (resumable); return each stage's stage.json."""
    budgets.check()
    return {stage: run_stage(stage, out, argv(), command, progress)
            for stage, argv in stage_commands(out, theatres, budgets, extra).items()}


# ---------------------------------------------------------------- the measures and their targets

def _target(measure: str, value: float | None, target: str, met: bool, by: str, note: str = "") -> dict[str, Any]:
    return {"measure": measure, "value": value, "target": target, "met": met, "by": by, "note": note}


def _window(measure: str, value: float | None, centre: float, width: float, unit: str = "days") -> dict[str, Any]:
    if value is None:
        return _target(measure, None, f"{centre:g} ± {width:g}", False, "never happened")
    miss = abs(value - centre) - width
    return _target(measure, value, f"{centre:g} ± {width:g}", miss <= 0,
                   "within" if miss <= 0 else f"{miss:.1f} {unit} outside")


def _band(measure: str, value: float | None, low: float, high: float, unit: str = "") -> dict[str, Any]:
    target = f"{low:g}-{high:g}"
    if value is None:
        return _target(measure, None, target, False, "never happened")
    miss = max(low - value, value - high, 0.0)
    return _target(measure, value, target, miss == 0, "within" if miss == 0 else f"{miss:.2f}{unit} outside")


def _at_least(measure: str, value: float | None, floor: float) -> dict[str, Any]:
    if value is None:
        return _target(measure, None, f">= {floor:g}", False, "undefined")
    return _target(measure, value, f">= {floor:g}", value >= floor,
                   "met" if value >= floor else f"{floor - value:.2f} short")


def _killed_target(name: str, value: float, recorded: Sequence[float], error: float, within: float = 0.2
                   ) -> dict[str, Any]:
    low, high = min(recorded), max(recorded)
    text = f"{low:g}" if low == high else f"{low:g}-{high:g}"
    miss = abs(error) - within
    return _target(f"killed, {name}", value, f"within {within:.0%} of {text}", miss <= 0,
                   "within" if miss <= 0 else f"{error:+.0%} ({miss:.0%} beyond the {within:.0%})")


def _first_assault(report: Mapping[str, Any], objective: str) -> float | None:
    rows = [r for r in report["assault_table"] if r["place"] == objective and r["taken_share"] > 0.5]
    return rows[0]["sim_median"] if rows else None


FALL_MEASURE = "fall day, median (censored: a town that held counts one day past the end)"


def primary_targets(report: Mapping[str, Any], record: Record, targets: Targets) -> list[dict[str, Any]]:
    """The primary theatre's targets on one fidelity report (the held-back record of one parameter set): the days
    from its record, the figures from ``targets``; a day the record does not give (a town that held, no recorded
    first assault) or a range the targets do not set drops the rows that need it."""
    held = report["held_back"]
    battle = held["objective"]
    defender = report["defender"]
    rows = [fate_target(report, FALL_MEASURE, "town held: share of runs", targets.fall_day_days)]
    if record.first_assault_day is not None:
        rows.append(_window("first assault on the town, median", _first_assault(report, record.objective),
                            record.first_assault_day, targets.first_assault_days))
    if record.fall_day is not None and targets.battle_days is not None:
        days = battle["battle_days"]
        rows.append(_band("town battle, days (first capture to fall, runs that fell)",
                          days["median"] if days else None, *targets.battle_days, " days"))
    rows += [_at_least("held-back captures within 7 days (share)", held["captures_within_7_days_share"],
                       targets.captures_within_7_days),
             _at_least("capture-order Spearman, whole record", report["capture_order_spearman"],
                       targets.capture_order_spearman)]
    for name, value in (held["killed_by_side"] | held["killed_by_faction"]).items():
        rows.append(_killed_target(name, value["median"], held["killed_recorded"][name],
                                   held["killed_relative_error"][name], targets.killed_within))
    if targets.exchange_ratio is not None:
        rows.append(_band(f"exchange ratio ({defender} killed per {report['attacker']} killed)",
                          held["exchange_ratio"]["median"], *targets.exchange_ratio))
    if targets.defender_captured is not None:
        captured = battle["captured_by_side"].get(defender, {}).get("median")
        rows.append(_band(f"{defender} captured, median", captured, *targets.defender_captured))
    return rows


def fate_target(report: Mapping[str, Any], fell_measure: str, held_measure: str, width: float
                ) -> dict[str, Any]:
    """The objective's fate against its record. A town that fell: the censored median fall day within ``width``
    days of the recorded one. A town that held (no fall day): met when the censored median fall day is past the
    end, i.e. the town held in at least half the runs; otherwise missed by the share of runs it fell in."""
    held = report["held_back"]
    if report["fall_day_recorded"] is not None:
        return _window(fell_measure, held["fall_day_median"], report["fall_day_recorded"], width)
    kept = held["fall_share"] < 0.5
    return _target(held_measure, 1.0 - held["fall_share"], "held (in at least half the runs)", kept,
                   "met" if kept else f"fell in {held['fall_share']:.0%} of runs, median day "
                   f"{held['fall_day_median']:.0f}")


def transfer_target(report: Mapping[str, Any], label: str, days: float = 7.0) -> dict[str, Any]:
    """A transfer theatre's fate: its fall day within ``days`` of its record, or held if it held."""
    return fate_target(report, f"fall day, {label}", f"town held ({label}): share of runs", days)


def _fit(folder: Path) -> dict[str, Any]:
    result = read_json(folder / "calibration.json")
    keep = ("base", "seed", "budget", "space", "chosen", "on_bounds", "default_loss", "chosen_loss",
            "default_report", "chosen_report")
    return {k: result[k] for k in keep} | {"trials": len(result["trials"]),
                                           "parameter_sets": len(result["parameter_sets"])}


def stage_runs(budgets: Budgets, theatres: Theatres) -> dict[str, int]:
    """How many simulation runs each stage makes (the unit of its cost): trials x runs plus two checked sets,
    Morris trajectories x (parameters + 1) and Sobol' base samples x (top + 2) points, discovery's points x variants
    (the primary and its counterfactuals), each point x its replicates."""
    calibration = budgets.trials * budgets.runs + 2 * budgets.check_runs
    morris = budgets.morris * (len(SEARCH_SPACE) + 1)
    sobol = budgets.sobol_samples * (budgets.top + 2)
    runs = {"calibrate": calibration}
    for theatre in theatres.transfers:
        runs |= {transfer_stage(theatre): budgets.check_runs, own_fit_stage(theatre): calibration}
    variants = len(theatres.counterfactuals) + 1
    return runs | {"sensitivity": (morris + sobol) * budgets.sensitivity_runs,
                   "discovery": budgets.samples * variants * budgets.discover_runs}


def measured(out: Path, theatres: Theatres, stages: Mapping[str, Mapping[str, Any]],
             provenance: Mapping[str, Any]) -> dict[str, Any]:
    """Everything docs/validation.md quotes, from the stages' outputs in ``out``."""
    primary = theatres.primary
    fit = _fit(out / "calibrate")
    sens = read_json(out / "sensitivity" / "sensitivity.json")
    transfers, days = [], theatres.targets.transfer_fall_day_days
    for theatre in theatres.transfers:
        own = _fit(out / own_fit_stage(theatre))
        transfer = read_json(out / transfer_stage(theatre) / "fidelity.json")
        transfers.append({"name": theatre.name, "slug": theatre.slug, "fit": own, "transfer": transfer,
                          "targets": [transfer_target(transfer, f"{primary.name}'s parameters", days),
                                      transfer_target(own["chosen_report"], "its own fit", days)]})
    return {
        "provenance": {**provenance, "stages": {name: {k: s[k] for k in ("argv", "wall_seconds", "cpu_seconds")}
                                                for name, s in stages.items()}},
        "primary": {"name": primary.name, "slug": primary.slug, **fit}, "transfers": transfers,
        "targets": primary_targets(fit["chosen_report"], primary.record, theatres.targets),
        "targets_defaults": primary_targets(fit["default_report"], primary.record, theatres.targets),
        "sensitivity": {k: sens[k] for k in ("trajectories", "sobol_samples", "runs", "morris", "sobol_parameters",
                                             "sobol")},
        "discovery": read_json(out / "discovery" / "boxes.json"),
    }


def pictures(theatres: Theatres) -> dict[tuple[str, str], str]:
    """(stage folder, picture) -> the name docs/validation.md links it by."""
    return {("calibrate", "calibration.png"): "validation-calibration.png",
            ("calibrate", "fidelity_defaults.png"): "validation-defaults.png",
            ("calibrate", "fidelity_calibrated.png"): "validation-calibrated.png",
            **{(own_fit_stage(t), "calibration.png"): f"validation-{t.slug}-calibration.png"
               for t in theatres.transfers},
            ("sensitivity", "morris.png"): "validation-morris.png",
            ("sensitivity", "sobol.png"): "validation-sobol.png",
            ("discovery", "discovery.png"): "validation-discovery.png"}


def copy_pictures(out: Path, theatres: Theatres, img: Path) -> list[Path]:
    """The stages' pictures, copied beside the page under the names it links."""
    img.mkdir(parents=True, exist_ok=True)
    copied = []
    for (stage, name), target in pictures(theatres).items():
        source = out / stage / name
        if source.is_file():
            shutil.copyfile(source, img / target)
            copied.append(img / target)
    return copied
