"""Replay speed and memory: ``novaevo replay --json`` on a generated transcript, against
the replay before it streamed (the same command at git commit ``--previous``), same file,
same run. Prints wall time, CPU time (user + system) and peak RSS of each, and the ratios.

Plain script: ``python benchmarks/replay_speed.py [--mb 60] [--previous af976c7]
[--table-mb 2]``. Each replay runs in its own process with its output sent to
/dev/null; its CPU time and peak RSS come from ``os.wait4``. ``--table-mb`` also times the
table view (no ``--json``) on a smaller file (0: skip).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.replay_corpus import write_transcript  # noqa: E402

RUN = "import sys; sys.argv[0] = 'novaevo'; from obdcore.cli.replay import app; app()"


def previous_tree(commit: str, into: Path) -> Path:
    """``obdcore/`` as it was at ``commit``, with today's compiled accelerator (the
    decoder's source did not change) so that both replays decode with the same code."""
    archive = into / "previous.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", commit, "obdcore"], cwd=ROOT, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    for built in (ROOT / "obdcore" / "protocol").glob("_ccore*.so"):
        shutil.copy(built, into / "obdcore" / "protocol")
    return into


def measure(tree: Path, arguments: list[str]) -> dict:
    """Runs one replay; its wall time, CPU time and peak RSS."""
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{ROOT}"}
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        child = subprocess.Popen(
            [sys.executable, "-c", RUN, *arguments], stdout=sink, stderr=sink, env=env, cwd=tree
        )
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"replay failed ({status}) in {tree}: {arguments}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


def compare(label: str, previous: Path, arguments: list[str]) -> None:
    new = measure(ROOT, arguments)
    old = measure(previous, arguments)
    print(f"\n{label}")
    print(f"{'':10} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12}")
    for name, m in (("previous", old), ("streaming", new)):
        print(f"{name:10} {m['wall']:8.2f} {m['cpu']:8.2f} {m['rss']:12.0f}")
    print(
        f"ratio      {old['wall'] / new['wall']:7.1f}x {old['cpu'] / new['cpu']:7.1f}x "
        f"{old['rss'] / new['rss']:11.1f}x  (previous / streaming)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=60.0, help="transcript size for --json")
    parser.add_argument("--table-mb", type=float, default=2.0, help="size for the table view")
    parser.add_argument("--previous", default="af976c7", help="the commit to compare with")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        previous = previous_tree(options.previous, work)
        print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores)")
        path = work / "drive.txt"
        size = write_transcript(path, int(options.mb * 1e6))
        compare(
            f"replay --json, {size / 1e6:.0f} MB transcript",
            previous,
            ["replay", "--json", str(path)],
        )
        if options.table_mb:
            small = work / "drive_small.txt"
            size = write_transcript(small, int(options.table_mb * 1e6))
            compare(f"replay (table view), {size / 1e6:.0f} MB", previous, ["replay", str(small)])
        print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
