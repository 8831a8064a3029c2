"""The campaign as a moving map, one frame per day drawn by the campaign map's renderer (analysis/theatre_map.py).

Three forms: a GIF (Pillow, which comes with matplotlib) at a readable pace (FRAME_MS a day, KEY_FRAME_MS on a
day with a key event), an MP4 as well when ffmpeg is on the machine (the same pace), and the frames themselves
for the report's day slider (analysis/report.py). The run is replayed once (analysis/replay.py); the map's
background is built once and each day redrawn over it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from analysis.replay import MapState, replay
from analysis.theatre_map import KEY_EVENT_LINES, MapOptions, TheatreMap, event_places, holds_town
from sim.scenario import Scenario

NOTE_DAYS = 4  # a key event stays written under the map this many days
FRAME_MS = 700  # a day on screen
KEY_FRAME_MS = 1500  # a day with a key event (a capture, the objective cut off or reconnected, a surrender)
MP4_FPS = 10  # the MP4 repeats frames to keep the GIF's pace
DPI = 60
PALETTE_SAMPLE = 6  # frames mixed to choose the GIF's 256 colours


@dataclass(frozen=True)
class Frame:
    """One day of the animation: its picture, how long it stays, and the words under it."""

    image: np.ndarray  # height x width x 3
    day: float
    title: str
    notes: tuple[str, ...]
    key: bool  # a key event happened this day

    @property
    def duration_ms(self) -> int:
        return KEY_FRAME_MS if self.key else FRAME_MS


def _notes(view: TheatreMap, states: list[MapState]) -> list[tuple[str, ...]]:
    """For each day, the captions of the key events of the last NOTE_DAYS days (latest last)."""
    recent: list[tuple[float, str]] = []
    out = []
    for state in states:
        recent = [(day, text) for day, text in recent if state.day - day < NOTE_DAYS]
        recent += [(state.day, f"{state.date:%-d %b}: {text}") for text in view.captions(state)]
        out.append(tuple(text for _, text in recent)[-KEY_EVENT_LINES:])
    return out


def render_frames(scenario: Scenario, seed: int, dpi: int = DPI) -> list[Frame]:
    """One frame per day of the run (scenario, seed), every place the run names labelled on every frame."""
    states = list(replay(scenario, seed))
    view = TheatreMap(scenario, dpi)
    named = event_places(e.row() for s in states for e in s.events)
    notes = _notes(view, states)
    fell_before = False
    frames = []
    for state, note in zip(states, notes, strict=True):
        drawing = view.show(state, MapOptions(notes=note, named_places=named, fell_before=fell_before, dpi=dpi))
        view.figure.canvas.draw()
        image = np.asarray(view.figure.canvas.buffer_rgba())[..., :3].copy()
        frames.append(Frame(image, state.day, drawing.title, note, bool(view.captions(state))))
        fell_before = fell_before or holds_town(state, scenario, scenario.attacker)
    return frames


def write_gif(frames: list[Frame], path: Path) -> None:
    """A looping GIF; one palette for every frame (chosen from a sample of frames), so colours do not flicker."""
    sample = np.concatenate([f.image for f in frames[:: max(1, len(frames) // PALETTE_SAMPLE)]], axis=0)
    palette = Image.fromarray(sample).quantize(colors=256)
    images = [Image.fromarray(f.image).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    tmp = path.with_name(f".{path.name}.tmp")
    images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                   duration=[f.duration_ms for f in frames], loop=0)
    tmp.replace(path)


def write_mp4(frames: list[Frame], path: Path, ffmpeg: str) -> None:
    """An H.264 MP4 through ffmpeg (raw frames on its standard input, each repeated for its duration)."""
    height, width, _ = frames[0].image.shape
    tmp = path.with_name(f".{path.stem}.tmp.mp4")
    command = [ffmpeg, "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
               "-r", str(MP4_FPS), "-i", "-", "-pix_fmt", "yuv420p", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2",
               str(tmp)]
    stream = b"".join(f.image.tobytes() * round(f.duration_ms * MP4_FPS / 1000) for f in frames)
    subprocess.run(command, input=stream, check=True)
    tmp.replace(path)


def jpeg_bytes(frame: Frame, quality: int = 70) -> bytes:
    """A frame as JPEG (the report's day slider carries every frame inline)."""
    buffer = io.BytesIO()
    Image.fromarray(frame.image).save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def write_animation(scenario: Scenario, seed: int, out: str | Path, dpi: int = DPI) -> tuple[list[Path], list[Frame]]:
    """Write ``out`` (a .gif) and, if ffmpeg is installed, the same as .mp4; return the files and the frames."""
    out = Path(out).with_suffix(".gif")
    out.parent.mkdir(parents=True, exist_ok=True)
    frames = render_frames(scenario, seed, dpi)
    write_gif(frames, out)
    written = [out]
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg:
        write_mp4(frames, out.with_suffix(".mp4"), ffmpeg)
        written.append(out.with_suffix(".mp4"))
    return written, frames
