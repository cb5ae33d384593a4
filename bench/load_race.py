"""Loading a model while other processes keep saving over it: how many rounds fail.

Each round forks three processes that save a model (seeds 1, 2 and 3) to one path and load
it back, six times each, as ``tests/test_atomic_save.py``'s race does once. A round fails
when any load raises. Run it beside other work (a loaded machine widens the windows a read
can fall into)::

    .venv/bin/python bench/load_race.py --rounds 90
    PYTHONPATH=/tmp/snap .venv/bin/python bench/load_race.py --rounds 90   # an older tree
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_atomic_save import model_parts

from forecastr import artifact


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args(argv)
    parts = [model_parts(seed) for seed in (0, 1, 2, 3)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m"
        artifact.save(path, *parts[0])
        failed = 0
        for _ in range(args.rounds):
            pids = []
            for k in (1, 2, 3):
                pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        for _ in range(6):
                            artifact.save(path, *parts[k])
                            artifact.load(path)
                        code = 0
                    except Exception:
                        traceback.print_exc(limit=1)
                    finally:
                        os._exit(code)
                pids.append(pid)
            codes = [os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in pids]
            failed += any(codes)
    print(f"{failed} of {args.rounds} rounds failed ({artifact.__file__})")


if __name__ == "__main__":
    main()
