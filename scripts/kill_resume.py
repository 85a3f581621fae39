"""The kill-and-resume property at full size: a generated mirror of 3,000 articles, 10 random kill schedules.

Each schedule SIGKILLs crawls at random points (after a random number of stored articles, plus a random
delay), then runs one crawl to the end; the database must then equal one uninterrupted crawl's on every
table (see ``tests/reliability/resume.py``). ``make test`` runs the same property on a small mirror with two
schedules; this script is the full version, for ``docs/reliability.md``.

Usage::

    .venv/bin/python scripts/kill_resume.py                      # 3,000 articles, 10 schedules, 3 kills each
    .venv/bin/python scripts/kill_resume.py --articles 1200 --schedules 3
    .venv/bin/python scripts/kill_resume.py --workdir /tmp/kr    # resumable: run again to finish what is left
    .venv/bin/python scripts/kill_resume.py --first-seed 107 --schedules 3   # seeds 107, 108, 109 only
    .venv/bin/python scripts/kill_resume.py --schedules 0 --capped-runs 6   # six cron runs of --max-pages 600

Prints one line per schedule and a summary, and writes them to ``docs/kill-resume-result.md`` after each
schedule (shown in ``docs/reliability.md`` by the next full run of the reliability suite); exits 1 if any
schedule ended with a different database. With ``--workdir``, the mirror, the reference crawl and each
finished schedule's line are kept there, so a second start with the same options (after the machine was
needed, or the script was stopped) runs only the schedules not yet finished.
Run from a copy of the code that is no git checkout (so that edits of the checkout do not reach a long
run), ``KILL_RESUME_COMMIT=<hash>`` names the commit in the result.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arabpress_mirror.server import MirrorServer  # noqa: E402
from tests.reliability import harness  # noqa: E402
from tests.reliability.resume import (  # noqa: E402
    Schedule,
    differences,
    generate_mirror,
    resume_after_kills,
    snapshot,
)

logger = logging.getLogger(__name__)

#: A database as :func:`snapshot` reads it: table → sorted rows.
Snapshot = dict[str, list[tuple[Any, ...]]]

FIRST_SEED = 100
#: A 3,000-article crawl on a busy 2-core machine takes minutes, not the suite's 2-minute bound.
CRAWL_TIMEOUT_SECONDS = 1800
RESULT = ROOT / "docs" / "kill-resume-result.md"
#: Each difference is cut to this in the result (in full in ``s<seed>/differences.txt`` of the work folder).
PROBLEM_CHARS = 300
#: In ``--workdir``: the reference line and each finished schedule's line, by seed (JSON).
PROGRESS = "progress.json"
#: ``git rev-parse`` where the script runs from a copy of the code that is no git checkout.
COMMIT_ENV = "KILL_RESUME_COMMIT"


def commit_of_checkout() -> str:
    """The commit the crawls run on (``git rev-parse --short HEAD``, plus ``+changes`` if the tree is dirty)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "arabpress_crawler"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get(COMMIT_ENV, "unknown")
    return head + ("+changes" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3_000)
    parser.add_argument("--schedules", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=FIRST_SEED, help="seed of the first schedule")
    parser.add_argument("--kills", type=int, default=3, help="kills per schedule before the run to the end")
    parser.add_argument("--workdir", type=Path, help="keep work here; skip what is done")
    parser.add_argument(
        "--capped-runs", type=int, default=0, help="then this many runs of --max-pages into one db"
    )
    parser.add_argument("--max-pages", type=int, default=600, help="the page cap of the capped runs")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if options.workdir is None:
        with tempfile.TemporaryDirectory(prefix="kill-resume-") as tmp:
            return run(options, Path(tmp))
    options.workdir.mkdir(parents=True, exist_ok=True)
    return run(options, options.workdir)


def run(options: argparse.Namespace, work: Path) -> int:
    """The reference crawl and the schedules in ``work``; progress kept in ``work/progress.json``."""
    seeds = range(options.first_seed, options.first_seed + options.schedules)
    command = (f"scripts/kill_resume.py --articles {options.articles} --schedules {options.schedules}"
               + (f" --first-seed {options.first_seed}" if options.first_seed != FIRST_SEED else ""))  # fmt: skip
    progress_file = work / PROGRESS
    progress: dict[str, str] = json.loads(progress_file.read_text()) if progress_file.exists() else {}
    verdicts: dict[int, bool] = {}

    def save() -> None:
        progress_file.write_text(json.dumps(progress, indent=1), encoding="utf-8")
        lines = [progress["reference"], *(progress[str(seed)] for seed in seeds if str(seed) in progress)]
        if "capped" in progress:
            lines += ["", progress["capped"]]
        done = [seed for seed in seeds if str(seed) in progress]
        equal = sum("DIFFERENT" not in progress[str(seed)] for seed in done)
        if seeds:
            summary = (f"- **{equal} of {len(done)} schedules** (of {len(seeds)} asked) end with the database of"
                       f" the uninterrupted crawl on every compared table (`{command}`, on commit"
                       f" {commit_of_checkout()}, {float(progress.get('seconds', '0')):,.0f} s for the schedules)")  # fmt: skip
            lines.insert(len(done) + 1, summary)
        RESULT.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print("\n".join(lines[len(done) + 1 :]), flush=True)

    root = work / "site"
    if not (root / ".generated").exists():
        generate_mirror(root, options.articles)
        (root / ".generated").write_text(str(options.articles), encoding="utf-8")
    # The server's origin is in the pages it serves and their ETags: a later start serves on the same port,
    # or crawls the reference again if that port is taken.
    try:
        server = MirrorServer(root, port=int(progress.get("port", 0))).start()
    except OSError:
        progress.pop("reference", None)
        server = MirrorServer(root).start()
    try:
        progress["port"] = str(server.port)
        reference_db = work / "full" / "full.db"
        if "reference" not in progress:
            reference_db.unlink(missing_ok=True)
            full = harness.crawl(server.base_url, work / "full", name="full", timeout=CRAWL_TIMEOUT_SECONDS)
            harness.assert_finished(full)
            progress["reference"] = (f"- reference: one uninterrupted crawl of a generated mirror of"
                                     f" {options.articles:,} articles stored {len(full.articles()):,} articles")  # fmt: skip
            print(progress["reference"], flush=True)
            progress_file.write_text(json.dumps(progress, indent=1), encoding="utf-8")
        reference = snapshot(reference_db, server.base_url)
        for seed in seeds:
            if str(seed) in progress:
                verdicts[seed] = "DIFFERENT" not in progress[str(seed)]
                continue
            schedule = Schedule.random(seed, options.articles, options.kills)
            db = work / f"s{seed}" / "resumed.db"
            for stale in db.parent.glob("resumed*"):
                stale.unlink()
            begun = time.monotonic()
            landed, final = resume_after_kills(server.base_url, db, schedule, timeout=CRAWL_TIMEOUT_SECONDS)
            problems = differences(reference, snapshot(final.db_path, server.base_url))
            problems += final.consistency_problems()
            if final.returncode != 0:
                problems.append(f"the final run exited {final.returncode}")
            verdicts[seed] = not problems
            (db.parent / "differences.txt").write_text("\n".join(problems) + "\n", encoding="utf-8")
            verdict = (
                "equal" if not problems else "DIFFERENT: " + "; ".join(p[:PROBLEM_CHARS] for p in problems)
            )
            progress[str(seed)] = (f"- schedule seed {schedule.seed}: SIGKILL after {list(schedule.kill_after)}"
                                   f" stored articles ({landed} landed), then a run to the end: {verdict}")  # fmt: skip
            progress["seconds"] = str(float(progress.get("seconds", "0")) + time.monotonic() - begun)
            print(progress[str(seed)], flush=True)
            save()
        if options.capped_runs and "capped" not in progress:
            progress["capped"] = capped_runs(server.base_url, work / "capped", reference, options)
            verdicts[0] = "DIFFERENT" not in progress["capped"]
            save()
    finally:
        server.stop()
    save()
    return 0 if all(verdicts.values()) else 1


def capped_runs(base_url: str, work: Path, reference: Snapshot, options: argparse.Namespace) -> str:
    """``--capped-runs`` cron runs of ``arabpress crawl --max-pages N`` into one database, compared with the
    reference crawl: one paragraph for the result."""
    db = work / "capped.db"
    for stale in work.glob("capped*"):
        stale.unlink()
    stored, left, exits = [], [], []
    for _ in range(options.capped_runs):
        run = harness.crawl(base_url, work, db=db, name="capped", timeout=CRAWL_TIMEOUT_SECONDS,
                            extra_args=("--max-pages", str(options.max_pages)))  # fmt: skip
        exits.append(run.returncode)
        stored.append(len(run.articles()))
        left.append(run.rows("SELECT count(*) FROM frontier WHERE given_up_at IS NULL")[0][0])
    problems = differences(reference, snapshot(db, base_url)) + run.consistency_problems()
    verdict = (
        "equal on every compared table"
        if not problems
        else "DIFFERENT: " + "; ".join(p[:PROBLEM_CHARS] for p in problems)
    )
    return (f"{options.capped_runs} cron runs of `arabpress crawl --max-pages {options.max_pages}` on the same"
            f" generated {options.articles:,}-article mirror stored {', '.join(f'{n:,}' for n in stored)} articles"
            f" (links left in the frontier after each: {', '.join(f'{n:,}' for n in left)}), exit codes"
            f" {sorted(set(exits))}; the database after the last, compared with the one full crawl's: {verdict}.")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
