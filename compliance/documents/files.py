"""Opening input files: only regular files (or standard input as ``-`` where allowed), decided
before a byte is read, and every read bounded in bytes and time.

Every reader of the package goes through :func:`read_input` (the whole file into memory) or
:func:`check_input` (a file that a library then reads by name, such as Parquet). A FIFO, a socket,
a device such as ``/dev/zero`` or a folder is an exit-2 error naming the path and what it is: the
file is opened with ``O_NONBLOCK`` (so opening a FIFO without a writer does not wait) and its kind
is taken from ``fstat`` of that descriptor, so nothing can be swapped in between the check and the
read. Names that no system call can take (a NUL, a lone surrogate, longer than the system allows)
are errors too, with the name shown escaped.
"""
from __future__ import annotations

import errno
import os
import select
import stat
import sys
import time
from compliance.records import record

from compliance.errors import InputError

# How long standard input may take to deliver its bytes: a pipe whose writer never writes or
# never closes must not hold the run forever.
STDIN_MAX_SECONDS = 60
# A path longer than this is refused before any system call (Linux's PATH_MAX is 4096).
MAX_PATH_CHARS = 4096
# A name shown in a message is cut to this many characters.
SHOWN_PATH_CHARS = 200
STDIN = "-"

# The (device, inode) of every input opened in this process, so that an output naming one of
# them (also through a link) is refused instead of destroying it.
_OPENED: set[tuple[int, int]] = set()


@record
class InputFile:
    """What was read: the bytes, and the identity of the file (for refusing it as an output)."""

    data: bytes
    device: int
    inode: int


def shown_path(path: str) -> str:
    """``path`` fit for a message: control characters, NULs and lone surrogates escaped, cut to
    :data:`SHOWN_PATH_CHARS` characters."""
    escaped = "".join(_escape_char(char) for char in path[:SHOWN_PATH_CHARS * 2])
    if len(escaped) > SHOWN_PATH_CHARS or len(path) > SHOWN_PATH_CHARS * 2:
        return escaped[:SHOWN_PATH_CHARS] + f"... ({len(path)} characters)"
    return escaped


def _escape_char(char: str) -> str:
    code = ord(char)
    if code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or 0xD800 <= code < 0xE000:
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


def name_problem(path: str) -> str | None:
    """Why no system call can take ``path``, or None when it is a possible name."""
    if not path:
        return "the file name is empty"
    if "\x00" in path:
        return "the file name contains a NUL character"
    if len(path) > MAX_PATH_CHARS:
        return f"the file name is longer than {MAX_PATH_CHARS} characters"
    try:
        os.fsencode(path)
    except UnicodeEncodeError:
        return "the file name is not valid Unicode (it holds a lone surrogate)"
    return None


def kind_of(mode: int) -> str:
    """A person's name for a kind of file."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def os_reason(error: OSError) -> str:
    """An OSError as a short lower-case reason (no errno number, no repeated path)."""
    reasons = {errno.ENOENT: "no such file", errno.ENAMETOOLONG: "the file name is too long",
               errno.ELOOP: "too many levels of symbolic links", errno.EACCES: "permission denied",
               errno.ENOTDIR: "a part of the path is not a folder", errno.EISDIR: "it is a folder"}
    return reasons.get(error.errno or 0) or (error.strerror or type(error).__name__).lower()


def _open_regular(path: str, what: str, remember: bool = True) -> tuple[int, os.stat_result]:
    """A read-only descriptor of ``path`` and its fstat, after checking it is a regular file."""
    problem = name_problem(path)
    if problem:
        raise InputError.at(shown_path(path), None, None, problem)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError:
        raise InputError.at(shown_path(path), None, None,
                            f"is a folder, expected {what}") from None
    except FileNotFoundError:
        raise InputError.at(shown_path(path), None, None, "no such file") from None
    except OSError as error:
        raise InputError.at(shown_path(path), None, None,
                            f"cannot read {what}: {os_reason(error)}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise InputError.at(shown_path(path), None, None,
                            f"is {kind_of(info.st_mode)}, expected {what} (only regular files are read)")
    if remember:
        _OPENED.add((info.st_dev, info.st_ino))
    return fd, info


def check_input(path: str, *, what: str = "a file", limit: int | None = None) -> os.stat_result:
    """Check that ``path`` is a regular file (at most ``limit`` bytes) for a library to read by
    name; its stat is returned. The open uses ``O_NONBLOCK``, so a FIFO does not wait."""
    fd, info = _open_regular(path, what)
    os.close(fd)
    if limit is not None and info.st_size > limit:
        raise InputError.at(shown_path(path), None, None, _too_large(what, info.st_size, limit))
    return info


def read_input(path: str, limit: int, *, what: str = "a file", allow_stdin: bool = False) -> InputFile:
    """The bytes of the regular file ``path`` (or of standard input for ``-`` when
    ``allow_stdin``), refusing more than ``limit`` bytes without reading them all."""
    if path == STDIN and allow_stdin:
        return InputFile(_read_stdin(limit, what), -1, -1)
    fd, info = _open_regular(path, what)
    try:
        if info.st_size > limit:
            raise InputError.at(shown_path(path), 1, 1, _too_large(what, info.st_size, limit))
        chunks: list[bytes] = []
        remaining = limit + 1  # one byte more shows a file that grew beyond the limit meanwhile
        while remaining > 0:
            try:
                chunk = os.read(fd, min(remaining, 1 << 20))
            except OSError as error:
                raise InputError.at(shown_path(path), None, None,
                                    f"cannot read {what}: {os_reason(error)}") from None
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise InputError.at(shown_path(path), 1, 1, _too_large(what, len(data), limit))
    return InputFile(data, info.st_dev, info.st_ino)


def _too_large(what: str, size: int, limit: int) -> str:
    return f"{what} of {size:,} bytes is larger than the limit of {limit} bytes ({_human(limit)})"


def _human(size: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size / (1 << shift):g} {unit}"
    return f"{size} bytes"


def _read_stdin(limit: int, what: str) -> bytes:
    """Standard input, at most ``limit`` bytes within :data:`STDIN_MAX_SECONDS` seconds."""
    stream = sys.stdin.buffer if sys.stdin is not None else None
    if stream is None:
        raise InputError.at(STDIN, None, None, "there is no standard input to read")
    fd = stream.fileno()
    deadline = time.monotonic() + STDIN_MAX_SECONDS
    chunks: list[bytes] = []
    total = 0
    while True:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(left, 0))
        if not ready:
            raise InputError.at(STDIN, None, None, f"standard input gave no end of {what} within "
                                                   f"{STDIN_MAX_SECONDS} seconds")
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise InputError.at(STDIN, 1, 1, f"{what} on standard input is larger than the limit "
                                             f"of {limit:,} bytes ({_human(limit)})")


def regular_file_or_none(path: str) -> os.stat_result | None:
    """The stat of ``path`` when it is a regular file (following links), else None; never raises
    and never blocks (used where other kinds of file are skipped, as in a folder search)."""
    if name_problem(path):
        return None
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info if stat.S_ISREG(info.st_mode) else None


def read_head(path: str, size: int) -> bytes | None:
    """The first ``size`` bytes of ``path`` when it is a regular file, else None (never blocks)."""
    try:
        fd, _info = _open_regular(path, "a file", remember=False)
    except InputError:
        return None
    try:
        return os.read(fd, size)
    except OSError:
        return None
    finally:
        os.close(fd)


def is_input(info: os.stat_result) -> bool:
    """Whether the file of ``info`` was opened as an input of this run."""
    return (info.st_dev, info.st_ino) in _OPENED


def forget_inputs() -> None:
    """Start a new run: no file counts as its input yet (the command line calls this, so that a
    program running several commands in one process does not carry inputs from one to the next)."""
    _OPENED.clear()


def remember_input(info: os.stat_result) -> None:
    """Count a file read by other means (a library given its name) as an input of the run."""
    _OPENED.add((info.st_dev, info.st_ino))
