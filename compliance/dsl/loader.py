"""Finding and reading rulesets: built-in names or files, and their ``extends`` chains.

A ruleset's sha256 (shown in every report) covers the whole chain: the file's own bytes, then each
parent's, so a change anywhere in what was evaluated changes the fingerprint.
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from compliance.documents.files import name_problem, read_input, shown_path
from compliance.dsl import store
from compliance.dsl.model import Ruleset
from compliance.errors import InputError

if TYPE_CHECKING:
    from compliance.dsl import ast
    from compliance.dsl.checker import DocumentTypes

# The parser and checker are imported where a ruleset is built, not when a stored one is read.

EXTENSION = ".rules"
MAX_SOURCE_BYTES = 1_000_000      # a ruleset file larger than this is refused (the parser too)
MAX_EXTENDS_DEPTH = 8   # a chain longer than this is refused (and a cycle is reported as one)


@lru_cache(maxsize=1)
def builtin_dir() -> Path:
    """Where the built-in rulesets live: the repository's ``rulesets/`` folder, shipped as
    package data ``compliance/builtin_rulesets`` in a wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "builtin_rulesets", here.parent / "rulesets"):
        if candidate.is_dir():
            return candidate
    return here.parent / "rulesets"


def builtin_names() -> list[str]:
    return sorted(path.stem for path in builtin_dir().glob(f"*{EXTENSION}"))


def resolve(spec: str, *, relative_to: Path | None = None, where: str = "--ruleset") -> Path:
    """A built-in name (``esma_like``) or a path to a ruleset file."""
    if not spec.strip():
        raise InputError.at(where, None, None, "the ruleset name is empty; give a built-in name "
                            f"({', '.join(builtin_names())}) or the path of a {EXTENSION} file")
    problem = name_problem(spec)
    if problem:
        raise InputError.at(shown_path(spec), None, None, problem)
    # os.path.isfile, not Path.is_file: it answers False for a name too long for the system
    # instead of raising.
    if "/" not in spec and "\\" not in spec and not spec.endswith(EXTENSION):
        candidate = builtin_dir() / f"{spec}{EXTENSION}"
        if os.path.isfile(candidate):
            return candidate
        if relative_to is not None and os.path.isfile(relative_to / f"{spec}{EXTENSION}"):
            return relative_to / f"{spec}{EXTENSION}"
        if not os.path.exists(spec):
            import difflib
            names = builtin_names()
            close = difflib.get_close_matches(spec, names, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise InputError.at(where, None, None, f"unknown ruleset '{shown_path(spec)}'{hint}; "
                                f"built-in rulesets: {', '.join(names)}; or give the path of a "
                                f"{EXTENSION} file")
    path = Path(spec)
    if relative_to is not None and not path.is_absolute() and not os.path.exists(path):
        path = relative_to / path
    if not os.path.exists(path):
        raise InputError.at(shown_path(spec), None, None, "ruleset file not found")
    return path  # a FIFO, a device or a folder is refused when it is read


def read_source(path: Path) -> tuple[str, bytes]:
    if "\x00" in str(path):
        raise InputError.at(str(path).replace("\x00", "\\x00"), None, None,
                            "the file name contains a NUL character")
    data = read_input(str(path), MAX_SOURCE_BYTES, what="a ruleset file").data
    try:
        return data.decode("utf-8"), data
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise InputError.at(str(path), line, 1, "the ruleset is not valid UTF-8 text") from None


def parse_chain(path: Path) -> tuple[list[ast.RulesetFile], str]:
    """The file and its parents (root first), and the chain's sha256."""
    files, sources = read_chain(path)
    return files, store.chain_digest(sources)


def read_chain(path: Path) -> tuple[list[ast.RulesetFile], list[store.Source]]:
    """The file and its parents (root first), parsed, with the bytes each was parsed from."""
    from compliance.dsl.parser import parse_ruleset

    files: list[ast.RulesetFile] = []
    sources: list[store.Source] = []
    seen: dict[str, ast.Span] = {}
    current: Path | None = path
    while current is not None:
        text, data = read_source(current)
        source = store.Source(current.resolve(), _display(current), data)
        parsed = parse_ruleset(text, source.display)
        if parsed.name in seen:
            chain = " -> ".join([*(f.name for f in files), parsed.name])
            span = files[-1].span
            raise InputError.at(span.path, span.line, span.column, f"extends cycle: {chain}")
        seen[parsed.name] = parsed.span
        files.append(parsed)
        sources.append(source)
        parent = parsed.header_value("extends")
        if parent is None:
            current = None
            continue
        if len(files) >= MAX_EXTENDS_DEPTH:
            raise InputError.at(parsed.path, parsed.span.line, parsed.span.column,
                                f"extends chain longer than {MAX_EXTENDS_DEPTH} rulesets")
        span = next(s for k, _v, s in parsed.header if k == "extends")
        try:
            current = resolve(parent, relative_to=current.parent, where=f"{span.path}:{span.line}:{span.column}")
        except InputError as error:
            message = error.diagnostics[0].message
            raise InputError.at(span.path, span.line, span.column, message) from None
    return files, sources


def _display(path: Path) -> str:
    """Paths in messages: relative to the working folder when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def default_document_types(target: str):  # type: ignore[no-untyped-def]
    if target == "account":
        from compliance.documents.snapshot_fields import snapshot_type
        return snapshot_type()
    if target == "platform":
        from compliance.documents.platform import platform_type
        return platform_type()
    from compliance.documents.contract import contract_type
    return contract_type()


def load_ruleset(spec: str, document_types: DocumentTypes | None = None) -> Ruleset:
    """Read, parse and check a ruleset (a built-in name or a path). Raises InputError.

    With the default document types, a ruleset stored by an earlier run (compliance.dsl.store) is
    used when every file of its chain is unchanged; otherwise it is built and stored."""
    path = resolve(spec)
    if document_types is not None:
        files, sha = parse_chain(path)
        return _check(files, document_types, sha)
    return _load_default(str(path.resolve()), path.stat().st_mtime_ns, store.caching_enabled())


@lru_cache(maxsize=16)
def _load_default(path: str, mtime: int, caching: bool) -> Ruleset:
    root = Path(path)
    if caching:
        stored = _stored(root)
        if stored is not None:
            return stored
    files, sources = read_chain(root)
    ruleset = _check(files, default_document_types, store.chain_digest(sources))
    if caching:
        text = store.render(ruleset, sources, [str(source.path) for source in sources])
        store.write_cache(store.cache_path(root, sources[0].data), text)
    return ruleset


def _stored(root: Path) -> Ruleset | None:
    """The ruleset kept for ``root``: precompiled when built in, else from the user's cache; None
    when there is none or any file of its chain changed since it was stored."""
    data = read_source(root)[1]
    candidates = [(store.cache_path(root, data), True)]
    if root.parent == builtin_dir().resolve():
        candidates.insert(0, (store.precompiled_path(root.stem), False))
    for candidate, owned in candidates:
        text = store.read_stored(candidate, owned=owned)
        if text is None:
            continue
        try:
            chain, body = store.split(text)
            sources = _unchanged(chain, builtin=not owned)
            if sources is None or sources[0].path != root:
                continue
            return store.with_sources(store.decode(body, [s.display for s in sources]), sources)
        except store.Damaged:
            continue
    return None


def _unchanged(chain: list[tuple[str, str]], *, builtin: bool) -> list[store.Source] | None:
    """The chain's files as they are now, or None when one is missing or has another sha256."""
    sources = []
    for name, sha in chain:
        path = builtin_dir() / f"{name}{EXTENSION}" if builtin else Path(name)
        try:
            data = read_source(path)[1]
        except InputError:
            return None
        source = store.Source(path.resolve(), _display(path), data)
        if source.sha256 != sha:
            return None
        sources.append(source)
    return sources or None


def precompile(name: str) -> str:
    """The stored text of a built-in ruleset, as shipped in the package."""
    files, sources = read_chain(builtin_dir() / f"{name}{EXTENSION}")
    ruleset = _check(files, default_document_types, store.chain_digest(sources))
    return store.render(ruleset, sources, [source.path.stem for source in sources])


def load_ruleset_text(text: str, path: str, document_types: DocumentTypes | None = None) -> Ruleset:
    """Check ruleset source given as text (tests, editors). ``extends`` resolves against built-ins."""
    from compliance.dsl.parser import parse_ruleset

    parsed = parse_ruleset(text, path)
    files = [parsed]
    parent = parsed.header_value("extends")
    if parent is not None:
        if parent == parsed.name:
            raise InputError.at(path, parsed.span.line, parsed.span.column,
                                f"extends cycle: {parsed.name} -> {parent}")
        more, _sha = parse_chain(resolve(parent))
        if any(f.name == parsed.name for f in more):
            raise InputError.at(path, parsed.span.line, parsed.span.column,
                                f"extends cycle: {parsed.name} -> {' -> '.join(f.name for f in more)}")
        files += more
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return _check(files, document_types or default_document_types, sha)


def _check(files: list[ast.RulesetFile], document_types: DocumentTypes, sha: str) -> Ruleset:
    from compliance.dsl.checker import check

    return check(files, document_types, sha)
