"""Writing outputs: atomically to a file, or to standard output."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from compliance.errors import InputError


def write_atomic(path: str | os.PathLike[str], content: str | bytes) -> None:
    """Write ``content`` to ``path`` so that readers see the old file or the whole new one, never a
    half-written report: write a temporary file beside it, flush it to disk, then rename."""
    target = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InputError.at(str(target), None, None, f"cannot write the output: folder {directory} does not exist")
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise


def emit(content: str, output: str | None) -> None:
    """Send a rendered report to ``--output`` (atomically) or to standard output."""
    if output and output != "-":
        write_atomic(output, content)
    else:
        sys.stdout.write(content)
        if content and not content.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
