"""The command line of the siege wargame: a thin layer over sim/ and analysis/.

With no arguments it runs the main job. Bad input exits with code 2 and a one-line message naming the file,
the field and the problem.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import InputError, printable

if TYPE_CHECKING:
    from analysis.validation import Theatres
    from sim.batch import Outcome, Plan
    from sim.record import Record
    from sim.scenario import Scenario
    from sim.sweep import Design

ROOT = Path(__file__).resolve().parent
HISTORICAL = ROOT / "scenarios" / "historical.yaml"
TRANSFERS = (ROOT / "scenarios" / "kobani" / "kobani.yaml",)  # run.py validation's default transfer theatres
GAMES = ROOT / "out" / "games"
RUN_TIMEOUT = 300.0  # the default of --run-timeout (sim.batch.RUN_TIMEOUT, not imported: run.py starts fast)


def cmd_run(args: argparse.Namespace) -> int:
    """One run; its summary.json also names each scenario file with its SHA-256 (what made the run)."""
    from sim.records import file_digests, output_folder, summary_lines, write_run
    from sim.scenario import load_scenario, scenario_warnings
    from sim.simulation import simulate

    scenario = load_scenario(args.scenario)
    for warning in scenario_warnings(scenario):
        print(f"warning {printable(warning)}", file=sys.stderr)
    files = file_digests(scenario)
    out = output_folder(Path(args.out) if args.out else ROOT / "out" / f"{scenario.name}-seed{args.seed}")
    record = simulate(scenario, args.seed)
    record = dataclasses.replace(record, summary={**record.summary, "scenario_files": files})
    for line in summary_lines(record):
        print(line)
    try:
        write_run(record, out)
    except OSError as exc:
        raise InputError(str(out), "", f"cannot be written: {exc.strerror or exc}") from None
    print(f"Wrote {out}/summary.json, events.csv, timeseries.csv")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from sim.synthetic import write_synthetic

    path = write_synthetic(args.scale, args.seed, args.out)
    print(f"Wrote {path} and {path.with_suffix('.geojson').name}")
    return 0


def validate_any(path: str) -> tuple[str, list[str]]:
    """Check a map, a scenario, a sweep file or a saved game (told apart by suffix and top-level keys); return
    its kind and any warnings. A saved game is replayed to its day, as loading it would."""
    from sim.loader import load_yaml
    from sim.play import load_game
    from sim.scenario import validate_file
    from sim.sweep import load_design

    if Path(path).suffix.lower() in {".yaml", ".yml"}:
        top = load_yaml(path).data
        if isinstance(top, dict) and "map" not in top and "extends" not in top:
            if "method" in top:
                design = load_design(path)
                return f"sweep, {len(design.points)} design points", []
            if "format" in top:
                game = load_game(path)
                return f"saved game, day {game.day:g}", []
    return validate_file(path)


def cmd_validate(args: argparse.Namespace) -> int:
    """Check each file in turn (one bad file does not stop the others); exit 2 when any is invalid."""
    failed = 0
    for path in args.files:
        try:
            kind, warnings = validate_any(path)
        except InputError as exc:
            print(f"INVALID {exc}", file=sys.stderr)
            failed += 1
            continue
        print(printable(f"ok      {path} ({kind})"))
        for warning in warnings:
            print(printable(f"warning {path}: {warning}"))
    return 2 if failed else 0


def _start_workers_early(args: argparse.Namespace) -> None:
    """On local processes, start the batch's worker server before this process imports the engine: the server
    imports it at the same time, on the other core (about 1.3 s less start-up on two cores)."""
    from sim.workers import start_server

    if args.scheduler is None and args.dask_local is None:
        start_server()


def _run_batch(args: argparse.Namespace, design: Design | None = None) -> tuple[Plan, Outcome]:
    """Run the batch the arguments describe (shared by batch and compare).

    Interrupted (Ctrl-C) or with its executor broken, it exits with a line saying that every finished run is kept.
    """
    from sim.batch import NO_PARAMETER_SETS, BatchAborted, execute, load_parameter_sets
    from sim.sweep import NO_SWEEP

    sets = load_parameter_sets(args.parameter_sets) if args.parameter_sets else NO_PARAMETER_SETS
    try:
        done = execute(args.scenarios, args.runs, args.seed, args.out, design=design or NO_SWEEP,
                       resume=args.resume, workers=args.workers, scheduler=args.scheduler,
                       dask_local=args.dask_local, command=["run.py", *sys.argv[1:]],
                       run_timeout=args.run_timeout, parameter_sets=sets, echo=lambda line: print(line, flush=True))
        gc.freeze()  # what is left lives until the exit, whose walk of the engine's objects would take 0.3 s
        return done
    except (KeyboardInterrupt, BatchAborted) as exc:
        why = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"stopped: {exc}"
        print(f"{why}; {args.out} keeps every finished run: run the same command with --resume to complete it",
              file=sys.stderr)
        sys.exit(130 if isinstance(exc, KeyboardInterrupt) else 1)


def cmd_batch(args: argparse.Namespace) -> int:
    _start_workers_early(args)
    from sim.batch import final_line
    from sim.sweep import load_design

    design = load_design(args.sweep) if args.sweep else None
    _plan, outcome = _run_batch(args, design)
    print(final_line(outcome, args.out))
    return 1 if outcome.failed else 0


def uncertainty_note(plan: Plan) -> str:
    """What the intervals of a batch's scores show: seed noise only, or parameter uncertainty as well."""
    sets = plan.parameter_sets
    if not sets.sets:
        return "Intervals show seed noise only (every run uses the scenario's parameters)."
    return (f"Intervals show seed noise and parameter uncertainty: each replicate drew one of {len(sets.sets)} "
            f"plausible parameter sets from {sets.file}.")


def cmd_compare(args: argparse.Namespace) -> int:
    """A batch of the scenarios, then the ranked scores table of their successful runs."""
    _start_workers_early(args)
    from analysis.contrasts import contrasts, contrasts_markdown
    from analysis.scores import rank_scenarios, score_columns, scores_markdown, scores_text
    from sim.batch import final_line, write_errors
    from sim.records import atomic_write_text, to_csv
    from sim.store import summaries_by_scenario

    plan, outcome = _run_batch(args)
    out = Path(args.out)
    reference = plan.layout.scenarios[0]  # the first scenario given: the one the others are measured against
    by_scenario = {name: runs for name, runs in summaries_by_scenario(out, plan.layout.scenarios).items() if runs}
    if by_scenario:
        rows = rank_scenarios(by_scenario)
        shows = uncertainty_note(plan)
        differences = contrasts_markdown(contrasts(by_scenario, reference), reference)
        with write_errors(out):
            atomic_write_text(out / "scores.csv", to_csv(rows, score_columns(rows)))
            atomic_write_text(out / "scores.md", f"{scores_markdown(rows, reference)}\n{shows}\n\n{differences}")
        print(scores_text(rows, reference))
        print(shows)
        print(f"Wrote {out}/scores.csv and scores.md" + (f" (with each scenario's differences from {reference}, "
                                                          "run by run)" if differences else ""))
    print(final_line(outcome, out))
    return 1 if outcome.failed else 0


def scenario_and_record(path: str) -> tuple[Scenario, Record]:
    """A scenario and its record, or an InputError when the scenario names no record."""
    from sim.record import load_record
    from sim.scenario import load_scenario

    scenario = load_scenario(path)
    record = load_record(scenario)
    if record is None:
        raise InputError(path, "record", "the scenario names no record (record: FILE, see docs/record-format.md), "
                         "so there is nothing to measure it against")
    return scenario, record


def cmd_fidelity(args: argparse.Namespace) -> int:
    from analysis.calibrate import run_points
    from analysis.fidelity import fidelity_lines, fidelity_report
    from analysis.palette import png_bytes
    from analysis.validation_plots import fidelity_figure
    from sim.batch import open_executor, replicate_seeds
    from sim.records import atomic_write_bytes, atomic_write_text, to_json

    if args.runs < 1:
        raise InputError("--runs", "", "must be at least 1")
    scenario, record = scenario_and_record(args.scenario)
    print(f"Running {scenario.name} x {args.runs} replicates (seed {args.seed})...", flush=True)
    with open_executor(args.workers) as (executor, _slots, _what):
        [summaries] = run_points(executor, Path(args.scenario), [{}], replicate_seeds(args.seed, args.runs))
    report = fidelity_report(summaries, record)
    out = Path(args.out)
    atomic_write_text(out / "fidelity.json", to_json(report))
    figure = fidelity_figure(report, f"Fidelity to the record: {scenario.name}, {args.runs} runs")
    atomic_write_bytes(out / "fidelity.png", png_bytes(figure))
    print("\n".join(fidelity_lines(report)))
    print(f"Wrote {out}/fidelity.json and fidelity.png")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit the scenario on its record to the split day (optuna, resumable in --out), then check the held-back part."""
    from analysis.calibrate import (
        Budget,
        calibrate,
        parameter_sets_document,
        parameters_block,
        parse_search,
        search_space,
        write_trials,
    )
    from analysis.fidelity import fidelity_lines, split_text
    from analysis.palette import png_bytes
    from analysis.validation_plots import calibration_figure, fidelity_figure
    from sim.batch import open_executor
    from sim.records import atomic_write_bytes, atomic_write_text, to_json

    budget = Budget(trials=args.budget, runs=args.runs, batch=args.batch, tolerance=args.tolerance,
                    check_runs=args.check_runs)
    budget.check()
    space = search_space(parse_search(args.search))
    _scenario, record = scenario_and_record(args.scenario)  # fail on a bad scenario or record before searching
    out = Path(args.out)
    with open_executor(args.workers, args.scheduler, args.dask_local) as (executor, _slots, what):
        print(f"Calibrating on {what}", flush=True)
        result = calibrate(executor, Path(args.scenario), record, out, budget, args.seed, space,
                           progress=lambda line: print(line, flush=True))
    chosen = result["chosen"]
    split = split_text(result["chosen_report"])
    atomic_write_text(out / "calibration.json", to_json(result))
    write_trials(result, out / "trials.parquet")
    atomic_write_text(out / "parameters.yaml", parameters_block(chosen["params"], record, space))
    atomic_write_text(out / "parameter_sets.json", to_json(parameter_sets_document(result, record)))
    pictures = {
        "calibration.png": calibration_figure(result["trials"], [d.name for d in space], chosen,
                                              result["parameter_sets"], split),
        "fidelity_defaults.png": fidelity_figure(result["default_report"], "Engine defaults"),
        "fidelity_calibrated.png": fidelity_figure(result["chosen_report"], f"Calibrated on the record to {split}"),
    }
    for name, figure in pictures.items():
        atomic_write_bytes(out / name, png_bytes(figure))
    print(f"Fitted-period loss on fresh runs: engine defaults {result['default_loss']['loss']:.2f}, "
          f"calibrated {result['chosen_loss']['loss']:.2f}; {len(result['parameter_sets'])} plausible sets")
    print(parameters_block(chosen["params"], record, space), end="")
    for bound in result["on_bounds"]:
        print(f"warning: {bound['parameter']} = {bound['value']:.4g} is on the {bound['bound']} bound of its range "
              f"{bound['range'][0]:g}-{bound['range'][1]:g}: the range, not the record, may have decided it")
    for title, key in (("Engine defaults", "default_report"), ("Calibrated", "chosen_report")):
        print(f"--- {title}:")
        print("\n".join(fidelity_lines(result[key])[-9:]))
    print(f"Wrote {out}/calibration.json, trials.parquet, trials.jsonl, parameters.yaml, parameter_sets.json and "
          f"{', '.join(pictures)}")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Morris screening of every searched parameter, then Sobol' on the most influential (SALib)."""
    from analysis.calibrate import parse_search, search_space
    from analysis.palette import png_bytes
    from analysis.sensitivity import sensitivity
    from analysis.validation_plots import morris_figure, sobol_figure
    from sim.batch import open_executor
    from sim.records import atomic_write_bytes, atomic_write_text, to_csv, to_json
    from sim.scenario import load_scenario

    load_scenario(args.scenario)  # a bad scenario fails before any run
    space = search_space(parse_search(args.search))
    out = Path(args.out)
    with open_executor(args.workers, args.scheduler, args.dask_local) as (executor, _slots, what):
        print(f"Sensitivity on {what}", flush=True)
        result = sensitivity(executor, Path(args.scenario), args.budget, args.sobol_samples, args.top, args.runs,
                             args.seed, space, progress=lambda line: print(line, flush=True))
    atomic_write_text(out / "sensitivity.json", to_json(result))
    atomic_write_text(out / "morris.csv", to_csv(result["morris"], list(result["morris"][0])))
    atomic_write_bytes(out / "morris.png", png_bytes(morris_figure(result["morris"])))
    written = ["sensitivity.json", "morris.csv", "morris.png"]
    if result["sobol"]:
        atomic_write_text(out / "sobol.csv", to_csv(result["sobol"], list(result["sobol"][0])))
        atomic_write_bytes(out / "sobol.png", png_bytes(sobol_figure(result["sobol"])))
        written += ["sobol.csv", "sobol.png"]
    for r in sorted(result["sobol"], key=lambda r: (r["output"], -r["ST"])):
        print(f"  {r['output']:20} {r['parameter']:22} S1 {r['S1']:+.2f}  ST {r['ST']:.2f}")
    print(f"Wrote {out}/{', '.join(written)}")
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    """Scenario discovery: PRIM boxes of parameters and variants where the objective holds past the end."""
    from analysis.calibrate import parse_search, search_space
    from analysis.discovery import (
        OUTCOME,
        boxes_document,
        boxes_markdown,
        check_budget,
        check_prim_settings,
        discovery_figure,
        discovery_sample,
        inputs,
        prim,
        variant_names,
    )
    from analysis.palette import png_bytes
    from sim.batch import open_executor
    from sim.records import atomic_write_bytes, atomic_write_text, to_json
    from sim.scenario import load_scenario

    check_budget(args.samples, args.runs)
    check_prim_settings(args.alpha, args.min_mass, args.threshold, args.max_boxes)
    space = search_space(parse_search(args.search))
    paths = [Path(p) for p in [args.scenario, *args.counterfactuals]]
    for path in paths:
        load_scenario(str(path))  # a bad scenario fails before any run
    variant_names(paths)
    out = Path(args.out)
    with open_executor(args.workers, args.scheduler, args.dask_local) as (executor, _slots, what):
        print(f"Discovery on {what}", flush=True)
        sample = discovery_sample(executor, paths, args.samples, args.runs, args.seed, space,
                                  progress=lambda line: print(line, flush=True))
    found = prim(inputs(sample), sample[OUTCOME].to_numpy(), alpha=args.alpha, min_mass=args.min_mass,
                 threshold=args.threshold, max_boxes=args.max_boxes)
    settings = {"scenario": paths[0].stem, "variants": variant_names(paths), "samples": args.samples,
                "runs": args.runs, "seed": args.seed, "alpha": args.alpha, "min_mass": args.min_mass,
                "threshold": args.threshold, "space": [[d.name, d.low, d.high] for d in space]}
    document = boxes_document(sample, found, settings)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "discovery.csv", sample.to_csv(index=False, float_format="%.6g"))
    atomic_write_text(out / "boxes.json", to_json(document))
    atomic_write_text(out / "boxes.md", boxes_markdown(document))
    atomic_write_bytes(out / "discovery.png", png_bytes(discovery_figure(document)))
    print(boxes_markdown(document), end="")
    print(f"Wrote {out}/discovery.csv, boxes.json, boxes.md and discovery.png")
    return 0


def validation_theatres(args: argparse.Namespace) -> Theatres:
    """``run.py validation``'s theatres, each checked before any stage starts: the primary and transfer scenarios
    must name a record; discovery's variants default to the counterfactuals/ folder beside the primary; the
    primary's targets are read from beside its record (analysis.validation.Targets)."""
    from analysis.validation import Theatre, Theatres, load_targets
    from sim.scenario import load_scenario

    def theatre(path: Path) -> Theatre:
        return Theatre.of(path, *scenario_and_record(str(path)))

    primary = theatre(Path(args.scenario))
    theatres = Theatres(primary, tuple(theatre(Path(f)) for f in args.transfer),
                        tuple(Path(f) for f in args.counterfactuals) if args.counterfactuals is not None else
                        tuple(sorted((primary.path.parent / "counterfactuals").glob("*.yaml"))),
                        load_targets(primary.record))
    for path in theatres.counterfactuals:
        load_scenario(str(path))
    return theatres


def validation_page(args: argparse.Namespace, theatres: Theatres) -> Path:
    """The page ``run.py validation`` regenerates. docs/validation.md is the shipped theatres' page; a quick run
    of them writes a fresh copy of it into the output folder, and any other theatres' page (there, or --doc)
    starts, when it does not exist, with every generated section under a heading."""
    from analysis.validation_doc import skeleton
    from sim.records import atomic_write_text

    page = ROOT / "docs" / "validation.md"
    shipped = ([Path(p).resolve() for p in (args.scenario, *args.transfer)]
               == [p.resolve() for p in (HISTORICAL, *TRANSFERS)])
    doc = Path(args.doc) if args.doc else (page if shipped and not args.quick else Path(args.out) / "validation.md")
    if args.quick and shipped and not args.doc:
        doc.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(doc, page.read_text(encoding="utf-8"))
    elif not doc.exists():
        doc.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(doc, skeleton(theatres.primary.name))
    return doc


def cmd_validation(args: argparse.Namespace) -> int:
    """The whole validation in one resumable command (analysis/validation.py), then the page's generated
    sections, its measured document and its pictures written from the outputs."""
    import datetime as dt
    import os
    import platform
    import shlex
    import subprocess

    from analysis.calibrate import parse_search
    from analysis.validation import QUICK, Budgets, copy_pictures, measured, run_validation, stage_runs
    from analysis.validation_doc import all_targets, update_document
    from sim.records import atomic_write_text, to_json

    base = QUICK if args.quick else Budgets()
    budgets = dataclasses.replace(base, **{k: v for k, v in vars(args).items()
                                           if k in Budgets.__dataclass_fields__ and v is not None})
    budgets.check()
    parse_search(args.search)  # bad input fails here, not in a stage minutes later
    theatres = validation_theatres(args)
    out = Path(args.out)
    doc = validation_page(args, theatres)
    extra = [*(["--workers", str(args.workers)] if args.workers else []), *(f"--search={s}" for s in args.search)]
    started = dt.datetime.now(dt.UTC)
    stages = run_validation(out, theatres, budgets, [sys.executable, str(ROOT / "run.py")], extra,
                            progress=lambda line: print(line, flush=True))
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip() or "unknown"
    provenance = {"date": f"{started:%Y-%m-%d %H:%M} UTC", "commit": commit, "quick": args.quick,
                  "command": "run.py " + shlex.join(sys.argv[1:]) if sys.argv[1:2] == ["validation"] else
                  "run.py validation", "budgets": dataclasses.asdict(budgets),
                  "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                  "runs": stage_runs(budgets, theatres)}
    document = measured(out, theatres, stages, provenance)
    measured_path = doc.parent / "validation-measured.json"
    atomic_write_text(measured_path, to_json(document))
    copy_pictures(out, theatres, doc.parent / "img")
    atomic_write_text(doc, update_document(doc.read_text(encoding="utf-8"), document, str(doc)))
    targets = all_targets(document)
    print(f"Targets met: {sum(t['met'] for t in targets)} of {len(targets)}")
    print(f"Wrote {doc}, {measured_path} and its pictures in {doc.parent / 'img'}")
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    from app.terminal import play
    from sim.play import Game, load_game

    if args.load:
        game = load_game(args.load, side=args.side, every=args.every)
    elif args.scenario:
        game = Game(args.scenario, args.seed, args.side, 1 if args.every is None else args.every)
    else:
        raise InputError("play", "SCENARIO", "give a scenario file, or --load a saved game")
    return play(game, sys.stdin, sys.stdout)


def cmd_serve(args: argparse.Namespace) -> int:
    from app.webapp import SHIPPED, scenario_files, serve

    files = [Path(f) for f in args.scenario or []]
    for folder in args.scenarios or ([] if files else [SHIPPED]):
        found = scenario_files(Path(folder))
        if not found:
            raise InputError(folder, "--scenarios", "no scenario files (*.yaml) in this folder")
        files += found
    return serve(files, args.host, args.port, Path(args.games))


def cmd_report(args: argparse.Namespace) -> int:
    from analysis.report import build_report

    path = build_report(args.folder, scenario=args.scenario, animate=not args.no_animation)
    print(f"Wrote {path} (its pictures are in {path.parent / 'img'})")
    return 0


STUDY_RUNS = 40  # replicates per scenario in the main job: enough for medians that move by a day at most
STUDY_DISCOVERY = (24, 3)  # the main job's scenario discovery: Latin hypercube samples per variant, runs each
STUDIES = ((HISTORICAL, ""), (ROOT / "scenarios" / "kobani" / "kobani.yaml", "kobani"))  # (scenario, subfolder)


def cmd_main(args: argparse.Namespace) -> int:
    """The main job, the standard study of each shipped theatre: its historical scenario and its counterfactual
    library compared over STUDY_RUNS replicates each on all cores, then the report, in a new folder
    out/study-YYYYMMDD-HHMMSS (al-Qusayr at its top, each further theatre in a subfolder of its own)."""
    import datetime as dt

    out = ROOT / "out" / f"study-{dt.datetime.now():%Y%m%d-%H%M%S}"
    for historical, subfolder in STUDIES:
        folder = out / subfolder
        library = sorted(str(p) for p in (historical.parent / "counterfactuals").glob("*.yaml"))
        status = main(["compare", str(historical), *library, "--runs", str(STUDY_RUNS), "--out", str(folder)])
        if status == 0:  # the lesson's scenario discovery, beside the comparison (the report shows its boxes)
            status = main(["discover", "--scenario", str(historical), "--counterfactuals", *library,
                           "--samples", str(STUDY_DISCOVERY[0]), "--runs", str(STUDY_DISCOVERY[1]),
                           "--out", str(folder / "discovery")])
        if status != 0:
            return status
        cmd_report(argparse.Namespace(folder=str(folder), scenario=None, no_animation=False))
    print(f"Study folder: {out}")
    return 0


def _batch_arguments(parser: argparse.ArgumentParser, runs: int, out: str) -> None:
    """What batch and compare share: scenarios, replicates, seed, store, executor."""
    parser.add_argument("scenarios", nargs="+", help="scenario files (YAML)")
    parser.add_argument("--runs", type=int, default=runs, help=f"replicates per scenario and design point "
                        f"(default {runs})")
    parser.add_argument("--seed", type=int, default=1, help="base seed the replicate seeds are spawned from")
    parser.add_argument("--out", required=True, help=out)
    parser.add_argument("--resume", action="store_true", help="complete an interrupted batch in --out: runs "
                        "already stored are skipped, failed ones are run again")
    parser.add_argument("--parameter-sets", metavar="FILE", help="plausible parameter sets (calibrate's "
                        "parameter_sets.json): each replicate draws one, seeded, so intervals include parameter "
                        "uncertainty")
    parser.add_argument("--run-timeout", type=float, default=RUN_TIMEOUT, metavar="SECONDS",
                        help=f"wall-clock seconds a run may take before it is stopped and stored as failed "
                        f"(default {RUN_TIMEOUT:g})")
    _executor_arguments(parser)


def _executor_arguments(parser: argparse.ArgumentParser) -> None:
    """Where runs go: local processes, a running Dask cluster or a Dask LocalCluster."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this running Dask cluster")
    where.add_argument("--dask-local", type=int, metavar="W", help="run on a Dask LocalCluster of W workers "
                       "started for the command")


def _search_argument(parser: argparse.ArgumentParser) -> None:
    """--search: a further parameter to search, by its name in sim/parameters.py."""
    parser.add_argument("--search", action="append", default=[], metavar="NAME[=LOW:HIGH]",
                        help="also search this parameter of sim/parameters.py (repeatable): over LOW:HIGH, or over "
                        "its allowed range (docs/validation.md, 'Adding a parameter to the search')")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py", description="Agent-based wargame of sieges (shipped theatres: al-Qusayr 2013, "
        "Kobani 2014-15). With no command, runs the main job: the standard study of each theatre (its historical "
        "scenario and every counterfactual, compared) and its report, into a new folder out/study-YYYYMMDD-HHMMSS "
        "(Kobani's in its kobani/ subfolder).")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND")

    run = verbs.add_parser("run", help="run one scenario with one seed and write its records")
    run.add_argument("scenario", help="scenario file (YAML)")
    run.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    run.add_argument("--out", help="output folder (default out/SCENARIO-seedN)")
    run.set_defaults(func=cmd_run)

    batch = verbs.add_parser("batch", help="run seeded replicates (and parameter sweeps) of scenarios into a "
                             "results store (runs.parquet, timeseries.parquet) on local processes or Dask")
    batch.add_argument("--sweep", help="experiment design (YAML): a grid or Latin hypercube of parameters")
    _batch_arguments(batch, runs=100, out="output folder of the results store")
    batch.set_defaults(func=cmd_batch)

    compare = verbs.add_parser("compare", help="run seeded replicates of scenarios and rank them by supply "
                               "scores; the first scenario is the reference, and scores.md gives each other's "
                               "differences from it, run by run, with 90%% intervals")
    _batch_arguments(compare, runs=20, out="output folder for scores.csv, scores.md and the results store")
    compare.set_defaults(func=cmd_compare)

    fidelity = verbs.add_parser("fidelity", help="run replicates of a scenario and measure them against its "
                                "record (fidelity.json and a plot)")
    fidelity.add_argument("--scenario", default=str(HISTORICAL), help="scenario file naming a record (default: "
                          "scenarios/historical.yaml)")
    fidelity.add_argument("--runs", type=int, default=40, help="replicates (default 40)")
    fidelity.add_argument("--seed", type=int, default=1, help="base seed the replicate seeds are spawned from")
    fidelity.add_argument("--out", default=str(ROOT / "out" / "fidelity"), help="output folder (default out/fidelity)")
    fidelity.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    fidelity.set_defaults(func=cmd_fidelity)

    calib = verbs.add_parser("calibrate", help="fit a scenario's parameters on its record up to the record's split "
                             "date with optuna (resumable: the same command completes an interrupted search) and "
                             "check the fit on the rest")
    calib.add_argument("--scenario", default=str(HISTORICAL), help="scenario file naming a record (default: "
                       "scenarios/historical.yaml)")
    calib.add_argument("--budget", type=int, default=60, help="trials: parameter sets tried (default 60)")
    calib.add_argument("--runs", type=int, default=8, help="replicates per trial (default 8)")
    calib.add_argument("--batch", type=int, default=4, help="trials asked at once (default 4; part of what the "
                       "seed reproduces, unlike the number of workers)")
    calib.add_argument("--tolerance", type=float, default=0.25, help="plausible sets: trials whose loss is within "
                       "this of the best (default 0.25)")
    calib.add_argument("--check-runs", type=int, default=200, help="replicates of the final check (default 200)")
    calib.add_argument("--seed", type=int, default=1, help="seed of the search and the replicates")
    calib.add_argument("--out", default=str(ROOT / "out" / "calibration"),
                       help="output folder (default out/calibration); its trials.jsonl is resumed")
    _search_argument(calib)
    _executor_arguments(calib)
    calib.set_defaults(func=cmd_calibrate)

    sens = verbs.add_parser("sensitivity", help="global sensitivity of the fall day, encirclement day and losses "
                            "(SALib: Morris screening, then Sobol' on the most influential parameters)")
    sens.add_argument("--scenario", default=str(HISTORICAL), help="scenario file (default: scenarios/historical.yaml)")
    sens.add_argument("--budget", type=int, default=10, help="Morris trajectories (default 10)")
    sens.add_argument("--sobol-samples", type=int, default=32, help="Sobol' base samples, a power of 2 (default 32)")
    sens.add_argument("--top", type=int, default=4, help="parameters Sobol' looks at (default 4; 0: Morris only)")
    sens.add_argument("--runs", type=int, default=4, help="replicates per point, averaged (default 4)")
    sens.add_argument("--seed", type=int, default=1, help="seed of the samples and the replicates")
    sens.add_argument("--out", default=str(ROOT / "out" / "sensitivity"), help="output folder")
    _search_argument(sens)
    _executor_arguments(sens)
    sens.set_defaults(func=cmd_sensitivity)

    disc = verbs.add_parser("discover", help="scenario discovery: sample the parameters (Latin hypercube) across "
                            "scenario variants and find with PRIM the boxes where the objective holds past the end")
    disc.add_argument("--scenario", default=str(HISTORICAL), help="scenario file (default: scenarios/historical.yaml)")
    disc.add_argument("--counterfactuals", nargs="*", default=[], metavar="FILE", help="more scenario files, each "
                      "a level of the categorical input 'variant' beside the scenario")
    disc.add_argument("--samples", type=int, default=40, help="Latin hypercube points per variant (default 40)")
    disc.add_argument("--runs", type=int, default=4, help="replicates per point (default 4)")
    disc.add_argument("--seed", type=int, default=1, help="seed of the sample and the replicates")
    disc.add_argument("--alpha", type=float, default=0.05, help="share of a box peeled at each step (default 0.05)")
    disc.add_argument("--min-mass", type=float, default=0.05, help="smallest box, as a share of the points "
                      "(default 0.05)")
    disc.add_argument("--threshold", type=float, default=0.8, help="density the chosen box should reach: the "
                      "widest step of the trajectory that does (default 0.8; raised to halfway from the whole "
                      "sample's density to 1 when that is higher)")
    disc.add_argument("--max-boxes", type=int, default=3, help="boxes found one after another (default 3)")
    disc.add_argument("--out", default=str(ROOT / "out" / "discovery"), help="output folder (default out/discovery)")
    _search_argument(disc)
    _executor_arguments(disc)
    disc.set_defaults(func=cmd_discover)

    valid = verbs.add_parser("validation", help="the whole validation, resumable: calibrate the primary theatre "
                             "(and its held-back check), each transfer theatre with the primary's fit and with its "
                             "own, sensitivity, discovery; then docs/validation.md's generated sections from the "
                             "outputs")
    valid.add_argument("--scenario", default=str(HISTORICAL), help="the primary theatre: a scenario file naming a "
                       "record, calibrated, then studied by sensitivity and discovery (default: "
                       "scenarios/historical.yaml)")
    valid.add_argument("--transfer", nargs="*", default=[str(p) for p in TRANSFERS], metavar="FILE",
                       help="transfer theatres, each a scenario file naming a record: run with the primary's fit, "
                       "then calibrated on their own (default: scenarios/kobani/kobani.yaml)")
    valid.add_argument("--out", default=str(ROOT / "out" / "validation"), help="output folder, one subfolder per "
                       "stage; a finished stage is skipped on a rerun (default out/validation)")
    valid.add_argument("--doc", help="the page to regenerate (default: docs/validation.md for the "
                       "shipped theatres without --quick, else validation.md in --out: a copy of docs/validation.md "
                       "for the shipped theatres; a page that does not exist is started with every generated "
                       "section)")
    valid.add_argument("--quick", action="store_true", help="tiny budgets, every stage end to end in about a "
                       "minute (for tests; not a result)")
    for name, field, meaning in (("budget", "trials", "calibration trials, each theatre"),
                                   ("runs", "runs", "replicates per calibration trial"),
                                   ("check-runs", "check_runs", "fresh replicates per checked parameter set"),
                                   ("morris", "morris", "Morris trajectories"),
                                   ("sobol-samples", "sobol_samples", "Sobol' base samples (a power of 2)"),
                                   ("top", "top", "parameters Sobol' looks at"),
                                   ("sensitivity-runs", "sensitivity_runs", "replicates per sensitivity point"),
                                   ("samples", "samples", "discovery: Latin hypercube points per variant"),
                                   ("discover-runs", "discover_runs", "discovery: replicates per point")):
        valid.add_argument(f"--{name}", dest=field, type=int, default=None,
                           help=f"{meaning} (default: issue 13's budget, analysis.validation.Budgets)")
    valid.add_argument("--counterfactuals", nargs="*", metavar="FILE", help="discovery's scenario variants beside "
                       "the primary theatre (default: every file in the counterfactuals/ folder beside it; discovery "
                       "is most of the command's cost, in proportion to the variants)")
    valid.add_argument("--seed", type=int, default=1, help="seed of every stage (default 1)")
    valid.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    _search_argument(valid)
    valid.set_defaults(func=cmd_validation)

    play = verbs.add_parser("play", help="command one side from the terminal (orders read from standard input)")
    play.add_argument("scenario", nargs="?", help="scenario file (YAML); or --load a saved game")
    play.add_argument("--side", help="the side you command (e.g. government or rebels)")
    play.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    play.add_argument("--every", type=int, help="days between decision points (default 1)")
    play.add_argument("--load", metavar="FILE", help="a saved game: replay it to its day and go on (with --side: "
                      "a branch in which you command that side)")
    play.set_defaults(func=cmd_play)

    serve = verbs.add_parser("serve", help="start the classroom web app")
    serve.add_argument("--scenario", action="append", metavar="FILE", help="offer this scenario file (repeatable)")
    serve.add_argument("--scenarios", action="append", metavar="DIR", help="offer every scenario file under DIR "
                       "(repeatable; records' record/ folders are left out); default: the shipped scenarios/")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this computer "
                       "only; 0.0.0.0 lets a classroom connect)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    serve.add_argument("--games", default=str(GAMES), metavar="DIR", help="the folder of saved games: players "
                       "save and load games by name, only there (default out/games)")
    serve.set_defaults(func=cmd_serve)

    report = verbs.add_parser("report", help="write DIR/report.html, the after-action report (pictures inlined) "
                              "of a run, batch or compare folder")
    report.add_argument("folder", metavar="DIR", help="a folder written by run, batch or compare")
    report.add_argument("--scenario", help="the scenario file (default: found by the run's scenario name)")
    report.add_argument("--no-animation", action="store_true", help="leave out the animated map (faster)")
    report.set_defaults(func=cmd_report)

    synth = verbs.add_parser("synth", help="generate a synthetic theatre (map and record-free scenario) SCALE times "
                             "the size of the historical one, for benchmarks")
    synth.add_argument("--scale", type=int, default=1, help="size as a multiple of the historical theatre's numbers "
                       "of places, roads and formations (default 1)")
    synth.add_argument("--seed", type=int, default=1, help="seed of the generator (default 1)")
    synth.add_argument("--out", required=True, metavar="DIR",
                       help="folder for synthetic-SCALEx-seedSEED.yaml and .geojson")
    synth.set_defaults(func=cmd_synth)

    validate = verbs.add_parser("validate", help="check maps (.geojson), scenarios, sweep files and saved games "
                                "(.yaml); each bad file gets one line, and the exit code is 2 if any is bad")
    validate.add_argument("files", nargs="+", help="files to check")
    validate.set_defaults(func=cmd_validate)
    return parser


def check_arguments(args: argparse.Namespace) -> None:
    """Numbers argparse takes as any int but the commands need in a range: one line, exit 2, like a bad file."""
    if getattr(args, "seed", 0) < 0:
        raise InputError("--seed", "", f"must be a non-negative whole number, got {args.seed}")
    if getattr(args, "every", None) is not None and args.every < 1:
        raise InputError("--every", "", f"must be at least 1 (days between decision points), got {args.every}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = getattr(args, "func", cmd_main)
    try:
        check_arguments(args)
        return func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
