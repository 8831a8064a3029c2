"""The after-action report: one self-contained HTML page (every picture inlined, nothing fetched from anywhere) from
a run, batch or compare folder.

``build_report(folder)`` writes ``folder/report.html`` and its pictures into ``folder/img/``. The page has a table
of contents; the summary with history beside the model; the scenarios compared; the progress plot; the theatre on
the eve of the cut-off and on the last day; the campaign day by day (a day slider over the maps, with the day's
events; GIF and MP4 beside it); each counterfactual's question with its progress and its map at the cut-off; the
scenario discovery's boxes when the folder holds them (the main job's do); the turning points; the run's story
beside history's; method, assumptions and limitations; the parameters with their
sources; the validation summary when the folder holds one; provenance; and links to every data file.

The run shown in detail (for a batch: the *representative* run of the reference scenario) is the one closest to
the median cut-off and fall days, among the runs with the most common outcome, and the page says so. It is
replayed from its scenario and seed (and design point's parameters), which reproduces it exactly. History is only
ever the scenario's own record (analysis/history.py); a scenario without one is shown none, and the page says so.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import html
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import narrative
from analysis.animation import Frame, jpeg_bytes, write_animation
from analysis.contrasts import contrasts, contrasts_markdown
from analysis.discovery import boxes_markdown
from analysis.distributions import distribution_figure, scenario_order
from analysis.fidelity import fidelity_lines, fidelity_report
from analysis.folders import (
    ROOT,
    RunFolder,
    StoreFolder,
    checked_scenario,
    load_folder,
    recorded_hash,
    scenario_file,
    stored_path,
)
from analysis.history import NO_RECORD, History, history_of
from analysis.palette import png_bytes
from analysis.progress import progress_figure
from analysis.replay import state_at
from analysis.scores import rank_scenarios, scores_markdown
from analysis.theatre_map import MapOptions, capture_dates, draw_map, event_places
from sim.batch import scenario_variant  # a scenario with a design point's parameters
from sim.events import format_date
from sim.parameters import Parameters, parameter_table
from sim.records import atomic_write_bytes, atomic_write_text, file_digests, scenario_digest
from sim.scenario import Scenario
from sim.simulation import simulate

REFERENCE = "historical"
MAP_DPI, PANEL_DPI = 80, 55
LIBRARIES = ("mesa", "numpy", "pandas", "scipy", "networkx", "matplotlib", "pyarrow", "pydantic")
PROJECT = "qusayr-wargame"
Warn = Callable[[str], None]


def warn_on_stderr(message: str) -> None:
    """The default way ``build_report`` tells the user something it could not check."""
    print(f"warning: {message}", file=sys.stderr)


@dataclasses.dataclass
class Subject:
    """What the report is about: the scenario and seed of the run it shows in detail, and the runs behind it."""

    name: str
    scenario: Scenario
    seed: int
    summary: dict[str, Any]  # the detailed run's
    events: pd.DataFrame  # the detailed run's
    series: pd.DataFrame  # the detailed run's daily rows
    all_series: pd.DataFrame  # the scenario's daily rows over its replicates (a replicate column for a batch)
    summaries: list[dict[str, Any]]  # the scenario's runs
    history: History | None
    why: str  # why this run is the one shown


# ---------------------------------------------------------------- which run to show


def _majority(runs: pd.DataFrame, column: str) -> pd.DataFrame:
    """The runs with the most common outcome for ``column`` (it happened, or it did not; ties: it happened)."""
    happened = runs[column].notna()
    return runs[happened] if happened.mean() >= 0.5 else runs[~happened]


def representative(runs: pd.DataFrame) -> pd.Series:
    """The run closest to the median cut-off and fall days among the runs with the most common outcome.

    Distance is the sum of the gaps (in days) to the medians of the measures that happened; ties go to the run
    nearest the median supply AUC, then to the lowest replicate.
    """
    pool = _majority(_majority(runs, "objective_fall_day"), "encirclement_day")
    gap = pd.Series(0.0, index=pool.index)
    for column in ("encirclement_day", "objective_fall_day"):
        if pool[column].notna().all():
            gap += (pool[column] - pool[column].median()).abs()
    auc_gap = (pool["supply_auc"] - pool["supply_auc"].median()).abs()
    return pool.assign(gap=gap, auc_gap=auc_gap).sort_values(["gap", "auc_gap", "replicate"]).iloc[0]


def _median_text(values: pd.Series) -> str:
    happened = values.dropna()
    return "never" if happened.empty else f"{happened.median():g}"


def why_representative(row: pd.Series, runs: pd.DataFrame) -> str:
    """In words: which run is shown and how it compares with the medians."""
    def day(value: Any) -> str:
        return "never" if pd.isna(value) else f"day {float(value):g}"

    return (f"the representative run (seed {int(row['seed'])}): of the {len(runs)} runs, the one closest to the "
            f"median cut-off and fall days among the runs with the most common outcome. It was cut off "
            f"{day(row['encirclement_day'])} (median of the runs cut off: {_median_text(runs['encirclement_day'])})"
            f" and fell {day(row['objective_fall_day'])} (median of the runs in which it fell: "
            f"{_median_text(runs['objective_fall_day'])}).")


def reference_of(store: StoreFolder) -> str:
    """The scenario the others are compared with: ``historical`` if there is one, else the first given."""
    listed = [s.get("name") for s in store.manifest.get("scenarios", []) if isinstance(s, dict)]
    names = list(dict.fromkeys(store.ok_runs()["scenario"]))
    if REFERENCE in names:
        return REFERENCE
    return next((n for n in listed if n in names), names[0])


def _store_scenario(store: StoreFolder, name: str, row: pd.Series, given: str | None, warn: Warn) -> Scenario:
    """The scenario (with the run's design point's parameters) of a store's run, checked against its hash."""
    file, sha = recorded_hash(store, name)
    path = Path(given) if given else stored_path(file or row["scenario_file"])
    base = checked_scenario(path, sha, store.path / "manifest.json", warn)
    return scenario_variant(str(Path(base.path).resolve()), row["parameters"] or "{}")


def subject_of(folder: RunFolder | StoreFolder, given: str | None, warn: Warn, name: str | None = None) -> Subject:
    """The run to show in detail: the folder's run, or a batch scenario's representative run (replayed)."""
    if isinstance(folder, RunFolder):
        s = folder.summary
        file, sha = recorded_hash(folder, s["scenario"])
        path = Path(given) if given else (stored_path(file) if file else scenario_file(s["scenario"]))
        scenario = checked_scenario(path, sha, folder.path / "summary.json", warn)
        return Subject(s["scenario"], scenario, int(s["seed"]), s, folder.events, folder.timeseries,
                       folder.timeseries, [s], history_of(scenario), f"the run with seed {int(s['seed'])}.")
    name = name or reference_of(folder)
    runs = folder.ok_runs()
    runs = runs[(runs["scenario"] == name)]
    runs = runs[runs["design_point"] == runs["design_point"].min()]
    row = representative(runs)
    scenario = _store_scenario(folder, name, row, given if name == reference_of(folder) else None, warn)
    record = simulate(scenario, int(row["seed"]))
    events = pd.DataFrame([e.row() for e in record.events])
    all_series = folder.series(name, design_point=int(row["design_point"]))
    return Subject(name, scenario, int(row["seed"]), record.summary, events, pd.DataFrame(record.timeseries),
                   all_series, folder.summaries(name), history_of(scenario), why_representative(row, runs))


# ---------------------------------------------------------------- HTML pieces


def _esc(text: Any) -> str:
    return html.escape(str(text))


def _img(data: bytes, mime: str, alt: str) -> str:
    return f'<img src="data:{mime};base64,{base64.b64encode(data).decode("ascii")}" alt="{_esc(alt)}">'


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    out = [f'<table class="{cls}">']
    if any(head):
        out.append("<thead><tr>" + "".join(f"<th>{_esc(h)}</th>" for h in head) + "</tr></thead>")
    out.append("<tbody>")
    out += ["<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows]
    out.append("</tbody></table>")
    return "\n".join(out)


def _figure(data: bytes, mime: str, caption: str) -> str:
    return f"<figure>{_img(data, mime, caption)}<figcaption>{_esc(caption)}</figcaption></figure>"


def markdown_table_html(markdown: str) -> str:
    """A table of analysis.scores.scores_markdown or analysis.contrasts.contrasts_markdown as HTML: same cells,
    same note."""
    lines = markdown.strip().splitlines()
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines if line.startswith("|")]
    note = " ".join(line for line in lines if line and not line.startswith("|"))

    def cell(text: str) -> str:
        text = _esc(text)
        return text.replace("**", "<b>", 1).replace("**", "</b>", 1) if text.count("**") == 2 else text

    return _table(rows[0], [[cell(c) for c in r] for r in rows[2:]], "scores") + f'<p class="note">{_esc(note)}</p>'


def _day(start: str, day: float | None) -> str:
    if day is None or pd.isna(day):
        return "never"
    date = dt.date.fromisoformat(start) + dt.timedelta(days=float(day))
    return f"day {float(day):g} ({format_date(date)})"


def _median_day(start: str, days: Sequence[float | None]) -> str:
    happened = [d for d in days if d is not None]
    if not happened:
        return "never"
    share = "" if len(happened) == len(days) else f", in {len(happened) / len(days):.0%} of runs"
    return _day(start, float(pd.Series(happened).median())) + share


def _recorded(history: History | None, date: dt.date | None, start: dt.date, missing: str) -> str:
    if history is None:
        return "no record"
    if date is None:
        return missing
    return f"day {(date - start).days} ({format_date(date)})"


def _recorded_loss(history: History | None, side: str) -> str:
    if history is None:
        return "no record"
    loss = history.losses_by_side.get(side)
    if loss is None:
        return "not in the record"
    low, high = loss.killed
    return (f"{low:,}" if low == high else f"{low:,}–{high:,}") + f" ({_esc(loss.period)}; {_esc(loss.source)})"


def summary_html(subject: Subject) -> str:
    """The headline measures of the model beside the record's."""
    s, runs, history = subject.summary, subject.summaries, subject.history
    start = s["start_date"]
    first = dt.date.fromisoformat(start)
    many = len(runs) > 1
    median = "median " if many else ""
    objective = _esc(s["objective_name"])
    rows = [
        ["scenario", _esc(s["title"]), ""],
        ["runs", f"{len(runs)}", ""],
        [f"{median}day {objective} was cut off", _median_day(start, [r["encirclement_day"] for r in runs]),
         _recorded(history, history and history.encirclement_date, first, "not in the record")],
        [f"{median}day {objective} fell", _median_day(start, [r["objective_fall_day"] for r in runs]),
         _recorded(history, history and history.fall_date, first, "it held: never fell")],
        [f"{median}supply AUC", f"{pd.Series([r['supply_auc'] for r in runs]).median():.2f} (1 = never reduced, "
                                "lower = strangled sooner)", ""],
    ]
    for side, name in ((k, v.name) for k, v in subject.scenario.spec.sides.items()):
        killed = pd.Series([r["casualties_by_side"].get(side, {}).get("killed", 0) for r in runs])
        rows.append([f"{median}{_esc(name)} killed", f"{killed.median():.0f}" + (
            f" (90%: {killed.quantile(0.05):.0f}–{killed.quantile(0.95):.0f})" if many else ""),
            _recorded_loss(history, side)])
    table = _table(["", "the model", "history"], [[f"<b>{a}</b>", b, c] for a, b, c in rows], "facts")
    note = (f"<p>History: {_esc(NO_RECORD)}; nothing from history is shown in this report.</p>" if history is None
            else f'<p class="note">History: the scenario\'s record, {_esc(Path(history.path).name)}.</p>')
    return table + note + f"<p>Shown in detail: {_esc(subject.why)}</p>"


def changes_html(subject: Subject) -> str:
    """The objective's changes of hands in the run shown, in words."""
    spec = subject.scenario.spec
    sides = {k: v.name for k, v in spec.sides.items()}
    changes = narrative.changes_of_hands(subject.summary, spec.objective, sides)
    name = _esc(subject.summary["objective_name"])
    if not changes:
        return f"<p>In this run {name} never changed hands.</p>"
    more = (" It changed hands more than once: a side that takes the objective can lose it to a counter-attack "
            "before the end, and only the last capture that held counts as its fall.") if len(changes) > 1 else ""
    return f"<p>{name} in this run: " + "; ".join(_esc(c) for c in changes) + f".{more}</p>"


def story_html(subject: Subject) -> str:
    graph, spec = subject.scenario.graph, subject.scenario.spec
    rows = narrative.side_by_side(subject.events, subject.history, subject.summary["start_date"],
                                  subject.summary["end_date"], {p: graph.nodes[p]["name"] for p in graph},
                                  {k: v.name for k, v in spec.sides.items()}, {f.id: f.name for f in spec.formations})
    head = ["date", "this run", "history" if subject.history else f"history ({NO_RECORD})"]
    return _table(head, [[format_date(dt.date.fromisoformat(r["date"])), _esc(r["run"]), _esc(r["history"])]
                         for r in rows], "story")


def turning_points_html(subject: Subject, store: StoreFolder | None) -> str:
    graph = subject.scenario.graph
    names = {p: graph.nodes[p]["name"] for p in graph}
    attacker = subject.scenario.attacker
    run = narrative.turning_points(subject.summary, subject.series, attacker, names)
    parts = [_table(["date", "captured", "supply flow lost", "flow left"],
                    [[format_date(dt.date.fromisoformat(r["date"])), _esc(r["places"]), f"{r['drop']:.0%}",
                      f"{r['flow_after']:.0%}"] for r in run], "turning")]
    if store is not None and len(subject.summaries) > 1:
        ok = store.ok_runs()
        ok = ok[ok["scenario"] == subject.name]
        pairs = [(json.loads(r.summary_json), store.series(subject.name, int(r.replicate), int(r.design_point)))
                 for r in ok.itertuples()]
        impact = narrative.place_impact(pairs, attacker, names)
        parts.append(f"<h3>Over all {len(pairs)} runs of {_esc(subject.name)}</h3>")
        parts.append(_table(["captured place", "taken by the attacker in", "mean supply flow its capture cut"],
                            [[_esc(r["place"]), f"{r['runs_share']:.0%} of runs", f"{r['mean_drop']:.0%}"]
                             for r in impact], "turning"))
    return "\n".join(parts)


def method_html(scenario: Scenario) -> str:
    doctrine = scenario.spec.doctrine.model_dump()
    switches = ", ".join(f"{k.replace('_', ' ')}: {'on' if v else 'off'}" for k, v in doctrine.items())
    return f"""<p>An agent-based model (Mesa): formations move along the roads of the map, fight for places by the
force ratios and loss rates of the parameter table, and hold ground; each day the defender's supply is traced from
its supply sources along the roads it controls to the objective. The <b>supply flow</b> is the maximum flow of
that network relative to the first day; the <b>minimum cut</b> is the fewest roads whose loss would cut the
objective off; the objective is <b>cut off</b> when no supply path is left. The attacker's doctrine follows the
scenario's orders (axes of advance, holds, raids); the defender holds, reinforces and withdraws by rule. Doctrine
switches of this scenario: {_esc(switches)}. The rules in words: docs/model.md; the words: docs/glossary.md.</p>
<p><b>Assumptions.</b> Places and roads are those of the map; strengths, arrival dates and orders those of the
scenario; every number of the engine is in the parameter table below, with its source. A run is a pure function
of (scenario, seed); replicates differ only by their seed.</p>
<p><b>Limitations.</b> No civilians, weather, logistics beyond road supply, or command friction beyond the
doctrine rules; combat is aggregated per place and day (a town split into quarters is one battle across them
while both sides stand in it), and the wounded never return to the fight; losses are the least reliable output
(compare them with the record's ranges in the validation summary), timing and order of captures the better
supported; medians and intervals describe the model's spread, not the uncertainty of history.</p>"""


def parameters_html(scenario: Scenario) -> str:
    defaults = Parameters()
    rows = []
    for row in parameter_table():
        used = getattr(scenario.params, row["name"])
        changed = used != getattr(defaults, row["name"])
        rows.append([f"<code>{_esc(row['name'])}</code>", _esc(_value(used)) + (" <b>(scenario)</b>" if changed
                                                                                else ""),
                     f"{row['low']:g}..{row['high']:g}", _esc(row["unit"]), _esc(row["doc"]), _esc(row["source"])])
    return _table(["parameter", "value used", "range", "unit", "meaning", "source"], rows, "params")


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v:g}" for k, v in value.items())
    return f"{value:g}" if isinstance(value, float) else str(value)


VALIDATION_CAVEATS = ("Caveats: the calibration may fit the record only up to its split date, and what follows is "
                      "held back to test the fit; recorded losses are ranges from the record's sources and the least "
                      "reliable output; a capture the model never makes counts as missed.")


def validation_html(folder: Path, subject: Subject) -> str:
    """The fidelity summary: the folder's fidelity.json if there is one, else computed from the subject's runs
    against its record."""
    path = folder / "fidelity.json"
    if path.exists():
        try:
            lines = fidelity_lines(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            return f"<p>fidelity.json could not be read ({_esc(exc)}).</p>"
        where = "from this folder's fidelity.json"
    elif subject.history is not None:
        lines = fidelity_lines(fidelity_report(subject.summaries, subject.history))
        where = f"computed from the {len(subject.summaries)} run(s) of {subject.name} in this folder"
    else:
        return (f"<p>No validation: {_esc(NO_RECORD)}. Write one (docs/record-format.md) and run "
                "<code>run.py fidelity --scenario FILE</code>.</p>")
    return (f"<p>How well the runs reproduce the record ({_esc(where)}):</p><pre>" + _esc("\n".join(lines)) +
            f'</pre><p class="note">{_esc(VALIDATION_CAVEATS)}</p>')


DISCOVERY_FOLDER = "discovery"  # where the main job writes run.py discover beside its comparison


def discovery_html(folder: Path, pictures: Pictures) -> str | None:
    """Scenario discovery, when the folder holds one (``discovery/boxes.json``, which the main job writes beside
    its comparison): PRIM's boxes of parameters and variants where the objective still holds at the end, and the
    peeling picture ``run.py discover`` drew beside them. None when there is none."""
    found = folder / DISCOVERY_FOLDER
    if not (found / "boxes.json").exists():
        return None
    try:
        document = json.loads((found / "boxes.json").read_text(encoding="utf-8"))
        table = boxes_markdown(document)
        picture = pictures.keep("discovery.png", (found / "discovery.png").read_bytes())
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        return f"<p>{DISCOVERY_FOLDER}/ could not be read ({_esc(exc)}).</p>"
    intro = (f"<p>Over the plausible parameter ranges (each with its source: the parameters section) and every "
             f"scenario variant, where does the objective still hold at the end? {document['points']} points "
             f"({document['samples']} Latin hypercube samples x {len(document['variants'])} variants), "
             f"{document['runs']} run(s) each; PRIM (the patient rule induction method) finds the boxes where it "
             f"holds most. A small sample: a box is a lead, not a finding; a box without parameter limits says the "
             f"what-if, not the uncertain numbers, decides. The full discovery: docs/validation.md.</p>")
    caption = ("Left: the first box's peeling trajectory, from the whole sample (right) to ever smaller, denser "
               "boxes; the circle is the step chosen, the star the box after pasting. Right: each box's limits "
               "over each input's searched range.")
    return intro + markdown_table_html(table[table.index("| box"):]) + _figure(picture, "image/png", caption)


def _git_commit() -> str:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--abbrev=40"],
                              capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "unknown (git not available)"
    return done.stdout.strip() or "unknown (not a git checkout)"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def provenance_html(scenarios: Sequence[Scenario], source: RunFolder | StoreFolder) -> str:
    if isinstance(source, StoreFolder):
        m = source.manifest
        seeds = (f"base seed {m.get('seed', '?')}; replicate seeds {m.get('replicate_seeds', '?')}; command: "
                 f"{' '.join(m.get('command', [])) or '?'}")
    else:
        seeds = f"seed {source.summary['seed']}"
    facts = [["project", f"{PROJECT} {_version(PROJECT)}, commit {_git_commit()}"],
             ["seeds", _esc(seeds)],
             ["libraries", _esc(f"python {platform.python_version()}, " + ", ".join(f"{p} {_version(p)}"
                                                                                    for p in LIBRARIES))],
             ["machine", _esc(f"{platform.platform()}, {platform.machine()}, {os.cpu_count()} cores")],
             ["report written", _esc(dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))]]
    files = []
    for s in scenarios:
        files += [[_esc(s.name), f"<code>{_esc(f['path'])}</code>", f"<code>{f['sha256']}</code>"]
                  for f in file_digests(s)]
        files.append([_esc(s.name), "all of the above together", f"<code>{scenario_digest(s)}</code>"])
        if s.spec.record:
            record = Path(s.spec.record)
            files.append([_esc(s.name), f"record: <code>{_esc(record)}</code>",
                          f"<code>{_esc(_sha256(record)) if record.is_file() else 'missing'}</code>"])
    return _table(["", ""], [[f"<b>{a}</b>", b] for a, b in facts], "facts") + _table(
        ["scenario", "file", "sha256"], files, "files")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def data_files_html(folder: Path) -> str:
    """A link to every data file of the folder (relative, so the folder can be moved or shared whole)."""
    rows = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        relative = path.relative_to(folder)
        if relative.parts[0] in ("parts", "img") or path.name == "report.html":
            continue
        rows.append([f'<a href="{_esc(relative.as_posix())}">{_esc(relative.as_posix())}</a>',
                     f"{path.stat().st_size / 1024:,.0f} kB"])
    pictures = sorted((folder / "img").glob("*")) if (folder / "img").is_dir() else []
    rows += [[f'<a href="img/{_esc(p.name)}">img/{_esc(p.name)}</a>', f"{p.stat().st_size / 1024:,.0f} kB"]
             for p in pictures]
    return _table(["file", "size"], rows, "files")


SLIDER_JS = """
(function () {
  const data = JSON.parse(document.getElementById('days-data').textContent);
  const slider = document.getElementById('day-slider');
  const picture = document.getElementById('day-map');
  const words = document.getElementById('day-words');
  const play = document.getElementById('day-play');
  let timer = null;
  function show(i) {
    const d = data[i];
    picture.src = 'data:image/jpeg;base64,' + d.jpeg;
    picture.alt = d.title;
    words.textContent = d.title + (d.notes.length ? ' \\u2014 ' + d.notes.join('; ') : '');
    slider.value = i;
  }
  slider.addEventListener('input', () => show(Number(slider.value)));
  play.addEventListener('click', () => {
    if (timer) { clearTimeout(timer); timer = null; play.textContent = 'play'; return; }
    play.textContent = 'pause';
    const step = () => {
      const next = (Number(slider.value) + 1) % data.length;
      show(next);
      timer = setTimeout(step, data[next].ms);
    };
    step();
  });
  show(0);
})();
"""


def slider_html(frames: Sequence[Frame], files: Sequence[Path]) -> str:
    """The campaign day by day: a slider over the day maps with each day's events, all inline."""
    data = [{"jpeg": base64.b64encode(jpeg_bytes(f)).decode("ascii"), "title": f.title, "notes": list(f.notes),
             "ms": f.duration_ms} for f in frames]
    links = ", ".join(f'<a href="img/{_esc(p.name)}">{_esc(p.name)}</a>' for p in files)
    payload = json.dumps(data).replace("</", "<\\/")
    return (f'<div class="slider"><p><button id="day-play" type="button">play</button> '
            f'<input id="day-slider" type="range" min="0" max="{len(frames) - 1}" value="0" '
            f'aria-label="day of the campaign"> <span id="day-words"></span></p>'
            f'<img id="day-map" alt="the campaign map of the day chosen"></div>'
            f'<script type="application/json" id="days-data">{payload}</script><script>{SLIDER_JS}</script>'
            f'<p class="note">The same maps as an animation (0.7 s a day, 1.5 s on a day with a key event): {links}.'
            "</p>")


# ---------------------------------------------------------------- pictures


@dataclasses.dataclass
class Pictures:
    """The report's pictures, kept in img/ and inlined in the page."""

    folder: Path

    def keep(self, name: str, data: bytes) -> bytes:
        atomic_write_bytes(self.folder / name, data)
        return data


def map_png(subject: Subject, day: float, dpi: int = MAP_DPI, capture_dates_on: bool = False) -> bytes:
    """The map of the subject's run at the end of ``day``, every place its events name labelled."""
    state = state_at(subject.scenario, subject.seed, day)
    start = dt.date.fromisoformat(subject.summary["start_date"])
    events = [e for e in subject.events.to_dict("records") if float(e["day"]) <= day]
    fell_before = any(share == 1.0 and taken < day for taken, share in subject.summary["objective_share_path"])
    options = MapOptions(named_places=event_places(events), captured_on=capture_dates(events, start),
                         capture_dates=capture_dates_on, fell_before=fell_before, dpi=dpi)
    return png_bytes(draw_map(subject.scenario, state, options).figure, dpi=dpi)


def map_days(summary: dict[str, Any]) -> list[tuple[float, str, str]]:
    """(day, file, what) of the detailed maps: the eve of the cut-off (or mid-campaign) and the last day."""
    cut = summary["encirclement_day"]
    eve = (max(cut - 1, 0), "the eve of the cut-off: the last roads into the objective and their minimum cut") \
        if cut is not None else (summary["days"] / 2, "mid-campaign (the objective was never cut off)")
    return [(eve[0], "map-cut.png", eve[1]),
            (summary["days"], "map-end.png", "the last day, with the date each place last changed hands")]


def counterfactuals_html(source: StoreFolder, reference: str, warn: Warn, pictures: Pictures) -> tuple[str, list]:
    """Each other scenario: its question, its progress, and its map on the day it was cut off."""
    parts, scenarios = [], []
    for name in scenario_order(source.ok_runs()):
        if name == reference:
            continue
        subject = subject_of(source, None, warn, name)
        scenarios.append(subject.scenario)
        spec = subject.scenario.spec
        question = spec.description.strip() or spec.name
        progress = pictures.keep(f"progress-{name}.png", png_bytes(progress_figure(
            subject.all_series, spec, subject.summaries, subject.history, title=f"{spec.name}: progress"),
            dpi=PANEL_DPI))
        cut = subject.summary["encirclement_day"]
        day = cut if cut is not None else subject.summary["days"]
        what = f"on the day it was cut off (day {cut:g})" if cut is not None else "on the last day (never cut off)"
        chart = pictures.keep(f"map-{name}.png", map_png(subject, day, PANEL_DPI))
        parts += [f'<h3 id="cf-{_esc(name)}">{_esc(spec.name)} <small>({_esc(name)})</small></h3>',
                  f"<p><b>The question.</b> {_esc(question)}</p>", f"<p>Shown: {_esc(subject.why)}</p>",
                  changes_html(subject),
                  '<div class="pair">', _figure(progress, "image/png", f"{spec.name}: progress over its runs."),
                  _figure(chart, "image/png", f"{spec.name}: the representative run's map {what}."), "</div>"]
    return "\n".join(parts), scenarios


# ---------------------------------------------------------------- the page


CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1.5em; max-width: 1400px; color: #222;
line-height: 1.45; }
h1 { font-size: 2em; } h2 { margin-top: 1.8em; border-bottom: 2px solid #ddd; }
img { max-width: 100%; border: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.6em 0; } td, th { padding: 0.3em 0.8em; border-bottom: 1px solid #eee;
text-align: left; vertical-align: top; } th { background: #f4f4f4; }
table.story td { max-width: 40em; } table.story td:first-child { white-space: nowrap; }
table.params td { font-size: 0.9em; } .note { color: #555; font-size: 0.9em; }
figure { margin: 1em 0; } figcaption { color: #555; } nav ol { columns: 2; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; align-items: start; }
.slider input { width: 60%; vertical-align: middle; } #day-words { display: block; font-weight: bold; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; }
"""


@dataclasses.dataclass
class Page:
    """The sections of the page, in order, with the table of contents made from them."""

    sections: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # (id, heading, body)

    def add(self, anchor: str, heading: str, *body: str) -> None:
        self.sections.append((anchor, heading, "\n".join(body)))

    def html(self, title: str, subtitle: str) -> str:
        toc = "".join(f'<li><a href="#{a}">{_esc(h)}</a></li>' for a, h, _ in self.sections)
        body = "\n".join(f'<h2 id="{a}">{_esc(h)}</h2>\n{b}' for a, h, b in self.sections)
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{_esc(title)}: after-action report</title><style>{CSS}</style></head><body>\n"
                f"<h1>After-action report: {_esc(title)}</h1>\n<p class=\"note\">{_esc(subtitle)}</p>\n"
                f"<nav><h2>Contents</h2><ol>{toc}</ol></nav>\n{body}\n</body></html>\n")


def question_of(scenario: Scenario) -> str:
    """The question a scenario asks: the last sentence of its description that ends in '?' ('' if none)."""
    asked = re.findall(r"[^.?!]*\?", " ".join(scenario.spec.description.split()))
    return asked[-1].strip() if asked else ""


def _overview(page: Page, source: RunFolder | StoreFolder, subject: Subject, pictures: Pictures,
              warn: Warn) -> None:
    """The comparison table and the distributions (a batch or comparison only)."""
    if not isinstance(source, StoreFolder):
        return
    ok = source.ok_runs()
    by_scenario = {name: source.summaries(name) for name in scenario_order(ok)}
    titles = {}
    for name, runs in by_scenario.items():
        question = question_of(_store_scenario(source, name, ok[ok["scenario"] == name].iloc[0], None, warn))
        titles[name] = f"{runs[0]['title']}: {question}" if question else runs[0]["title"]
    history, start = subject.history, subject.scenario.spec.start_date
    history_days = {} if history is None else {
        "encirclement_day": None if history.encirclement_date is None else (history.encirclement_date - start).days,
        "objective_fall_day": None if history.fall_date is None else (history.fall_date - start).days}
    chart = pictures.keep("distributions.png", png_bytes(distribution_figure(ok, subject.name, titles,
                                                                             history_days)))
    differences = contrasts_markdown(contrasts(by_scenario, subject.name), subject.name)
    page.add("compared", "Scenarios compared",
             markdown_table_html(scores_markdown(rank_scenarios(by_scenario), subject.name))
             + (markdown_table_html(differences) if differences else ""),
             _figure(chart, "image/png", "Cut-off day, supply AUC and fall day per scenario, each named by its "
                     "title and the question it asks: box = middle 50% of runs, whiskers = middle 90%; dotted = "
                     "history, where the record has it."))


def _progress_caption(subject: Subject) -> str:
    bands = ("The line is the median of the runs; the dark band holds the middle 50% of runs each day, the light "
             "band the middle 90% (a band can jump between 0 and 1 where some runs have lost a place and others "
             "not). " if len(subject.summaries) > 1 else "")
    history = ("Dotted lines: history's cut-off and fall dates; ticks along the top: the captures in history."
               if subject.history else f"History: {NO_RECORD}.")
    return (f"Supply flow left to the objective (one colour for supply in every picture) and the share of the "
            f"defender's places cut off; below, the share of places each side holds. {bands}{history}")


def build_report(folder: str | Path, scenario: str | None = None, animate: bool = True,
                 warn: Warn = warn_on_stderr) -> Path:
    """Write ``folder/report.html`` (and its pictures in ``folder/img/``); return the page's path."""
    source = load_folder(folder)
    subject = subject_of(source, scenario, warn)
    out = Path(folder)
    pictures = Pictures(out / "img")
    spec, s = subject.scenario.spec, subject.summary
    page = Page()
    page.add("summary", "Summary", summary_html(subject))
    _overview(page, source, subject, pictures, warn)
    progress = pictures.keep("progress.png", png_bytes(progress_figure(subject.all_series, spec, subject.summaries,
                                                                       subject.history)))
    page.add("progress", "Progress of the siege", _figure(progress, "image/png", _progress_caption(subject)))
    maps = [_figure(pictures.keep(name, map_png(subject, day, capture_dates_on=name == "map-end.png")),
                    "image/png", f"The map on {what}.") for day, name, what in map_days(s)]
    page.add("theatre", "The theatre", f"<p>Shown: {_esc(subject.why)}</p>", changes_html(subject), *maps)
    if animate:
        files, frames = write_animation(subject.scenario, subject.seed, pictures.folder / "campaign.gif")
        page.add("days", "The campaign day by day", slider_html(frames, files))
    scenarios = [subject.scenario]
    if isinstance(source, StoreFolder) and source.ok_runs()["scenario"].nunique() > 1:
        body, others = counterfactuals_html(source, subject.name, warn, pictures)
        scenarios += others
        page.add("counterfactuals", "Counterfactuals: the questions and their answers", body)
    discovery = discovery_html(out, pictures)
    if discovery is not None:
        page.add("discovery", "Where does the objective hold? Scenario discovery", discovery)
    page.add("turning", "Turning points: the captures that cut supply most", turning_points_html(
        subject, source if isinstance(source, StoreFolder) else None))
    page.add("story", "The run's story beside history's", story_html(subject))
    page.add("method", "Method, assumptions and limitations", method_html(subject.scenario))
    page.add("parameters", "Parameters and their sources", parameters_html(subject.scenario))
    page.add("validation", "Validation", validation_html(out, subject))
    page.add("provenance", "Provenance", provenance_html(scenarios, source))
    page.add("data", "Data files", data_files_html(out))
    path = out / "report.html"
    atomic_write_text(path, page.html(s["title"], f"Built from {out}"))
    return path
