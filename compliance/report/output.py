"""Writing outputs so that no data is ever destroyed: atomically to a file, directly to a device or
a pipe, or to standard output.

* An output that is an input of the run (the same file, also through a symbolic or hard link:
  compared by device and inode) is refused: the report would replace the contract it judges.
* A regular file is replaced atomically: a temporary file beside it is written, flushed and renamed
  over it, so readers see the old file or the whole new one. Through a symbolic link the file the
  link points to is replaced and the link is kept.
* A character device (``/dev/null``, a terminal) or a named pipe is written to directly, never
  replaced; a pipe without a reader is an error rather than a wait. ``/dev/stdout`` and other
  names of standard output write to standard output. Sockets and block devices are refused.
* A new file gets the mode the umask gives (as ``open`` would); a replaced file keeps its mode
  (and its owner, where the process may set it).
* The temporary file never survives: it is removed on any error, on Ctrl-C and on SIGTERM (the
  command line turns SIGTERM into an exception, so the same clean-up runs).
"""
from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile

from compliance.documents.files import is_input, kind_of, name_problem, os_reason, shown_path
from compliance.errors import InputError

# The temporary file's name holds at most this much of the output's name, so that an output
# whose name is near the system's limit (255 bytes) still has room for the temporary one.
_TEMP_NAME_CHARS = 40


def _error(path: str, message: str) -> InputError:
    return InputError.at(shown_path(path), None, None, f"cannot write the output: {message}")


def write_atomic(path: str | os.PathLike[str], content: str | bytes, *,
                 rewrite_input: bool = False) -> None:
    """Write ``content`` to ``path`` by the rules of the module docstring. Every failure is an
    :class:`InputError` naming the path, and no temporary file is left behind.
    ``rewrite_input``: the output replaces an input on purpose (``rules fmt`` in place)."""
    name = os.fspath(path)
    problem = name_problem(name)
    if problem:
        raise _error(name, problem.removeprefix("the "))
    data = content.encode("utf-8", errors="backslashreplace") if isinstance(content, str) else content
    try:
        info: os.stat_result | None = os.stat(name)   # follows links: the file written
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise _error(name, os_reason(error)) from None
    if info is not None:
        if is_input(info) and not rewrite_input:
            raise _error(name, "it is an input of this run (the same file); name another output")
        if stat.S_ISDIR(info.st_mode):
            raise _error(name, "it is a folder; name a file")
        if _is_stdout(info):
            _write_stdout(data)
            return
        if stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode):
            _write_stream(name, data)
            return
        if not stat.S_ISREG(info.st_mode):
            raise _error(name, f"it is {kind_of(info.st_mode)}")
    target = os.path.realpath(name) if os.path.islink(name) else name
    _replace(name, target, data, info)


def _is_stdout(info: os.stat_result) -> bool:
    try:
        out = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    # Only a pipe or a terminal: a regular file behind standard output is replaced like any file.
    return (out.st_dev, out.st_ino) == (info.st_dev, info.st_ino) and not stat.S_ISREG(out.st_mode)


def _write_stdout(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


def _write_stream(name: str, data: bytes) -> None:
    """A device or a FIFO: written as it is. O_NONBLOCK makes a FIFO without a reader an error
    (ENXIO) instead of a wait; writing itself then blocks as usual."""
    try:
        fd = os.open(name, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        if error.errno == errno.ENXIO:
            raise _error(name, "it is a named pipe that nobody reads") from None
        raise _error(name, os_reason(error)) from None
    try:
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except OSError as error:
        raise _error(name, os_reason(error)) from None
    finally:
        os.close(fd)


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _replace(name: str, target: str, data: bytes, old: os.stat_result | None) -> None:
    directory = os.path.dirname(target) or "."
    if not os.path.isdir(directory):
        raise _error(name, f"folder {shown_path(directory)} does not exist")
    base = os.path.basename(target)
    temp_name: str | None = None
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{base[:_TEMP_NAME_CHARS]}.", suffix=".tmp",
                                         dir=directory)
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), _umask_mode() if old is None else stat.S_IMODE(old.st_mode))
            if old is not None and (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
                try:  # a replaced file keeps its owner too, where this process may give it
                    os.fchown(handle.fileno(), old.st_uid, old.st_gid)
                except (OSError, AttributeError):
                    pass
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
        temp_name = None
    except OSError as error:
        raise _error(name, os_reason(error)) from None
    finally:
        # Runs on any error, on KeyboardInterrupt and on the exception SIGTERM raises.
        if temp_name is not None:
            try:
                os.unlink(temp_name)
            except OSError:
                pass


def emit(content: str, output: str | None) -> None:
    """Send a rendered report to ``--output`` or to standard output."""
    if output and output != "-":
        write_atomic(output, content)
    else:
        sys.stdout.write(content)
        if content and not content.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
