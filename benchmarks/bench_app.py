"""How fast the classroom app answers, in a real browser: page load and Step with the map visible.

Starts ``run.py serve`` on a free local port, opens it in Debian's headless Chromium (Playwright) at 1400 x 900,
and times (1) the page load, from navigation until the map of day 0 is shown, and (2) each of ``--steps`` Steps,
from the click until the page shows the next day's date and its pictures. Prints the figures (median and range),
the machine's load average (the 2-core machine is often shared: a busy machine slows every figure), the server's
CPU time per Step and the browser's main-thread time per Step (Chromium's TaskDuration: what each side of the app
costs, which the load hardly changes), and the widths of the map and of the map with its key; a screenshot of the
last state goes to ``--screenshot`` when given. Not a test: the numbers depend on the machine.

    .venv/bin/python benchmarks/bench_app.py --steps 20
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
START = dt.date(2013, 4, 4)  # the historical scenario's first day


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, server: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server stopped: {server.stdout.read()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    sys.exit("the server did not start")


def day_text(day: int) -> str:
    date = START + dt.timedelta(days=day)
    return f"Day {day}, {date.day} {date:%B %Y}"


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) process ``pid`` has used so far (Linux: /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def task_seconds(cdp: object) -> float:
    """The time the page's main thread has spent on tasks so far (Chromium's Performance.getMetrics)."""
    return next(m["value"] for m in cdp.send("Performance.getMetrics")["metrics"] if m["name"] == "TaskDuration")


def figures(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"{label}: median {statistics.median(ms):.0f} ms, min {min(ms):.0f}, max {max(ms):.0f} "
            f"({len(ms)} samples)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as games:
        server = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--port", str(port), "--games",
                                   games], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            wait_listening(port, server)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(f"http://127.0.0.1:{port}/")  # the first load warms the server (imports, fonts)
                page.locator("img").first.wait_for(timeout=120_000)
                loads = []
                for _ in range(args.loads):
                    t0 = time.perf_counter()
                    page.goto(f"http://127.0.0.1:{port}/")
                    page.locator("img").first.wait_for(timeout=60_000)
                    page.get_by_text(day_text(0)).first.wait_for(timeout=60_000)
                    loads.append(time.perf_counter() - t0)
                browser_time = page.context.new_cdp_session(page)
                browser_time.send("Performance.enable")
                steps = []
                load_before, cpu_before = os.getloadavg()[0], cpu_seconds(server.pid)
                tasks_before = task_seconds(browser_time)
                for day in range(1, args.steps + 1):
                    t0 = time.perf_counter()
                    page.get_by_role("button", name="Step").click()
                    page.get_by_text(day_text(day)).first.wait_for(timeout=60_000)
                    page.wait_for_function("() => [...document.images].every(i => i.complete)")
                    steps.append(time.perf_counter() - t0)
                server_cpu = (cpu_seconds(server.pid) - cpu_before) / args.steps
                browser_main = (task_seconds(browser_time) - tasks_before) / args.steps
                load = (load_before + os.getloadavg()[0]) / 2
                shown, key = (page.locator("img").nth(i).bounding_box() for i in range(2))
                width, with_key = shown["width"], max(shown["x"] + shown["width"], key["x"] + key["width"]) - shown["x"]
                if args.screenshot:
                    page.screenshot(path=str(args.screenshot), full_page=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(figures("page load (to the map of day 0)", loads))
    print(figures("Step (click to the next day's page)", steps))
    print(f"server CPU per Step: {server_cpu * 1000:.0f} ms; browser main thread per Step: {browser_main * 1000:.0f} "
          f"ms; load average during the Steps: {load:.1f} ({os.cpu_count()} cores)")
    print(f"at 1400 x 900: map {width:.0f} px wide, {with_key:.0f} px with its key")
    return 0


if __name__ == "__main__":
    sys.exit(main())
