"""Writing outputs: atomically to a file, or to standard output."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from compliance.errors import InputError


def write_atomic(path: str | os.PathLike[str], content: str | bytes) -> None:
    """Write ``content`` to ``path`` so that readers see the old file or the whole new one, never a
    half-written report: write a temporary file beside it, flush it to disk, then rename.

    Every failure (a folder named as the output, no permission, a full disk, a NUL in the name) is
    an :class:`InputError` naming the path, and the temporary file is removed."""
    target = Path(path)
    shown = str(target).replace("\x00", "\\x00")
    if "\x00" in str(target):  # os functions raise ValueError, not OSError, on an embedded NUL
        raise InputError.at(shown, None, None, "cannot write the output: the name contains a NUL character")
    data = content.encode("utf-8") if isinstance(content, str) else content
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InputError.at(shown, None, None, f"cannot write the output: folder {directory} does not exist")
    if target.is_dir():
        raise InputError.at(shown, None, None, "cannot write the output: it is a folder; name a file")
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise InputError.at(shown, None, None, f"cannot write the output: {_reason(error)}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException as error:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        if isinstance(error, OSError):
            raise InputError.at(shown, None, None, f"cannot write the output: {_reason(error)}") from None
        raise


def _reason(error: OSError) -> str:
    if isinstance(error, IsADirectoryError):
        return "it is a folder; name a file"
    return (error.strerror or type(error).__name__).lower()


def emit(content: str, output: str | None) -> None:
    """Send a rendered report to ``--output`` (atomically) or to standard output."""
    if output and output != "-":
        write_atomic(output, content)
    else:
        sys.stdout.write(content)
        if content and not content.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
