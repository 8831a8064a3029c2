"""docs/validation.md's generated sections, written from the measured document of ``run.py validation``.

The page marks each generated part as ``<!-- generated:NAME -->`` ... ``<!-- /generated:NAME -->``; everything
between the marks is rewritten from ``validation-measured.json`` (analysis/validation.py), the text around them
is prose a person keeps honest. ``tests/test_validation.py`` regenerates the sections from the committed measured
document and checks the page has not drifted from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sim.errors import InputError

SECTION = re.compile(r"(<!-- generated:([a-z_]+) -->\n)(.*?)(<!-- /generated:\2 -->)", re.DOTALL)


def _num(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _q(q: Mapping[str, float] | None, digits: int = 0) -> str:
    """'60 [47-66]': a median and its 80% interval."""
    if q is None:
        return "never"
    return f"{_num(q['median'], digits)} [{_num(q['p10'], digits)}-{_num(q['p90'], digits)}]"


def _row_q(row: Mapping[str, Any]) -> str:
    """A capture row's simulated median and 80% interval."""
    return _q({"median": row["sim_median"], "p10": row["sim_p10"], "p90": row["sim_p90"]})


def _recorded(values: Sequence[float]) -> str:
    return "-".join(f"{v:g}" for v in sorted(set(values)))


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _value(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and value <= 1.0 and value >= -1.0:
        return f"{value:.2f}"
    return f"{value:,.1f}" if isinstance(value, float) and value != int(value) else f"{value:,.0f}"


def targets_section(m: Mapping[str, Any]) -> str:
    """Each target for the calibrated values and, beside them, the engine defaults (what the scenario may ship)."""
    def verdict(t: Mapping[str, Any]) -> str:
        return f"{_value(t['value'])}: **{'met' if t['met'] else 'missed'}** ({t['by']})"

    defaults = {t["measure"]: t for t in m.get("targets_defaults", ())}
    rows = [(t["measure"], t["target"], verdict(defaults[t["measure"]]) if t["measure"] in defaults else "n/a",
             verdict(t)) for t in m["targets"]]
    rows += [(f"{t['name']}: {target['measure']}", target["target"], "", verdict(target))
             for t in m["transfers"] for target in t["targets"]]
    primary = m["primary"]["name"]
    runs = m["primary"]["chosen_report"]["runs"]
    targets = all_targets(m)
    met_defaults = sum(t["met"] for t in defaults.values())
    transfers = "".join(f"; {t['name']} on {t['transfer']['runs']} runs" for t in m["transfers"])
    return (f"{primary[:1].upper()}{primary[1:]}'s held-back record on {runs} fresh runs (seeds the search never "
            f"used), for the engine defaults and for the calibrated values{transfers}. **Calibrated: "
            f"{sum(t['met'] for t in targets)} of {len(targets)} targets met; engine defaults: {met_defaults} of "
            f"{len(defaults)} {primary} targets met.**\n\n"
            + _table(["measure", "target", "engine defaults", "calibrated"], rows))


def all_targets(m: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The primary theatre's targets for the calibrated values, then each transfer theatre's."""
    return [*m["targets"], *(target for t in m["transfers"] for target in t["targets"])]


def _part_rows(defaults: Mapping[str, Any], chosen: Mapping[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for part in ("fitted", "held_back"):
        d, c = defaults[part], chosen[part]
        name = part.replace("_", "-")
        rows += [(f"{name}: captures within 7 days", f"{_share(d['captures_within_7_days_share'])} of "
                  f"{d['captures']}", _share(c["captures_within_7_days_share"])),
                 (f"{name}: capture-order Spearman", _num(d["capture_order_spearman"], 2),
                  _num(c["capture_order_spearman"], 2)),
                 (f"{name}: mean error of capture days", _num(d["mean_abs_error_days"], 1),
                  _num(c["mean_abs_error_days"], 1))]
    return rows


def fit_section(m: Mapping[str, Any]) -> str:
    fit = m["primary"]
    d, c = fit["default_report"], fit["chosen_report"]
    hd, hc = d["held_back"], c["held_back"]
    rows = [("fitted-period loss (lower is better)", _num(fit["default_loss"]["loss"], 2),
             _num(fit["chosen_loss"]["loss"], 2)), *_part_rows(d, c),
            ("whole record: capture-order Spearman", _num(d["capture_order_spearman"], 2),
             _num(c["capture_order_spearman"], 2)),
            ("fall day, censored: median [80%]", _q({k: hd[f"fall_day_{k}"] for k in ("median", "p10", "p90")}),
             _q({k: hc[f"fall_day_{k}"] for k in ("median", "p10", "p90")})),
            ("fall day, runs that fell: median [80%]", _q(hd["objective"]["fall_day_if_fell"]),
             _q(hc["objective"]["fall_day_if_fell"])),
            ("runs in which the town fell", _share(hd["fall_share"]), _share(hc["fall_share"])),
            ("town battle, days", _q(hd["objective"]["battle_days"]), _q(hc["objective"]["battle_days"]))]
    for name in hd["killed_by_side"] | hd["killed_by_faction"]:
        qd = (hd["killed_by_side"] | hd["killed_by_faction"])[name]
        qc = (hc["killed_by_side"] | hc["killed_by_faction"])[name]
        rows.append((f"killed, {name} (recorded {_recorded(hd['killed_recorded'][name])})",
                     f"{_q(qd)} ({hd['killed_relative_error'][name]:+.0%})",
                     f"{_q(qc)} ({hc['killed_relative_error'][name]:+.0%})"))
    rows.append(("exchange ratio", _num(hd["exchange_ratio"]["median"], 2), _num(hc["exchange_ratio"]["median"], 2)))
    for a, b in zip(d["assault_table"], c["assault_table"], strict=True):
        rows.append((f"first break-in, {a['label']} (recorded day {a['day']}, not scored)", _row_q(a), _row_q(b)))
    return (f"{c['runs']} fresh runs each. Defaults: the searched parameters at their engine defaults; calibrated: "
            f"at the chosen values.\n\n" + _table(["", "defaults", "calibrated"], rows))


def captures_section(m: Mapping[str, Any]) -> str:
    d, c = m["primary"]["default_report"], m["primary"]["chosen_report"]

    def cell(r: Mapping[str, Any]) -> str:
        mark = "" if r["within_7_days"] else " ✗"
        if r["taken_share"] < 0.5:
            return f"not taken (in {r['taken_share']:.0%} of runs){mark}"
        return f"{r['sim_median']:g} [{r['sim_p10']:g}-{r['sim_p90']:g}]{mark}"

    rows = [(a["label"], a["part"].replace("_", " "), a["day"], cell(a), cell(b))
            for a, b in zip(d["capture_table"], c["capture_table"], strict=True)]
    return ("Recorded day; simulated median and 80% interval; ✗ = median more than 7 days from the record.\n\n"
            + _table(["capture", "part", "recorded", "defaults", "calibrated"], rows))


def parameters_section(m: Mapping[str, Any]) -> str:
    fits = [(m["primary"]["name"], m["primary"]), *((t["name"], t["fit"]) for t in m["transfers"])]

    def fitted(name: str, fit: Mapping[str, Any]) -> str:
        edge = next((b["bound"] for b in fit["on_bounds"] if b["parameter"] == name), None)
        return f"{fit['chosen']['params'][name]:.4g}" + (f" (ON THE {edge.upper()} BOUND)" if edge else "")

    primary = fits[0][1]
    rows = [(f"`{d['name']}`", f"{d['default']:g}", f"{d['low']:g}-{d['high']:g}", d["source"],
             f"**{fitted(d['name'], primary)}**", *(fitted(d["name"], fit) for _, fit in fits[1:]))
            for d in primary["space"]]
    sets = ", ".join(f"{fit['parameter_sets']} for {name}" for name, fit in fits[1:])
    return (f"{primary['trials']} trials x {primary['budget']['runs']} runs each theatre (optuna TPE, seed "
            f"{primary['seed']}); {primary['parameter_sets']} plausible sets for {fits[0][0]}"
            f"{', ' + sets if sets else ''}.\n\n"
            + _table(["parameter", "default", "searched", "source of the range", *(f"{n} fit" for n, _ in fits)],
                     rows))


def transfer_table(m: Mapping[str, Any], theatre: Mapping[str, Any]) -> str:
    """One transfer theatre with the primary's parameters, the engine defaults and its own fit, the same seeds."""
    reports = [(f"{m['primary']['name']}'s parameters", theatre["transfer"]),
               ("engine defaults", theatre["fit"]["default_report"]), ("its own fit", theatre["fit"]["chosen_report"])]
    rows = []
    for part in ("fitted", "held_back"):
        rows.append((f"{part.replace('_', '-')}: captures within 7 days",
                     *[f"{_share(r[part]['captures_within_7_days_share'])} of {r[part]['captures']}"
                       for _, r in reports]))
        rows.append((f"{part.replace('_', '-')}: mean error (days)",
                     *[_num(r[part]["mean_abs_error_days"], 1) for _, r in reports]))
    rows.append(("town held (share of runs)", *[_share(1 - r["held_back"]["fall_share"]) for _, r in reports]))
    first = reports[0][1]["held_back"]
    for name in first["killed_by_side"]:
        rows.append((f"killed, {name} (recorded {_recorded(first['killed_recorded'][name])})", *[
            f"{_q(r['held_back']['killed_by_side'][name])} ({r['held_back']['killed_relative_error'][name]:+.0%})"
            for _, r in reports]))
    rows.append(("exchange ratio", *[_num(r["held_back"]["exchange_ratio"]["median"], 2) for _, r in reports]))
    return (f"{theatre['name']}: {first['runs']} runs each, the same seeds.\n\n"
            + _table(["", *[n for n, _ in reports]], rows))


def transfers_section(m: Mapping[str, Any]) -> str:
    return "\n\n".join(transfer_table(m, t) for t in m["transfers"]) or "No transfer theatre."


def sensitivity_section(m: Mapping[str, Any]) -> str:
    s = m["sensitivity"]
    top = []
    for output in dict.fromkeys(r["output"] for r in s["morris"]):
        part = sorted((r for r in s["morris"] if r["output"] == output), key=lambda r: -r["mu_star"])[:3]
        top.append((output, "; ".join(f"`{r['parameter']}` {r['mu_star']:.3g} (σ {r['sigma']:.3g})" for r in part)))
    sobol = [(r["output"], f"`{r['parameter']}`", f"{r['S1']:.2f} ± {r['S1_conf']:.2f}",
              f"{r['ST']:.2f} ± {r['ST_conf']:.2f}")
             for r in sorted(s["sobol"], key=lambda r: (r["output"], -r["ST"]))]
    return (f"Morris: {s['trajectories']} trajectories; Sobol': {s['sobol_samples']} base samples over "
            f"{', '.join(f'`{p}`' for p in s['sobol_parameters']) or 'none'}; {s['runs']} runs per point.\n\n"
            "Morris screening, the three largest mean absolute effects (mu*) per output:\n\n"
            + _table(["output", "parameters by mu* (σ)"], top) + "\n\nSobol' indices (± 95% confidence):\n\n"
            + _table(["output", "parameter", "S1", "ST"], sobol or [("-", "-", "-", "-")]))


def discovery_section(m: Mapping[str, Any]) -> str:
    d = m["discovery"]
    rows = [(i, _share(b["coverage"]), _share(b["density"]), _share(b["mass"]), b["n"],
             "; ".join(f"{k} in {{{', '.join(v)}}}" if isinstance(v[0], str) else f"{v[0]:.4g} ≤ {k} ≤ {v[1]:.4g}"
                       for k, v in b["limits"].items()) or "(the whole sample)")
            for i, b in enumerate(d["boxes"], 1)]
    return (f"{d['points']} points ({d['samples']} samples x {len(d['variants'])} variants), {d['runs']} runs each, "
            f"seed {d['seed']}; the town held at the end in {d['held_overall']:.0%} of all runs.\n\n"
            + _table(["box", "coverage", "density", "mass", "points", "limits"],
                     rows or [("-", "-", "-", "-", "-", "no box denser than the whole sample")]))


def provenance_section(m: Mapping[str, Any]) -> str:
    p = m["provenance"]
    rows = [(name, f"`run.py {' '.join(s['argv'][:1])}`", f"{p['runs'][name]:,}", f"{s['wall_seconds']:,.0f}",
             _num(s["cpu_seconds"])) for name, s in p["stages"].items()]
    return (f"Measured {p['date']} on commit `{p['commit']}` with `{p['command']}`"
            f"{' (QUICK MODE: tiny budgets, not a result)' if p['quick'] else ''}; {p['machine']}. Stage times "
            f"(a stage skipped as done earlier shows its first run; CPU: the stage's process tree, sampled each "
            f"second):\n\n"
            + _table(["stage", "command", "runs", "wall s", "CPU s"], rows))


SECTIONS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "provenance": provenance_section, "targets": targets_section, "parameters": parameters_section,
    "fit": fit_section, "captures": captures_section, "transfers": transfers_section,
    "sensitivity": sensitivity_section, "discovery": discovery_section}


HEADINGS = {"provenance": "How this page was measured", "targets": "Targets, measured",
            "parameters": "The calibration", "fit": "The fit: fitted and held-back record",
            "captures": "Each capture, recorded and simulated", "transfers": "Transfer theatres",
            "sensitivity": "Sensitivity", "discovery": "Scenario discovery: where does the town hold?"}


def skeleton(theatre: str) -> str:
    """A new page for ``theatre``: every generated section, empty, under a heading of its own."""
    return f"# Validation: {theatre}\n\n" + "".join(
        f"## {HEADINGS[name]}\n\n<!-- generated:{name} -->\n<!-- /generated:{name} -->\n\n" for name in SECTIONS)


def update_document(text: str, m: Mapping[str, Any], source: str = "docs/validation.md") -> str:
    """``text`` with every generated section rewritten from ``m``; a section missing from the page, or a mark
    naming no section, is an error (so a renamed mark cannot leave stale numbers behind)."""
    found = [match.group(2) for match in SECTION.finditer(text)]
    unknown = sorted(set(found) - set(SECTIONS))
    missing = sorted(set(SECTIONS) - set(found))
    if unknown or missing:
        raise InputError(source, "generated sections", f"unknown: {', '.join(unknown) or 'none'}; missing: "
                         f"{', '.join(missing) or 'none'}")
    return SECTION.sub(lambda match: f"{match.group(1)}{SECTIONS[match.group(2)](m)}\n{match.group(4)}", text)
