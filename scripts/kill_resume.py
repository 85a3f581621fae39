"""The kill-and-resume property at full size: a generated mirror of 3,000 articles, 10 random kill schedules.

Each schedule SIGKILLs crawls at random points (after a random number of stored articles, plus a random
delay), then runs one crawl to the end; the database must then equal one uninterrupted crawl's on every
table (see ``tests/reliability/resume.py``). ``make test`` runs the same property on a small mirror with two
schedules; this script is the full version, for ``docs/reliability.md``.

Usage::

    .venv/bin/python scripts/kill_resume.py                      # 3,000 articles, 10 schedules, 3 kills each
    .venv/bin/python scripts/kill_resume.py --articles 1200 --schedules 3

Prints one line per schedule and a summary, and writes them to ``docs/kill-resume-result.md`` (shown in
``docs/reliability.md`` by the next full run of the reliability suite); exits 1 if any schedule ended with a
different database.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

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

FIRST_SEED = 100
#: A 3,000-article crawl on a busy 2-core machine takes minutes, not the suite's 2-minute bound.
CRAWL_TIMEOUT_SECONDS = 1800
RESULT = ROOT / "docs" / "kill-resume-result.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3_000)
    parser.add_argument("--schedules", type=int, default=10)
    parser.add_argument("--kills", type=int, default=3, help="kills per schedule before the run to the end")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.monotonic()
    report: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        report.append(line)

    with tempfile.TemporaryDirectory(prefix="kill-resume-") as tmp:
        work = Path(tmp)
        root = generate_mirror(work / "site", options.articles)
        with MirrorServer(root) as server:
            full = harness.crawl(server.base_url, work / "full", name="full", timeout=CRAWL_TIMEOUT_SECONDS)
            harness.assert_finished(full)
            reference = snapshot(full.db_path, server.base_url)
            say(f"- reference: one uninterrupted crawl of a generated mirror of {options.articles:,} articles"
                f" stored {len(full.articles()):,} articles")
            failures = 0
            for number in range(options.schedules):
                schedule = Schedule.random(FIRST_SEED + number, options.articles, options.kills)
                landed, final = resume_after_kills(server.base_url, work / f"s{number}" / "resumed.db", schedule,
                                                   timeout=CRAWL_TIMEOUT_SECONDS)
                problems = differences(reference, snapshot(final.db_path, server.base_url))
                problems += final.consistency_problems()
                if final.returncode != 0:
                    problems.append(f"the final run exited {final.returncode}")
                failures += bool(problems)
                verdict = "equal" if not problems else "DIFFERENT: " + "; ".join(problems)
                say(f"- schedule seed {schedule.seed}: SIGKILL after {list(schedule.kill_after)} stored articles"
                    f" ({landed} landed), then a run to the end: {verdict}")  # fmt: skip
    say(f"- **{options.schedules - failures} of {options.schedules} schedules** end with the database of the"
        f" uninterrupted crawl on every compared table ({time.monotonic() - started:.0f} s,"
        f" `scripts/kill_resume.py --articles {options.articles} --schedules {options.schedules}`)")
    RESULT.write_text("\n".join(report) + "\n", encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
