"""The bounded sandbox users' templates run in: Jinja's immutable sandbox with limits on time,
loop iterations, macro calls and depth, integer and string sizes and the total output.

Jinja's sandbox stops a template from reaching Python's internals but not from spending the
machine: ``'x' * 10**10``, ``10**100000000``, ``'x'|center(10**10)``, ``'{:>1000000000}'.format(1)``,
``'%*d' % (10**9, 1)``, nested loops over ``range(100000)`` or a macro calling itself twice at
every level each run until killed. Here every operator, call, filter, loop step and buffer join
passes through a check, and the work that would build something too large is refused *before* it
is done. Each limit broken is a :class:`TemplateLimit`, which the renderer reports at the template
line as an exit-2 error.
"""
from __future__ import annotations

import functools
import re
import time
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from jinja2.sandbox import SandboxedEscapeFormatter
from markupsafe import Markup

from compliance.errors import DomainError

MAX_TEMPLATE_SECONDS = 10           # wall time of one rendering
MAX_TEMPLATE_BYTES = 1 << 20        # a template file (and each file it includes), 1 MiB
MAX_OUTPUT_CHARS = 20_000_000       # what one rendering (or one macro, block or set) produces
MAX_STRING_CHARS = 1_000_000        # a string built by an operator, a filter or a method
MAX_SEQUENCE_ITEMS = 1_000_000      # a list or tuple built by an operator or a filter
MAX_INT_BITS = 1024                 # an integer computed by the template (about 308 digits)
MAX_FORMAT_WIDTH = 10_000           # a width or precision in '%10d', '{:>10}' and the like
MAX_LOOP_ITERATIONS = 1_000_000     # steps of all loops of one rendering together
MAX_MACRO_CALLS = 100_000           # macro calls of one rendering
MAX_MACRO_DEPTH = 32                # macros calling macros


class TemplateLimit(DomainError):
    """A template went beyond one of the limits of this module (args: the message and, when it
    is known otherwise than from the traceback, the template line)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class _Budget:
    """What one rendering has spent so far."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds
        self.iterations = 0
        self.macro_calls = 0
        self.depth = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimit(f"the template ran longer than {self.seconds:g} seconds")


def _check_size(value: Any) -> Any:
    """Refuse a computed value that is too large; return it unchanged otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_BITS:
            raise TemplateLimit(f"an integer of more than {MAX_INT_BITS} bits")
    elif isinstance(value, str):
        if len(value) > MAX_STRING_CHARS:
            raise TemplateLimit(f"a string of more than {MAX_STRING_CHARS:,} characters")
    elif isinstance(value, (list, tuple)):
        if len(value) > MAX_SEQUENCE_ITEMS:
            raise TemplateLimit(f"a list of more than {MAX_SEQUENCE_ITEMS:,} items")
    return value


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple)) else 0


def _refuse_big_ints(values: Iterable[Any], what: str) -> None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_STRING_CHARS:
            raise TemplateLimit(f"{what}: the number {_short(value)} is larger than "
                                f"{MAX_STRING_CHARS:,}")


def _short(number: int) -> str:
    return str(number) if number.bit_length() < 64 else f"with {number.bit_length()} bits"


def _check_binop(op: str, left: Any, right: Any) -> None:
    """Refuse, before computing it, a result that would be too large."""
    if op == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 \
            and abs(left) > 1 and (abs(left).bit_length() - 1) * right > MAX_INT_BITS:
        raise TemplateLimit(f"'**' would make an integer of more than {MAX_INT_BITS} bits")
    if op == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(times, int) \
                    and len(seq) * times > (MAX_STRING_CHARS if isinstance(seq, str) else MAX_SEQUENCE_ITEMS):
                kind = "string" if isinstance(seq, str) else "list"
                unit = "characters" if isinstance(seq, str) else "items"
                raise TemplateLimit(f"'*' would repeat a {kind} of {len(seq):,} {unit} "
                                    f"{_short(times)} times")
        if isinstance(left, int) and isinstance(right, int) \
                and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise TemplateLimit(f"'*' would make an integer of more than {MAX_INT_BITS} bits")
    if op == "%" and isinstance(left, str):
        _check_percent_format(left, right)


# A %-conversion: flags, width, precision, type; '*' takes the width or precision from the args.
_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")


def _check_percent_format(fmt: str, args: Any) -> None:
    values = list(args) if isinstance(args, tuple) else [args]
    star = False
    for found in _PERCENT.finditer(fmt):
        for part in found.groups():
            if part == "*":
                star = True
            elif part and int(part) > MAX_FORMAT_WIDTH:
                raise TemplateLimit(f"a width or precision of {part} in a % format "
                                    f"(at most {MAX_FORMAT_WIDTH:,})")
    if star:
        for value in values:
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_FORMAT_WIDTH:
                raise TemplateLimit(f"a width or precision of {_short(value)} in a % format "
                                    f"(at most {MAX_FORMAT_WIDTH:,})")


def _check_format_spec(spec: str) -> None:
    for digits in re.findall(r"\d+", spec):
        if len(digits) > 6 or int(digits) > MAX_FORMAT_WIDTH:
            raise TemplateLimit(f"a width or precision of {digits[:20]} in a format "
                                f"(at most {MAX_FORMAT_WIDTH:,})")


class _BoundedFormatter(SandboxedFormatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        _check_format_spec(format_spec)
        return _check_size(super().format_field(value, format_spec))


class _BoundedEscapeFormatter(SandboxedEscapeFormatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        _check_format_spec(format_spec)
        return _check_size(super().format_field(value, format_spec))


_SIZED = (str, list, tuple, dict, set, frozenset, range)


def _length(value: Any) -> int:
    """The length of a built-in container, else 0 (an Undefined must stay one for ``default``)."""
    return len(value) if isinstance(value, _SIZED) else 0


def _check_join(items: Any, separator: Any) -> None:
    if isinstance(separator, str) and len(separator) * max(_length(items) - 1, 0) > MAX_STRING_CHARS:
        raise TemplateLimit(f"join would put a separator of {len(separator):,} characters "
                            f"between {_length(items):,} items")


def _check_replace(text: Any, old: Any, new: Any, count: Any = -1) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
        times = text.count(old) if old else len(text) + 1
        if isinstance(count, int) and count >= 0:
            times = min(times, count)
        if len(text) + times * (len(new) - len(old)) > MAX_STRING_CHARS:
            raise TemplateLimit(f"replace would make a string of more than {MAX_STRING_CHARS:,} "
                                "characters")


def _longest_text(values: Iterable[Any]) -> int:
    """The longest text among ``values`` and the values of mappings among them."""
    longest = 0
    for value in values:
        if isinstance(value, str):
            longest = max(longest, len(value))
        elif isinstance(value, dict):
            longest = max([longest, *(len(v) for v in value.values() if isinstance(v, str))])
    return longest


def _check_amplifying(what: str, subject: Any, args: Iterable[Any]) -> None:
    """A filter or method may put one of its text arguments once per character, line or item of
    its subject (``indent``, ``wordwrap``, ``urlize``, ``translate``): refuse when that bound is
    beyond the string limit, before the work is done."""
    if _length(subject) * _longest_text(args) > MAX_STRING_CHARS:
        raise TemplateLimit(f"{what} could make a string of more than {MAX_STRING_CHARS:,} "
                            "characters (its subject times its longest text argument)")


# Filters whose result is checked more precisely than by _check_amplifying.
_PRECISE_FILTERS = frozenset({"join", "replace", "format"})


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that refuses huge numeric arguments (widths, counts) and huge results."""
    skip = 2 if getattr(function, "jinja_pass_arg", None) is not None else 1

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _refuse_big_ints([*args[skip:], *kwargs.values()], f"filter '{name}'")
        if name == "join" and len(args) > skip:
            _check_join(args[skip - 1], args[skip])
        elif name == "join" and "d" in kwargs:
            _check_join(args[skip - 1], kwargs["d"])
        elif name == "replace" and len(args) >= skip + 2:
            _check_replace(args[skip - 1], *args[skip:skip + 3])
        elif name == "format" and len(args) >= skip:
            _check_percent_format(str(args[skip - 1]), tuple(args[skip:]) or kwargs)
        if name not in _PRECISE_FILTERS and len(args) >= skip:
            _check_amplifying(f"filter '{name}'", args[skip - 1], [*args[skip:], *kwargs.values()])
        return _check_size(function(*args, **kwargs))

    return bounded


# str methods whose integer arguments are widths or counts of the result.
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


class _LimitedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with every loop's iterable passed through the loop budget."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        if not (isinstance(node.iter, nodes.Call) and isinstance(node.iter.node, nodes.EnvironmentAttribute)
                and node.iter.node.name == "loop_budget"):
            node.iter = nodes.Call(nodes.EnvironmentAttribute("loop_budget"), [node.iter], [],
                                   None, None, lineno=node.lineno)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        # 'a ~ b' is not an operator the sandbox intercepts: its result is checked here.
        self.write("environment.checked(")
        super().visit_Concat(node, frame)
        self.write(")")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with the limits of this module. Call :meth:`start` before each
    rendering to reset the budget."""

    code_generator_class = _LimitedCodeGenerator
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"-", "+"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget = _Budget(MAX_TEMPLATE_SECONDS)
        self.globals.pop("lipsum", None)   # lipsum(10**9) would write a billion paragraphs
        self.filters = {name: _bounded_filter(name, function) for name, function in self.filters.items()}

    def start(self, seconds: float | None = None) -> None:
        # The limit is read at call time, so that it stays one module setting.
        self.budget = _Budget(MAX_TEMPLATE_SECONDS if seconds is None else seconds)

    def finish_filters(self) -> None:
        """Bound the filters added after construction (the report's own)."""
        self.filters = {name: function if hasattr(function, "__wrapped__") else _bounded_filter(name, function)
                        for name, function in self.filters.items()}

    # -- hooks of the sandbox ---------------------------------------------------------------
    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        self.budget.tick()
        _check_binop(operator_, left, right)
        return _check_size(super().call_binop(context, operator_, left, right))

    def call_unop(self, context: Any, operator_: str, arg: Any) -> Any:
        self.budget.tick()
        return super().call_unop(context, operator_, arg)

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.budget.tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.budget.tick()
        return super().getitem(obj, argument)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        budget = __self.budget
        budget.tick()
        if isinstance(__obj, (types.BuiltinMethodType, types.MethodType)) \
                and isinstance(getattr(__obj, "__self__", None), str):
            name = __obj.__name__
            if name in _WIDTH_METHODS:
                _refuse_big_ints([*args, *kwargs.values()], f"str.{name}")
            elif name == "join" and args:
                _check_join(args[0], __obj.__self__)
            elif name == "replace" and len(args) >= 2:
                _check_replace(__obj.__self__, *args[:3])
            elif name not in ("format", "format_map"):
                _check_amplifying(f"str.{name}", __obj.__self__, [*args, *kwargs.values()])
        if not isinstance(__obj, Macro):
            return _check_size(super().call(__context, __obj, *args, **kwargs))
        budget.macro_calls += 1
        if budget.macro_calls > MAX_MACRO_CALLS:
            raise TemplateLimit(f"more than {MAX_MACRO_CALLS:,} macro calls")
        if budget.depth >= MAX_MACRO_DEPTH:
            raise TemplateLimit(f"macros call each other more than {MAX_MACRO_DEPTH} deep")
        budget.depth += 1
        try:
            return _check_size(super().call(__context, __obj, *args, **kwargs))
        finally:
            budget.depth -= 1

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) \
                or value.__name__ not in ("format", "format_map") \
                or not isinstance(value.__self__, str):
            return None
        text: str = value.__self__
        formatter = (_BoundedEscapeFormatter(self, escape=text.escape) if isinstance(text, Markup)
                     else _BoundedFormatter(self))
        is_format_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            return _check_size(type(text)(formatter.vformat(text, args, kwargs)))

        return functools.update_wrapper(wrapper, value)

    # -- hooks of the generated code ----------------------------------------------------------
    def checked(self, value: Any) -> Any:
        self.budget.tick()
        return _check_size(value)

    def loop_budget(self, iterable: Any) -> Iterator[Any]:
        """Every step of every loop is counted (nested loops multiply)."""
        budget = self.budget
        for item in iterable:
            budget.iterations += 1
            if budget.iterations > MAX_LOOP_ITERATIONS:
                raise TemplateLimit(f"the loops of the template ran more than "
                                    f"{MAX_LOOP_ITERATIONS:,} steps")
            if budget.iterations & 1023 == 0:
                budget.tick()
            yield item

    def concat(self, pieces: Iterable[str]) -> str:  # type: ignore[override]
        """Joins the output of the template, of a macro, a block or a ``set`` block: bounded."""
        budget = self.budget
        taken: list[str] = []
        total = 0
        for piece in pieces:
            total += len(piece)
            if total > MAX_OUTPUT_CHARS:
                raise TemplateLimit(f"the template wrote more than {MAX_OUTPUT_CHARS:,} characters")
            taken.append(piece)
            if len(taken) & 1023 == 0:
                budget.tick()
        return "".join(taken)


def bounded_loader(search_path: list[str], read: Callable[[str], str]) -> jinja2.BaseLoader:
    """A loader over ``search_path`` whose files are read by ``read`` (regular files only,
    bounded), so that an ``{% include %}`` of a FIFO cannot hang the rendering."""
    import os

    from jinja2.loaders import split_template_path

    class _Loader(jinja2.BaseLoader):
        def get_source(self, environment: jinja2.Environment, template: str
                       ) -> tuple[str, str, Callable[[], bool]]:
            pieces = split_template_path(template)   # refuses '..' and absolute names
            for folder in search_path:
                candidate = os.path.join(folder, *pieces)
                if os.path.lexists(candidate):
                    return read(candidate), os.path.normpath(candidate), lambda: False
            raise jinja2.TemplateNotFound(template)

    return _Loader()

