"""The ``main(argv)`` of a module that is also a ``llava-ros`` subcommand (``python -m MODULE ...``)."""
from __future__ import annotations

import argparse
import sys
from typing import Callable


def standalone_main(prog: str, description: str, add_arguments: Callable[[argparse.ArgumentParser], None],
                    run: Callable[[argparse.Namespace], int], argv: list[str] | None = None) -> int:
    """Parse ``argv`` with the module's own arguments and run it; bad input exits 2 with its message."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
