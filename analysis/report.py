"""The after-action report: one self-contained HTML page (every picture inlined) from a run, batch or compare folder.

``build_report(folder)`` writes ``folder/report.html`` and the pictures it shows into ``folder/img/``: the summary,
the scores table (batches), the encirclement progress plot, the scenario comparison, the theatre map on the day
the supply was cut and on the last day, the animation, the run's story beside history's, and the turning points.

For a batch, the maps, the animation and the story are of a *representative* run: the reference scenario's run
(``historical`` if there is one) whose supply AUC is nearest that scenario's median. It is replayed with its
seed (and design point's parameters), which reproduces it exactly.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import narrative
from analysis.animation import write_animation
from analysis.distributions import distribution_figure, scenario_order
from analysis.folders import RunFolder, StoreFolder, load_folder, scenario_file, stored_path
from analysis.palette import png_bytes
from analysis.progress import progress_figure
from analysis.replay import state_at
from analysis.scores import rank_scenarios, scores_markdown
from analysis.theatre_map import map_figure
from sim.batch import scenario_variant  # a scenario with a design point's parameters
from sim.events import format_date
from sim.records import atomic_write_text
from sim.scenario import Scenario, load_scenario
from sim.simulation import simulate

REFERENCE = "historical"


@dataclasses.dataclass
class Subject:
    """What the report is about: the scenario and seed of the run it shows in detail, and the runs behind it."""

    scenario: Scenario
    seed: int
    summary: dict[str, Any]  # the detailed run's
    events: pd.DataFrame  # the detailed run's
    series: pd.DataFrame  # the detailed run's daily rows
    all_series: pd.DataFrame  # the scenario's daily rows over its replicates (a replicate column for a batch)
    summaries: list[dict[str, Any]]  # the scenario's runs
    store: StoreFolder | None


def representative(store: StoreFolder, scenario: str) -> pd.Series:
    """The scenario's run (design point 0) with supply AUC nearest the median; ties go to the lowest replicate."""
    runs = store.ok_runs()
    runs = runs[runs["scenario"] == scenario]
    runs = runs[runs["design_point"] == runs["design_point"].min()]
    gap = (runs["supply_auc"] - runs["supply_auc"].median()).abs()
    return runs.assign(gap=gap).sort_values(["gap", "replicate"]).iloc[0]


def subject_of(folder: RunFolder | StoreFolder, given_scenario: str | None = None) -> Subject:
    """The run to show in detail: the folder's run, or a batch's representative run (replayed exactly)."""
    if isinstance(folder, RunFolder):
        s = folder.summary
        scenario = load_scenario(scenario_file(s["scenario"], given_scenario))
        return Subject(scenario, int(s["seed"]), s, folder.events, folder.timeseries, folder.timeseries, [s], None)
    names = list(dict.fromkeys(folder.ok_runs()["scenario"]))
    name = REFERENCE if REFERENCE in names else names[0]
    row = representative(folder, name)
    path = Path(given_scenario) if given_scenario else stored_path(row["scenario_file"])
    scenario = scenario_variant(str(path.resolve()), row["parameters"] or "{}")
    record = simulate(scenario, int(row["seed"]))
    events = pd.DataFrame([e.row() for e in record.events])
    all_series = folder.series(name, design_point=int(row["design_point"]))
    return Subject(scenario, int(row["seed"]), record.summary, events, pd.DataFrame(record.timeseries), all_series,
                   folder.summaries(name), folder)


# ---------------------------------------------------------------- HTML pieces


def _img(data: bytes, mime: str, alt: str) -> str:
    return (f'<img src="data:{mime};base64,{base64.b64encode(data).decode("ascii")}" alt="{html.escape(alt)}">')


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    out = [f'<table class="{cls}">']
    if any(head):
        out.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def markdown_table_html(markdown: str) -> str:
    """The scores table (analysis.scores.scores_markdown) as HTML: same cells, same note."""
    lines = markdown.strip().splitlines()
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines if line.startswith("|")]
    note = " ".join(line for line in lines if line and not line.startswith("|"))

    def cell(text: str) -> str:
        text = html.escape(text)
        return text.replace("**", "<b>", 1).replace("**", "</b>", 1) if text.count("**") == 2 else text

    body = [[cell(c) for c in r] for r in rows[2:]]
    return _table(rows[0], body, "scores") + f'<p class="note">{html.escape(note)}</p>'


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


def summary_html(subject: Subject, timeline: pd.DataFrame) -> str:
    s = subject.summary
    runs = subject.summaries
    start = s["start_date"]
    median = "median " if len(runs) > 1 else ""
    facts = [
        ("scenario", html.escape(s["title"])),
        ("runs", f"{len(runs)}" + (f" (shown in detail: seed {subject.seed})" if len(runs) > 1 else
                                   f" (seed {subject.seed})")),
        (f"{median}supply cut", _median_day(start, [r["encirclement_day"] for r in runs])),
        (f"{median}{html.escape(s['objective_name'])} falls", _median_day(start, [r["objective_fall_day"]
                                                                                for r in runs])),
        (f"{median}supply AUC", f"{pd.Series([r['supply_auc'] for r in runs]).median():.2f}"
         " (1 = never reduced, lower = strangled sooner)"),
    ]
    history = narrative.historical_captures(timeline)
    fell = history[history["places"].str.split(";").apply(lambda ps: s["objective"] in ps)]
    if not fell.empty and start <= fell["date"].iloc[0].isoformat() <= s["end_date"]:
        facts.append(("in history", f"{html.escape(s['objective_name'])} fell on "
                                    f"{format_date(fell['date'].iloc[0])} (day {int(fell['day'].iloc[0])})"))
    return _table(["", ""], [[f"<b>{k}</b>", v] for k, v in facts], "facts")


def story_html(subject: Subject, timeline: pd.DataFrame) -> str:
    graph = subject.scenario.graph
    spec = subject.scenario.spec
    rows = narrative.side_by_side(subject.events, timeline, subject.summary["start_date"],
                                  subject.summary["end_date"], {p: graph.nodes[p]["name"] for p in graph},
                                  {k: v.name for k, v in spec.sides.items()}, {f.id: f.name for f in spec.formations})
    return _table(["date", "this run", "history (the article)"],
                  [[format_date(dt.date.fromisoformat(r["date"])), html.escape(r["run"]), html.escape(r["history"])]
                   for r in rows], "story")


def turning_points_html(subject: Subject) -> str:
    graph = subject.scenario.graph
    names = {p: graph.nodes[p]["name"] for p in graph}
    attacker = subject.scenario.attacker
    run = narrative.turning_points(subject.summary, subject.series, attacker, names)
    parts = [_table(["date", "captured", "supply flow lost", "flow left"],
                    [[format_date(dt.date.fromisoformat(r["date"])), html.escape(r["places"]), f"{r['drop']:.0%}",
                      f"{r['flow_after']:.0%}"] for r in run], "turning")]
    if subject.store is not None and len(subject.summaries) > 1:
        store = subject.store
        name = subject.summary["scenario"]
        ok = store.ok_runs()
        ok = ok[ok["scenario"] == name]
        pairs = [(json.loads(r.summary_json), store.series(name, int(r.replicate), int(r.design_point)))
                 for r in ok.itertuples()]
        impact = narrative.place_impact(pairs, attacker, names)
        parts.append(f"<h3>Over all {len(pairs)} runs of {html.escape(name)}</h3>")
        parts.append(_table(["captured place", "taken in", "mean supply flow its capture cut"],
                            [[html.escape(r["place"]), f"{r['runs_share']:.0%} of runs", f"{r['mean_drop']:.0%}"]
                             for r in impact], "turning"))
    return "\n".join(parts)


CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1.5em; max-width: 1400px; color: #222;
line-height: 1.4; }
h1 { font-size: 2em; } h2 { margin-top: 1.6em; border-bottom: 2px solid #ddd; }
img { max-width: 100%; border: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.6em 0; } td, th { padding: 0.3em 0.8em; border-bottom: 1px solid #eee;
text-align: left; vertical-align: top; } th { background: #f4f4f4; }
table.story td { max-width: 40em; } .note { color: #555; font-size: 0.9em; }
figure { margin: 1em 0; } figcaption { color: #555; }
"""


def _figure(data: bytes, mime: str, caption: str) -> str:
    return f"<figure>{_img(data, mime, caption)}<figcaption>{html.escape(caption)}</figcaption></figure>"


def build_report(folder: str | Path, scenario: str | None = None, animate: bool = True) -> Path:
    """Write ``folder/report.html`` (and its pictures in ``folder/img/``); return the page's path."""
    source = load_folder(folder)
    subject = subject_of(source, scenario)
    out = Path(folder)
    img = out / "img"
    img.mkdir(parents=True, exist_ok=True)
    timeline = narrative.historical_timeline()
    spec = subject.scenario.spec
    pictures: dict[str, bytes] = {}

    def keep(name: str, data: bytes) -> bytes:
        (img / name).write_bytes(data)
        pictures[name] = data
        return data

    keep("progress.png", png_bytes(progress_figure(subject.all_series, spec, subject.summaries, timeline)))
    s = subject.summary
    cut = s["encirclement_day"]
    map_days = [(max(cut - 1, 0) if cut is not None else s["days"] / 2, "map-cut.png",  # the last supplied day
                 "the eve of the encirclement: the last roads into the town and their minimum cut" if cut is not None
                 else "mid-campaign (supply never cut)"),
                (s["days"], "map-end.png", "the last day")]
    for day, name, _ in map_days:
        keep(name, png_bytes(map_figure(subject.scenario, state_at(subject.scenario, subject.seed, day)), dpi=80))
    sections = [f"<h1>After-action report: {html.escape(s['title'])}</h1>",
                f'<p class="note">Built from {html.escape(str(out))}</p>',
                "<h2>Summary</h2>", summary_html(subject, timeline)]
    if isinstance(source, StoreFolder):
        by_scenario = {name: source.summaries(name) for name in scenario_order(source.ok_runs())}
        sections += ["<h2>Scenarios compared</h2>", markdown_table_html(scores_markdown(rank_scenarios(by_scenario)))]
        keep("distributions.png", png_bytes(distribution_figure(source.ok_runs())))
        sections.append(_figure(pictures["distributions.png"], "image/png",
                                "Encirclement day, supply AUC and fall day per scenario (box 50%, whiskers 90%)."))
    sections += ["<h2>Encirclement progress</h2>",
                 _figure(pictures["progress.png"], "image/png",
                         "Supply flow left, places cut off and ground held; triangles: captures in history.")]
    detail = f"run with seed {subject.seed}" + (" (the median run)" if len(subject.summaries) > 1 else "")
    sections.append(f"<h2>The theatre ({html.escape(detail)})</h2>")
    for _, name, what in map_days:
        sections.append(_figure(pictures[name], "image/png", f"The map on {what}."))
    if animate:
        gif = write_animation(subject.scenario, subject.seed, img / "campaign.gif")[0]
        sections.append(_figure(gif.read_bytes(), "image/gif", "The campaign, one frame per day."))
    sections += ["<h2>Turning points: the captures that cut supply most</h2>", turning_points_html(subject),
                 "<h2>The run's story beside history's</h2>", story_html(subject, timeline)]
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(s['title'])}: after-action report</title><style>{CSS}</style></head>"
            "<body>\n" + "\n".join(sections) + "\n</body></html>\n")
    path = out / "report.html"
    atomic_write_text(path, page)
    return path

