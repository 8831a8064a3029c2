"""Benchmark: one historical run beside Mesa 3.5's Boltzmann wealth example, alternated in one process.

Mesa's own example is the yardstick: 100 agents on a 10 x 10 grid for 125 steps; at each step every agent, in
random order, moves to a random neighbouring cell and, if it has wealth, gives one unit to a random agent in its
new cell; a DataCollector (Gini, wealth) and Mesa's experimental DataRecorder record as in the example. It is rewritten
here with the same behaviour (``mesa.examples`` is not always installed); when it is installed, the benchmark
checks that both give the same wealth for the same seed.

The two are run in turn, the order swapped every round, after a warm-up of each, so a busy spell on the machine
slows both alike; wall and CPU time are both printed (the CPU time is the steadier figure on a shared machine).
Prints figures; it is not a test. Target (issue "Speed and scale"): the historical run at most 0.4 times the
Boltzmann example. Usage: python benchmarks/bench_run.py [--runs 30]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import statistics
from collections.abc import Callable

from common import HISTORICAL, Timings, load, load_line, run_once
from mesa import Model
from mesa.datacollection import DataCollector
from mesa.discrete_space import Cell, CellAgent, OrthogonalMooreGrid
from mesa.experimental.data_collection import DataRecorder, DatasetConfig
from mesa.experimental.scenarios import Scenario

TARGET_RATIO = 0.4
BOLTZMANN_STEPS = 125
MESA_EXAMPLE = "mesa.examples.basic.boltzmann_wealth_model.model"


class MoneyAgent(CellAgent):
    """An agent with one unit of wealth at the start, which it gives away one unit at a time to cellmates."""

    def __init__(self, model: Model, cell: Cell) -> None:
        super().__init__(model)
        self.cell = cell
        self.wealth = 1

    def move(self) -> None:
        self.cell = self.cell.neighborhood.select_random_cell()

    def give_money(self) -> None:
        cellmates = [a for a in self.cell.agents if a is not self]
        if cellmates:
            other = self.random.choice(cellmates)
            other.wealth += 1
            self.wealth -= 1

    def step(self) -> None:
        self.move()
        if self.wealth > 0:
            self.give_money()


class BoltzmannScenario(Scenario):
    """The example's parameters: 100 agents on a 10 x 10 grid."""

    n: int = 100
    width: int = 10
    height: int = 10


class BoltzmannWealth(Model):
    """Mesa 3.5's Boltzmann wealth model, with the example's recording (DataRecorder and DataCollector)."""

    def __init__(self, scenario: BoltzmannScenario) -> None:
        super().__init__(scenario=scenario)
        self.num_agents = scenario.n
        self.grid = OrthogonalMooreGrid((scenario.width, scenario.height), random=self.random)
        self.recorder = DataRecorder(self)
        self.data_registry.track_agents(self.agents, "agent_data", "wealth").record(self.recorder)
        self.data_registry.track_model(self, "model_data", "gini").record(
            self.recorder, configuration=DatasetConfig(start_time=4, interval=2))
        self.datacollector = DataCollector(model_reporters={"Gini": "gini"}, agent_reporters={"Wealth": "wealth"})
        MoneyAgent.create_agents(self, self.num_agents,
                                 self.random.choices(self.grid.all_cells.cells, k=self.num_agents))
        self.running = True
        self.datacollector.collect(self)

    def step(self) -> None:
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)

    @property
    def gini(self) -> float:
        wealth = sorted(agent.wealth for agent in self.agents)
        n = self.num_agents
        b = sum(w * (n - i) for i, w in enumerate(wealth)) / (n * sum(wealth))
        return 1 + (1 / n) - 2 * b


def boltzmann_wealth(model_class: type[Model], scenario_class: type[Scenario], seed: int) -> list[int]:
    """Run a Boltzmann wealth model for the example's 125 steps; return the agents' wealth."""
    model = model_class(scenario_class(rng=seed))
    for _ in range(BOLTZMANN_STEPS):
        model.step()
    return [agent.wealth for agent in model.agents]


def faithful() -> str:
    """Whether this copy gives the installed Mesa example's wealth for the same seeds."""
    if importlib.util.find_spec("mesa.examples") is None:
        return "mesa.examples is not installed: not compared"
    example = importlib.import_module(MESA_EXAMPLE)
    same = all(boltzmann_wealth(BoltzmannWealth, BoltzmannScenario, seed)
               == boltzmann_wealth(example.BoltzmannWealth, example.BoltzmannScenario, seed) for seed in (1, 2, 3))
    return "same wealth as Mesa's installed example (seeds 1-3)" if same else "DIFFERS from Mesa's installed example"


def alternate(first: Callable[[int], object], second: Callable[[int], object], runs: int) -> tuple[Timings, Timings]:
    """Time ``first(seed)`` and ``second(seed)`` in turn for seeds 1..runs, swapping which goes first each round."""
    times = (Timings(), Timings())
    for seed in range(1, runs + 1):
        for which in (0, 1) if seed % 2 else (1, 0):
            action = (first, second)[which]
            times[which].time(lambda a=action, s=seed: a(s))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each (default 30)")
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs must be at least 2")
    print(f"historical scenario and Mesa's Boltzmann wealth example (100 agents, {BOLTZMANN_STEPS} steps), "
          f"alternated in one process; {load_line('at the start')}")
    print(f"  Boltzmann copy: {faithful()}")
    loading = Timings()
    loading.time(lambda: load(HISTORICAL))
    scenario = load(HISTORICAL)

    def historical(seed: int) -> object:
        return run_once(scenario, seed)

    def boltzmann(seed: int) -> object:
        return boltzmann_wealth(BoltzmannWealth, BoltzmannScenario, seed)

    historical(0)  # warm-up: the scenario's road tables and supply-metrics cache, and both code paths
    boltzmann(0)
    ours, theirs = alternate(historical, boltzmann, args.runs)
    print(f"  {'scenario load (once)':<34} {loading.wall[0] * 1000:8.1f} ms")
    print("\n".join(ours.lines("historical run") + theirs.lines("Boltzmann example")))
    ratios = {clock: ours.median(clock) / theirs.median(clock) for clock in ("wall", "cpu")}
    paired = statistics.median(a / b for a, b in zip(ours.cpu, theirs.cpu, strict=True))
    print(f"historical / Boltzmann: {ratios['wall']:.2f} wall, {ratios['cpu']:.2f} CPU (ratios of medians; "
          f"{paired:.2f} median of paired CPU ratios); target at most {TARGET_RATIO:g}: "
          f"{'met' if ratios['cpu'] <= TARGET_RATIO else 'not met'} (on CPU time)")
    print(load_line("at the end (figures are only meaningful on an idle machine)"))


if __name__ == "__main__":
    main()
