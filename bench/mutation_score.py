"""The mutation score per module of the last `mutmut run` (issue 11), and the surviving mutants.

Run from the project's root after `mutmut run --max-children 2` ([tool.mutmut] in pyproject.toml says
what is mutated and which tests run); it reads mutmut's results in mutants/ (or the folder given) and
prints one line per mutated module. Score = killed / (killed + survived + not covered by any test);
timeouts are counted apart. `mutmut show NAME` shows one surviving mutant.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

# mutmut's exit codes of a mutant's test run.
OUTCOMES = {1: "killed", 0: "survived", 33: "no tests", -24: "timeout"}


def main(root: Path) -> int:
    """Print the score of each module mutmut mutated; exit non-zero when there are no results."""
    metas = sorted(root.rglob("*.py.meta"))
    if not metas:
        print(f"No mutmut results under {root}/: run `mutmut run --max-children 2` first.", file=sys.stderr)
        return 1
    survivors: list[str] = []
    for meta in metas:
        codes: dict[str, int | None] = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        counts = Counter(
            OUTCOMES.get(code, "other") if code is not None else "not run" for code in codes.values()
        )
        survivors += sorted(name for name, code in codes.items() if code in (0, 33))
        scored = counts["killed"] + counts["survived"] + counts["no tests"]
        score = 100 * counts["killed"] / scored if scored else 0.0
        module = meta.relative_to(root).as_posix().removesuffix(".meta")
        details = "  ".join(f"{outcome} {counts[outcome]}" for outcome in sorted(counts))
        print(f"{module:22} score {score:5.1f} %  ({details})")
    print("\nSurvivors:", *survivors, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("mutants")))
