"""Mutation score per module, from what `mutmut run` left in mutants/ (make mutation; docs/testing.md).

A mutant is killed when a test fails on it (or it runs past its time limit); it survives when every test
still passes. Mutants listed in scripts/equivalent_mutants.txt change nothing a user could observe (each
line says why) and are left out of the score. Prints a Markdown table, then every surviving mutant.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED = {1, 3, 24, -24, 36, 152, 255}  # test failure, pytest internal error, time limit
SURVIVED = {0}
NO_TESTS = {5, 33}


def equivalent_mutants():
    path = ROOT / "scripts" / "equivalent_mutants.txt"
    names = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        name, _, why = line.partition("#")
        if name.strip():
            names[name.strip()] = why.strip()
    return names


def main():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    equivalent = equivalent_mutants()
    rows, survivors, below = [], [], []
    for module in config["only_mutate"]:
        meta = ROOT / "mutants" / f"{module}.meta"
        if not meta.exists():
            rows.append(f"| `{module}` | not run | | | | |")
            continue
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        killed = sorted(name for name, code in codes.items() if code in KILLED)
        alive = sorted(name for name, code in codes.items() if code in SURVIVED | NO_TESTS)
        unchecked = [name for name, code in codes.items() if code is None]
        same = [name for name in alive if name in equivalent]
        alive = [name for name in alive if name not in equivalent]
        scored = len(killed) + len(alive)
        score = 100 * len(killed) / scored if scored else 0.0
        if score < 85:
            below.append(module)
        rows.append(
            f"| `{module}` | {len(codes)} | {len(killed)} | {len(alive)} | {len(same)} | **{score:.1f}%** |"
            + (f" ({len(unchecked)} not run)" if unchecked else "")
        )
        survivors += [f"- `{name}`" + (" (no test reaches it)" if codes[name] in NO_TESTS else "") for name in alive]
    print("| module | mutants | killed | survived | equivalent | score |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\nSurviving mutants (`.venv/bin/mutmut show NAME` shows each):\n")
    print("\n".join(survivors) or "none")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
