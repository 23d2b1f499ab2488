"""Keeping checked rulesets between runs: the built-in rulesets precompiled into the package, and
the user's rulesets in a cache folder, stored as JSON data that cannot run code when read.

A checked ruleset is what parsing and checking a ruleset file and its ``extends`` chain produce;
doing that again on every run costs more than the rest of a ``check``. A stored ruleset is used
only when every source in its chain still has the sha256 it was built from, and only by the tool
version and store format that wrote it; anything else (a changed file or parent, another version,
a truncated or foreign file, a folder someone else can write to) is ignored and the ruleset is
rebuilt. Reading one builds only the records of ``ast``, ``model``, ``types`` and ``units``
named in an allow-list, field by field, so a planted file can at worst be ignored.

    python -m compliance.dsl.store           rewrite the precompiled built-ins (after a ruleset edit)
    python -m compliance.dsl.store --check   exit 1 when one is stale

The cache folder is ``$COMPLIANCE_CACHE_DIR``, else the platform's user cache folder
(``$XDG_CACHE_HOME/compliance`` or ``~/.cache/compliance`` on Linux, ``~/Library/Caches/compliance``
on macOS, ``%LOCALAPPDATA%\\compliance\\Cache`` on Windows); ``--no-cache`` or
``COMPLIANCE_NO_CACHE=1`` neither reads nor writes it. Deleting the folder is always safe.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from compliance import __version__, records
from compliance.dsl import ast, model, types, units
from compliance.records import record

FORMAT = 1
MAX_STORED_BYTES = 32 * 1024 * 1024
PRECOMPILED = Path(__file__).resolve().parent / "precompiled"
NO_CACHE_VARIABLE = "COMPLIANCE_NO_CACHE"
CACHE_DIR_VARIABLE = "COMPLIANCE_CACHE_DIR"


@record
class Source:
    """One file of a chain as read on this run."""

    path: Path          # resolved
    display: str        # as findings show it
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class Damaged(Exception):
    """A stored ruleset that is not what this version writes; it is ignored and rebuilt."""


# ---- where -------------------------------------------------------------------------------------

def caching_enabled() -> bool:
    return os.environ.get(NO_CACHE_VARIABLE, "") in ("", "0")


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_DIR_VARIABLE)
    if explicit:
        return Path(explicit) / "rulesets"
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "compliance" / "Cache"
    elif sys.platform == "darwin":
        base = home / "Library" / "Caches" / "compliance"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "compliance"
    return base / "rulesets"


def precompiled_path(name: str) -> Path:
    return PRECOMPILED / f"{name}.json"


def cache_path(root: Path, data: bytes) -> Path:
    key = hashlib.sha256(f"{FORMAT}\0{__version__}\0{root}\0".encode()).hexdigest()[:24]
    return cache_dir() / f"{key}-{hashlib.sha256(data).hexdigest()[:24]}.json"


# ---- encoding ----------------------------------------------------------------------------------

def _storable() -> dict[str, type]:
    found: dict[str, type] = {}
    for module in (ast, model, types, units):
        for name, value in vars(module).items():
            if isinstance(value, type) and records.is_record(value) and value.__module__ == module.__name__:
                found[f"{module.__name__.rsplit('.', 1)[1]}.{name}"] = value
    return found


_CLASSES = _storable()
_TAGS = {cls: tag for tag, cls in _CLASSES.items()}
_FIELDS = {tag: frozenset(f.name for f in records.fields(cls)) for tag, cls in _CLASSES.items()}


def encode(ruleset: model.Ruleset, displays: list[str]) -> dict[str, object]:
    """The ruleset as JSON-ready data; the chain's display paths become their index, so the same
    stored ruleset reads back with the paths of whatever folder the next run starts in."""
    places = {display: index for index, display in enumerate(displays)}
    shared = _shared_objects(ruleset)
    numbered: dict[int, int] = {}

    def value(item: object, key: str = "") -> object:
        if item is None or isinstance(item, (bool, int, str)):
            if key == "path" and isinstance(item, str) and item in places:
                return {"$": "path", "v": places[item]}
            return item
        if isinstance(item, Decimal):
            return {"$": "decimal", "v": str(item)}
        if isinstance(item, _dt.date):
            return {"$": "date", "v": item.isoformat()}
        if isinstance(item, tuple):
            return {"$": "tuple", "v": [value(part) for part in item]}
        if isinstance(item, list):
            return [value(part) for part in item]
        if type(item) is ast.Span:  # two in five stored objects: kept as a short list
            return {"$": "span", "v": [places.get(item.path, item.path), item.line, item.column,
                                       item.end_line, item.end_column]}
        tag = _TAGS.get(type(item))
        if tag is not None:
            if id(item) in numbered:
                return {"$": "ref", "v": numbered[id(item)]}
            fields = {"$": tag}
            for field in records.fields(item):
                fields[field.name] = value(getattr(item, field.name), field.name)
            if id(item) in shared:
                numbered[id(item)] = len(numbered)
                fields["#"] = numbered[id(item)]
            return fields
        if isinstance(item, Mapping):
            return {"$": "map", "v": [[value(k, key), value(v)] for k, v in item.items()]}
        raise TypeError(f"a checked ruleset holds a {type(item).__name__}, which the store cannot keep")

    stored = records.replace(ruleset, sources={})
    return {"format": FORMAT, "tool": __version__, "ruleset": value(stored)}


def _shared_objects(root: object) -> set[int]:
    """The ids of objects reached by more than one path: stored once, referenced after."""
    seen: set[int] = set()
    shared: set[int] = set()
    stack = [root]
    while stack:
        item = stack.pop()
        if type(item) in _TAGS and type(item) is not ast.Span:
            if id(item) in seen:
                shared.add(id(item))
                continue
            seen.add(id(item))
            stack.extend(getattr(item, f.name) for f in records.fields(item))
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
    return shared


def decode(text: str, displays: list[str]) -> model.Ruleset:
    """Build the ruleset back from stored text, or raise Damaged."""
    numbered: list[object] = []

    def hook(fields: dict[str, object]) -> object:
        tag = fields.pop("$", None)
        if tag is None:
            return fields
        if tag in _CLASSES:
            number = fields.pop("#", None)
            if fields.keys() != _FIELDS[tag]:
                raise Damaged(f"{tag} with fields {sorted(fields)}")
            item = object.__new__(_CLASSES[tag])
            item.__dict__.update(fields)
            if number is not None:
                if number != len(numbered):
                    raise Damaged("shared objects out of order")
                numbered.append(item)
            return item
        content = fields.get("v")
        if tag == "span" and isinstance(content, list) and len(content) == 5:
            where = content[0]
            if isinstance(where, int):
                if not 0 <= where < len(displays):
                    raise Damaged("a span in a file outside the chain")
                where = displays[where]
            return ast.Span(where, *content[1:])
        if tag == "tuple" and isinstance(content, list):
            return tuple(content)
        if tag == "decimal" and isinstance(content, str):
            return Decimal(content)
        if tag == "date" and isinstance(content, str):
            return _dt.date.fromisoformat(content)
        if tag == "map" and isinstance(content, list):
            return dict(content)
        if tag == "path" and isinstance(content, int) and 0 <= content < len(displays):
            return displays[content]
        if tag == "ref" and isinstance(content, int) and 0 <= content < len(numbered):
            return numbered[content]
        raise Damaged(f"unknown entry {tag!r}")

    try:
        stored = json.loads(text, object_hook=hook)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
        raise Damaged(str(error)) from None
    if not isinstance(stored, dict) or stored.get("format") != FORMAT or stored.get("tool") != __version__:
        raise Damaged("another format or tool version")
    ruleset = stored.get("ruleset")
    if not isinstance(ruleset, model.Ruleset):
        raise Damaged("no ruleset")
    return ruleset


# ---- reading and writing -----------------------------------------------------------------------

def chain_digest(sources: list[Source]) -> str:
    """The ruleset's sha256 as reports show it: the file's own, or the whole chain's."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.data)
    return digest.hexdigest()


def with_sources(ruleset: model.Ruleset, sources: list[Source]) -> model.Ruleset:
    return records.replace(
        ruleset, sha256=chain_digest(sources),
        sources={s.display: s.data.decode("utf-8") for s in sources})


def read_stored(path: Path, *, owned: bool) -> str | None:
    """A stored file's text, or None when missing, oversized or (``owned``) not safely the user's."""
    try:
        # O_NONBLOCK and a regular-file check on the descriptor: a FIFO put in the cache folder
        # must not hold the run (see compliance/documents/files.py).
        with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as stream:
            status = os.fstat(stream.fileno())
            if not stat.S_ISREG(status.st_mode) or (owned and not _trusted(status)):
                return None
            data = stream.read(MAX_STORED_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_STORED_BYTES:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _trusted(status: os.stat_result) -> bool:
    """Only the user's own files, which nobody else can write, are read from a cache folder."""
    if not hasattr(os, "getuid"):
        return True
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


def split(text: str) -> tuple[list[tuple[str, str]], str]:
    """A stored file's chain, the (path or built-in name, sha256) of each source it was built from,
    and the ruleset's text, which is decoded only once every source is found unchanged."""
    head, _, body = text.partition("\n")
    try:
        header = json.loads(head)
    except ValueError:
        raise Damaged("no header") from None
    chain = header.get("chain") if isinstance(header, dict) else None
    if (header.get("format") != FORMAT or header.get("tool") != __version__ or not isinstance(chain, list)
            or not all(isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e) for e in chain)):
        raise Damaged("another format or tool version")
    return [(name, sha) for name, sha in chain], body


def render(ruleset: model.Ruleset, sources: list[Source], chain: list[str]) -> str:
    """The stored text: a line naming the chain, then a line holding the ruleset."""
    header = {"format": FORMAT, "tool": __version__,
              "chain": [[name, source.sha256] for name, source in zip(chain, sources)]}
    body = encode(ruleset, [s.display for s in sources])
    return (json.dumps(header, ensure_ascii=False, separators=(",", ":")) + "\n"
            + json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n")


def write_cache(target: Path, text: str) -> None:
    """Write a cache file atomically in a folder only the user can write; any failure leaves the
    cache as it was (a run never fails because its cache cannot be written)."""
    folder = target.parent
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(folder.stat()):
            return
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return


def _main(argv: list[str] | None = None) -> int:
    import argparse

    from compliance.dsl import loader

    parser = argparse.ArgumentParser(prog="python -m compliance.dsl.store",
                                     description="Precompile the built-in rulesets into the package.")
    parser.add_argument("--check", action="store_true", help="exit 1 when a precompiled ruleset is stale")
    options = parser.parse_args(argv)
    stale = []
    PRECOMPILED.mkdir(exist_ok=True)
    for name in loader.builtin_names():
        text = loader.precompile(name)
        target = precompiled_path(name)
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            stale.append(name)
            if not options.check:
                target.write_text(text, encoding="utf-8")
    for extra in sorted(PRECOMPILED.glob("*.json")):
        if extra.stem not in loader.builtin_names():
            stale.append(extra.stem)
            if not options.check:
                extra.unlink()
    if options.check and stale:
        print(f"stale precompiled rulesets: {', '.join(stale)}; run python -m compliance.dsl.store",
              file=sys.stderr)
        return 1
    for name in stale:
        print(f"wrote {precompiled_path(name)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
