"""Play mode (sim/play.py, app/terminal.py): orders and their refusals, their effect, saved games, a server's
games folder, terminal play."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from app.terminal import Terminal
from sim import play
from sim.errors import InputError
from sim.play import Game, GamesFolder, load_game
from sim.simulation import simulate

ROOT = Path(__file__).resolve().parents[1]
RUN = [sys.executable, str(ROOT / "run.py")]


def where(game: Game, fid: str) -> str | tuple | None:
    f = next(g for g in game.model.formations() if g.fid == fid)
    return f.place or f.edge


def test_watching_records_the_same_run_as_simulate(historical_path, historical):
    """Recording the adjudications and consulting human orders changes nothing when nobody plays."""
    game = Game(historical_path, seed=4)
    while not game.over:
        game.advance()
    record = simulate(historical, 4)
    assert game.rows == record.timeseries
    assert [e.text for e in game.model.events] == [e.text for e in record.events]
    assert game.record().summary == record.summary
    engagements = [e for e in record.events if e.kind.value in ("engagement", "ambush")]
    assert len(game.engagements()) == len(engagements) > 0


def test_adjudication_numbers_are_consistent(historical_path):
    game = Game(historical_path, seed=1)
    while not game.engagements():
        game.step()
    adj = game.engagements()[0]
    assert adj["ratio"] == pytest.approx(adj["attacker_power"] / adj["defender_power"], rel=1e-2)
    for role in ("attacker", "defender"):
        members = [f for f in adj["formations"] if f["role"] == role]
        assert sum(f["power"] for f in members) == pytest.approx(adj[f"{role}_power"], abs=0.1 * len(members))
        assert all(f["morale_after"] <= f["morale_before"] for f in members)


@pytest.mark.parametrize(("fid", "action", "target", "reason"), [
    ("nobody", "hold", "", "no formation 'nobody'"),
    ("army_1st_armoured", "hold", "", "belongs to the other side"),
    ("tawhid_convoy", "hold", "", "has not arrived yet"),
    ("farouq_abil", "attack", "al_qusayr", "is not next to Abil"),
    ("farouq_abil", "attack", "buwaydah_sharqiyah", "is not held by the enemy: use move"),
    ("farouq_abil", "move", "homs", "is held by the enemy"),
    ("farouq_abil", "reinforce", "homs", "is held by the enemy"),
    ("farouq_abil", "move", "atlantis", "no place 'atlantis'"),
    ("farouq_abil", "move", "", "move needs a place"),
    ("farouq_abil", "charge", "homs", "unknown order 'charge'"),
])
def test_illegal_orders_are_refused_with_a_reason(historical_path, fid, action, target, reason):
    game = Game(historical_path, seed=1, side="rebels")
    why = game.give(fid, action, target)
    assert why is not None and reason in why
    assert game.orders == [] and game.model.human_orders == {}


def test_orders_only_on_decision_days_and_only_when_playing(historical_path):
    game = Game(historical_path, seed=1, side="rebels", every=3)
    assert game.give("farouq_abil", "hold") is None
    game.step()
    assert "next decision day is day 3" in game.give("farouq_abil", "hold")
    game.advance()
    assert game.day == 3 and game.decision_day
    watcher = Game(historical_path, seed=1)
    assert "nobody is playing" in watcher.give("farouq_abil", "hold")


def test_a_formation_in_combat_can_only_hold_or_withdraw(historical_path):
    game = Game(historical_path, seed=1, side="rebels")
    fighting = None
    while fighting is None and not game.over:
        game.step()
        m = game.model
        fighting = next((f for f in game.formations()
                         if f.active and f.place and m.space.enemy_present(f.place, f.side)), None)
    assert fighting is not None
    far = next(p for p in game.model.places if p not in game.model.space.adjacency[fighting.place])
    assert "can only hold or withdraw" in game.give(fighting.fid, "move", far)
    assert game.give(fighting.fid, "hold") is None


def test_an_order_takes_effect_and_then_stands(historical_path):
    played = Game(historical_path, seed=2, side="rebels")
    doctrine = Game(historical_path, seed=2, side="rebels")
    assert where(doctrine, "farouq_abil") == "abil"
    assert played.give("farouq_abil", "move", "al_qusayr") is None
    for _ in range(4):
        played.advance()
        doctrine.advance()
    assert where(played, "farouq_abil") == "al_qusayr"
    assert where(doctrine, "farouq_abil") == "abil"
    f = next(g for g in played.formations() if g.fid == "farouq_abil")
    assert played.standing(f) == "hold"  # arrived: it holds there


def test_an_attack_takes_the_place(historical_path):
    game = Game(historical_path, seed=1, side="rebels")
    assert game.model.control["hisyah"] == "government"
    assert game.give("fsa_shamsin", "attack", "hisyah") is None
    for _ in range(3):
        game.advance()
    assert game.model.control["hisyah"] == "rebels"
    assert any(c["place"] == "hisyah" and c["by"] == "rebels" for c in game.model.captures)


def test_withdraw_without_a_place_goes_to_the_nearest_own_supplied_ground(historical_path):
    game = Game(historical_path, seed=1, side="rebels")
    assert game.give("fsa_east", "withdraw") is None
    order = game.orders[-1]
    assert order.target and game.model.control[order.target] == "rebels"
    assert order.target in game.model.supplied["rebels"]


def test_a_saved_game_reloads_identically_and_branches(historical_path, tmp_path):
    game = Game(historical_path, seed=5, side="rebels", every=2)
    game.give("farouq_abil", "move", "al_qusayr")
    game.advance()
    game.give("fsa_east", "withdraw")
    for _ in range(5):
        game.advance()
    path = game.save(tmp_path / "sub" / "game.yaml")
    loaded = load_game(path)
    assert loaded.day == game.day == 12
    assert loaded.rows == game.rows
    assert loaded.model.control == game.model.control
    assert [e.text for e in loaded.model.events] == [e.text for e in game.model.events]
    assert {f.fid: where(loaded, f.fid) for f in loaded.model.formations()} == \
        {f.fid: where(game, f.fid) for f in game.model.formations()}
    # going on from the same day with the same choices gives the same future
    game.advance()
    loaded.advance()
    assert loaded.rows == game.rows
    # a branch: the same state, now commanding the other side
    branch = load_game(path, side="government", every=1)
    assert branch.day == 12 and branch.side == "government"
    assert branch.give("farouq_abil", "hold") is not None
    army = next(f for f in branch.formations() if f.active and f.place)
    assert branch.give(army.fid, "hold") is None


def _save(tmp_path: Path, historical_path: Path, **changes) -> Path:
    game = Game(historical_path, seed=1, side="rebels")
    game.give("farouq_abil", "move", "al_qusayr")
    game.advance()
    path = game.save(tmp_path / "game.yaml")
    data = yaml.safe_load(path.read_text())
    data.update(changes)
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(("changes", "field", "problem"), [
    ({"seed": "one"}, "seed", "valid integer"),
    ({"colour": "red"}, "colour", "Extra inputs"),
    ({"format": "chess/1"}, "format", "siege-game/1"),
    ({"scenario_sha256": "0" * 64}, "scenario_sha256", "changed since the game was saved"),
    ({"scenario": "nowhere.yaml"}, "scenario", "no such scenario file"),
    ({"day": 500.0}, "day", "after the scenario ends"),
    ({"orders": [{"day": 0.0, "formation": "army_1st_armoured", "action": "hold"}]}, "orders[0]",
     "refused on replay"),
    ({"orders": [{"day": 0.0, "formation": "farouq_abil", "action": "fly"}]}, "orders[0].action", ""),
])
def test_saved_files_are_validated(tmp_path, historical_path, changes, field, problem):
    path = _save(tmp_path, historical_path, **changes)
    with pytest.raises(InputError) as err:
        load_game(path)
    assert err.value.file == str(path)
    assert err.value.field == field
    assert problem in err.value.problem


def test_a_save_replaces_a_file_only_when_asked(tmp_path, historical_path):
    game = Game(historical_path, seed=1)
    path = game.save(tmp_path / "g.yaml")
    game.step()
    with pytest.raises(FileExistsError):
        game.save(path, overwrite=False)
    assert load_game(path).day == 0
    game.save(path)
    assert load_game(path).day == 1


# ---------------------------------------------------------------- a server's games folder


@pytest.fixture
def games(tmp_path, historical_path) -> GamesFolder:
    folder = tmp_path / "games"
    folder.mkdir()
    return GamesFolder(folder, [historical_path])


@pytest.fixture
def played(historical_path) -> Game:
    game = Game(historical_path, seed=2, side="rebels")
    game.give("fsa_shamsin", "attack", "hisyah")
    game.advance()
    game.advance()
    return game


@pytest.mark.parametrize("name", ["../escape", "/tmp/escape", "sub/game", "game.yaml", "", "a" * 65, "a b",
                                  "caf\u00e9", "x\n"])
def test_a_game_name_never_reaches_outside_the_games_folder(games, played, tmp_path, name):
    before = sorted(tmp_path.rglob("*"))
    for attempt in (lambda: games.save(played, name), lambda: games.load(name)):
        with pytest.raises(InputError) as err:
            attempt()
        assert err.value.file == "game name" and "letters, digits, - or _" in err.value.problem
    assert sorted(tmp_path.rglob("*")) == before


def test_a_named_game_saves_and_loads_and_is_replaced_only_when_asked(games, played):
    path = games.save(played, "team-1_a")
    assert path == games.folder / "team-1_a.yaml" and games.names() == ["team-1_a"]
    with pytest.raises(InputError, match="a saved game of this name exists"):
        games.save(Game(played.scenario.path, seed=9), "team-1_a")
    loaded = games.load("team-1_a")
    assert (loaded.day, loaded.seed, loaded.rows) == (played.day, 2, played.rows)
    played.advance()
    games.save(played, "team-1_a", overwrite=True)
    assert games.load("team-1_a").day == played.day
    branch = games.load("team-1_a", side="government")
    assert branch.side == "government" and branch.day == played.day
    with pytest.raises(InputError, match="no saved game of this name"):
        games.load("nobody")


def test_a_downloaded_game_uploads_to_the_same_game(games, played):
    text = games.text(played).encode()
    loaded = games.upload("mine.yaml", text)
    assert (loaded.day, loaded.rows, loaded.orders) == (played.day, played.rows, played.orders)
    assert games.names() == [] and not list(games.folder.iterdir())  # an upload is loaded, not kept


def test_uploads_are_refused_with_the_sent_name(games, played, historical_path, tmp_path, monkeypatch):
    data = yaml.safe_load(games.text(played))
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(historical_path.read_text())
    cases = {
        "not one of the scenarios this server offers": {**data, "scenario": str(elsewhere)},
        "Extra inputs": {**data, "colour": "red"},
        "changed since the game was saved": {**data, "scenario_sha256": "0" * 64},
    }
    for problem, changed in cases.items():
        with pytest.raises(InputError) as err:
            games.upload("sent.yaml", yaml.safe_dump(changed).encode())
        assert err.value.file == "sent.yaml" and problem in str(err.value)
    monkeypatch.setattr(play, "MAX_GAME_BYTES", 100)
    with pytest.raises(InputError, match="larger than 100 bytes"):
        games.upload("big.yaml", b"#" * 101)
    assert not list(games.folder.iterdir())


def test_the_games_folder_and_its_games_are_bounded(games, played, monkeypatch):
    monkeypatch.setattr(play, "MAX_GAMES", 1)
    games.save(played, "first")
    with pytest.raises(InputError, match="the games folder is full"):
        games.save(played, "second")
    games.save(played, "first", overwrite=True)  # replacing one is not adding one
    monkeypatch.setattr(play, "MAX_GAME_BYTES", 100)
    with pytest.raises(InputError, match="larger than 100 bytes"):
        games.save(played, "first", overwrite=True)
    with pytest.raises(InputError, match="larger than 100 bytes"):
        games.load("first")


@pytest.mark.e2e
def test_loading_a_broken_file_from_the_command_line_exits_2(tmp_path, historical_path):
    path = _save(tmp_path, historical_path, seed=-3)
    done = subprocess.run([*RUN, "play", "--load", str(path)], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "seed" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.e2e
def test_terminal_play_driven_by_a_script(tmp_path, historical_path):
    save = tmp_path / "t.yaml"
    script = "\n".join([
        "list",
        "attack farouq_abil al-Qusayr",  # not next to Abil: refused
        "order fsa_shamsin attack Hisyah",
        "withdraw fsa_east",
        "next",
        "fights",
        f"save {save}",
        "next",
        "quit",
    ]) + "\n"
    done = subprocess.run([*RUN, "play", str(historical_path), "--side", "rebels", "--seed", "1"], input=script,
                          capture_output=True, text=True, timeout=120)
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "refused: al-Qusayr is not next to Abil" in out
    assert "ok: Free Syrian Army Shamsin battalion: attack Hisyah" in out
    assert "ok: Free Syrian Army eastern battalions: withdraw" in out
    assert "Day 1, 5 April 2013" in out and "Day 2, 6 April 2013" in out
    assert f"saved day 1 to {save}" in out
    # the saved game goes on from where it was saved
    again = subprocess.run([*RUN, "play", "--load", str(save)], input="list\nquit\n", capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "Day 1, 5 April 2013" in again.stdout and "orders: attack Hisyah" in again.stdout  # it still stands
    assert load_game(save).model.control["hisyah"] == "rebels"


# ---------------------------------------------------------------- fog of war, order outcomes, the debrief


def test_fog_shows_only_the_enemy_in_contact_and_never_future_arrivals(historical_path):
    game = Game(historical_path, seed=1, side="rebels")
    m = game.model
    seen = play.contact_places(m, "rebels")
    own = {f.place for f in m.formations() if f.side == "rebels" and f.active}
    assert own <= seen
    assert seen == own | {n for p in own for n in m.space.adjacency[p]}
    enemy = [f for f in m.formations() if f.side != "rebels"]
    shown = [f for f in enemy if play.sighted(m, "rebels", f, seen)]
    assert 0 < len(shown) < len(enemy)
    assert all(f.place in seen for f in shown)
    pending = [f for f in enemy if f.status.value == "pending"]
    assert pending and not any(play.sighted(m, "rebels", f, frozenset(m.places)) for f in pending)


@pytest.mark.parametrize(("men", "band"), [(0, (0, 100)), (99, (0, 100)), (100, (100, 200)), (2345, (2300, 2400))])
def test_a_sighted_strength_is_reported_as_its_band(men, band):
    assert play.reported_strength(men) == band


def test_each_order_says_what_came_of_it(historical_path):
    game = Game(historical_path, seed=1, side="rebels")
    assert game.give("fsa_shamsin", "attack", "hisyah") is None
    assert game.give("fsa_jusiyah", "move", "al_qusayr") is None
    men = [game.model.formation(o.formation).personnel for o in game.orders]
    for _ in range(3):
        game.advance()
    attack, move = game.outcome(0), game.outcome(1)
    taken = [c["day"] for c in game.model.captures if c["place"] == "hisyah" and c["by"] == "rebels"]
    assert attack.startswith(f"Hisyah taken on {game.dated(taken[0])}" if taken else "Hisyah not taken")
    assert f"{men[0]:,} men then, {game.model.formation('fsa_shamsin').personnel:,} now" in attack
    arrived = game.reached.get(1)
    assert move.startswith(f"reached al-Qusayr on {game.dated(arrived)}" if arrived else "did not reach al-Qusayr")


def test_the_debrief_sets_the_game_against_doctrine_and_history(historical_path, historical):
    game = Game(historical_path, seed=1, side="rebels")
    game.give("farouq_abil", "hold")
    while not game.over:
        game.advance()
    cuts, falls, killed = play.doctrine_spread(game.source, game.knobs, 3)
    runs = [simulate(historical, seed).summary for seed in range(3)]
    assert sorted(cuts.days) == sorted(r["encirclement_day"] for r in runs if r["encirclement_day"] is not None)
    assert falls.never == sum(r["objective_fall_day"] is None for r in runs)
    assert killed["rebels"] == pytest.approx(sum(r["casualties_by_side"]["rebels"]["killed"] for r in runs) / 3)
    sections = play.debrief(game, runs=3)
    summary = game.record().summary
    cut = summary["encirclement_day"]
    cut_text = "never" if cut is None else game.dated(cut)
    assert sections["Against doctrine and history"][0].startswith(f"Cut off: {cut_text};")
    assert "history: 5 June 2013 (day 62)" in sections["Against doctrine and history"][1]
    assert any("the record:" in line for line in sections["Losses"])
    assert sections["Your orders and what came of them"] == [
        f"4 April 2013 (day 0): {game.model.formation('farouq_abil').label} hold - {game.outcome(0)}"]


def test_a_spread_ranks_a_day_among_doctrines():
    spread = play.Spread((30.0, 32.0, 40.0), never=1)
    assert spread.text() == "day 30 to 40 (median 32) in 3 runs; never in 1"
    assert spread.rank(35.0) == "2 of 4 doctrine runs earlier"
    assert spread.rank(None) == "1 of 4 doctrine runs also never"


def test_a_table_resolves_a_turn_when_both_sides_are_ready_and_replays(historical_path, tmp_path):
    table = play.Table(Game(historical_path, seed=1))
    assert table.order("rebels", "farouq_abil", "attack", "shinshar") is None
    assert "belongs to the other side" in table.order("rebels", "army_1st_armoured", "hold")
    assert table.order("government", "ndf_homs", "hold") is None
    assert not table.end_turn("rebels")
    assert table.game.day == 0 and table.order("rebels", "farouq_abil", "hold") == \
        "you have ended your turn: wait for the other side"
    assert table.end_turn("government")
    assert table.game.day == 1 and table.turn == 1 and not table.ready
    assert sorted((o.formation, o.action) for o in table.game.orders) == [("farouq_abil", "attack"),
                                                                          ("ndf_homs", "hold")]
    table.advance()  # the umpire: no orders this turn
    assert table.game.day == 2
    path = table.game.save(tmp_path / "table.yaml")
    again = load_game(path)
    assert again.side is None and again.rows == table.game.rows and again.orders == table.game.orders


def test_terminal_shows_news_names_a_map_the_enemy_in_contact_and_the_debrief(historical_path):
    out = io.StringIO()
    game = Game(historical_path, seed=1, side="rebels")
    term = Terminal(game, out)
    term.turn_start()
    first = out.getvalue()
    assert "Farouq Brigades Abil battalion [farouq_abil]: Abil" in first
    term.handle('order "Free Syrian Army Shamsin battalion" attack Hisyah')
    assert "ok: Free Syrian Army Shamsin battalion: attack Hisyah" in out.getvalue()
    out.seek(0)
    out.truncate()
    term.handle("next")
    turn = out.getvalue().split("Day 1, 5 April 2013")[1]
    shown = [line for line in turn.splitlines() if "[" in line]
    assert 0 < len(shown) < len(game.formations())  # only the formations whose news changed
    out.seek(0)
    out.truncate()
    term.handle("enemy")
    enemy = out.getvalue()
    assert "(reported)" in enemy and "1st Armoured Division" not in enemy  # it arrives on day 9
    out.seek(0)
    out.truncate()
    term.handle("map")
    assert "@" in out.getvalue() and "al-Qusayr (Opposition)" in out.getvalue()
    out.seek(0)
    out.truncate()
    term.handle("debrief")
    assert "Cut off: not yet" in out.getvalue()
    assert ("4 April 2013 (day 0): Free Syrian Army Shamsin battalion attack Hisyah - Hisyah taken on 5 April 2013 "
            "(day 1)") in out.getvalue()
