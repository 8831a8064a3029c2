"""The campaign as a moving map: one frame per day, the date and the latest key events written on each frame.

A GIF always (written with Pillow, which comes with matplotlib), and an MP4 as well when ffmpeg is on the
machine. The run is replayed once (analysis/replay.py). The map's background (terrain, roads, labels, legend)
is rendered once and saved; each frame restores it and draws only what the day changed (blitting), which is
what makes a 66-day animation take seconds rather than minutes.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from analysis.palette import new_figure
from analysis.replay import MapState, replay
from analysis.theatre_map import KEY_EVENT_LINES, TheatreMap
from sim.scenario import Scenario

NOTE_DAYS = 4  # a key event stays written on the map this many days, so it can be read at GIF speed
FPS = 4
DPI = 60  # 16 x 10 inches -> 960 x 600 pixels
PALETTE_SAMPLE = 6  # frames mixed to choose the GIF's 256 colours


def notes_by_day(view: TheatreMap, states: list[MapState]) -> list[list[str]]:
    """For each day, the captions of the key events of the last ``NOTE_DAYS`` days (latest last, at most 3)."""
    recent: list[tuple[float, str]] = []
    out = []
    for state in states:
        recent = [(day, text) for day, text in recent if state.day - day < NOTE_DAYS]
        recent += [(state.day, f"{state.date:%-d %b}: {text}") for text in view.captions(state)]
        out.append([text for _, text in recent][-KEY_EVENT_LINES:])
    return out


def render_frames(scenario: Scenario, seed: int, dpi: int = DPI) -> list[np.ndarray]:
    """One RGB image (height x width x 3) per day of the run (scenario, seed)."""
    states = list(replay(scenario, seed))
    fig = new_figure(16, 10)
    fig.set_dpi(dpi)
    view = TheatreMap(fig.add_subplot(), scenario)
    notes = notes_by_day(view, states)
    view.show(states[-1], notes[-1])  # lay the figure out once, with a full day on it
    fig.canvas.draw()
    fig.set_layout_engine("none")
    view.set_animated(True)
    fig.canvas.draw()
    background = fig.canvas.copy_from_bbox(fig.bbox)
    frames = []
    for state, note in zip(states, notes, strict=True):
        fig.canvas.restore_region(background)
        view.show(state, note)
        for artist in view.day_artists():
            fig.draw_artist(artist)
        frames.append(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    return frames


def write_gif(frames: list[np.ndarray], path: Path, fps: int = FPS) -> None:
    """A looping GIF; one palette for every frame (chosen from a sample of frames), so colours do not flicker."""
    sample = np.concatenate(frames[:: max(1, len(frames) // PALETTE_SAMPLE)], axis=0)
    palette = Image.fromarray(sample).quantize(colors=256)
    images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    tmp = path.with_name(f".{path.name}.tmp")
    images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    tmp.replace(path)


def write_mp4(frames: list[np.ndarray], path: Path, ffmpeg: str, fps: int = FPS) -> None:
    """An H.264 MP4 through ffmpeg (raw frames on its standard input)."""
    height, width, _ = frames[0].shape
    tmp = path.with_name(f".{path.stem}.tmp.mp4")
    command = [ffmpeg, "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
               "-r", str(fps), "-i", "-", "-pix_fmt", "yuv420p", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", str(tmp)]
    subprocess.run(command, input=b"".join(f.tobytes() for f in frames), check=True)
    tmp.replace(path)


def write_animation(scenario: Scenario, seed: int, out: str | Path, fps: int = FPS, dpi: int = DPI) -> list[Path]:
    """Write ``out`` (a .gif) and, if ffmpeg is installed, the same with .mp4; return the files written."""
    out = Path(out).with_suffix(".gif")
    out.parent.mkdir(parents=True, exist_ok=True)
    frames = render_frames(scenario, seed, dpi)
    write_gif(frames, out, fps)
    written = [out]
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg:
        write_mp4(frames, out.with_suffix(".mp4"), ffmpeg, fps)
        written.append(out.with_suffix(".mp4"))
    return written
