"""compliance.records behaves as the dataclasses it replaces: construction, defaults, equality,
hashing, ordering, freezing, replace, pickling; checked against real dataclasses by hypothesis."""
from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.errors import FrozenRecordError, InternalError
from compliance.records import field, fields, is_record, record, replace


@record
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list, compare=False)
    unit: ClassVar[str] = "cm"


@record(eq=False)
class Node:
    name: str


@record(order=True)
class Place:
    line: int
    column: int


@record(frozen=False)
class Builder:
    items: list[int] = field(default_factory=list)
    total: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.total = sum(self.items)


@record
class Keyed:
    kind: str
    detail: dict[str, int] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash(self.kind)


@dataclasses.dataclass(frozen=True, order=True)
class PlaceDataclass:
    line: int
    column: int


@pytest.mark.parametrize(("make", "expected"), [
    (lambda: Point(1), {"x": 1, "y": 0, "tags": (), "notes": []}),
    (lambda: Point(1, 2, ("a",)), {"x": 1, "y": 2, "tags": ("a",), "notes": []}),
    (lambda: Point(x=3, notes=["n"]), {"x": 3, "y": 0, "tags": (), "notes": ["n"]}),
    (lambda: Point(4, tags=("b",)), {"x": 4, "y": 0, "tags": ("b",), "notes": []}),
])
def test_construction_in_field_order_with_defaults(make, expected):
    point = make()
    assert {f.name: getattr(point, f.name) for f in fields(point)} == expected


@pytest.mark.parametrize("make", [lambda: Point(), lambda: Point(1, 2, (), [], 5), lambda: Point(1, x=2),
                                  lambda: Point(1, z=2)])
def test_wrong_arguments_are_type_errors(make):
    with pytest.raises(TypeError):
        make()


def test_factories_give_each_record_its_own_value():
    first, second = Point(1), Point(2)
    first.notes.append("only mine")
    assert second.notes == []


def test_frozen_records_refuse_assignment_and_deletion():
    point = Point(1)
    with pytest.raises(FrozenRecordError):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(FrozenRecordError):
        del point.x
    assert issubclass(FrozenRecordError, InternalError) and issubclass(FrozenRecordError, AttributeError)
    assert point.x == 1


def test_equality_and_hash_follow_the_compared_fields():
    assert Point(1, 2) == Point(1, 2, notes=["ignored"]) and hash(Point(1, 2)) == hash(Point(1, 2, notes=["x"]))
    assert Point(1, 2) != Point(1, 3)
    assert Point(1) != Place(1, 0) and Point(1) != (1, 0, (), [])
    assert Node("a") != Node("a") and len({Node("a"), Node("a")}) == 2  # identity
    assert Point.unit == "cm" and "unit" not in {f.name for f in fields(Point)}


def test_a_hash_the_class_writes_itself_is_kept():
    assert hash(Keyed("k", {"a": 1})) == hash("k")


def test_mutable_records_run_post_init_and_fill_non_init_fields():
    built = Builder([1, 2, 3])
    assert built.total == 6
    built.items.append(4)
    built.total = 10
    assert built.total == 10
    with pytest.raises(TypeError):
        hash(built)


def test_replace_makes_a_new_record_through_the_constructor():
    point = Point(1, 2, ("a",))
    moved = replace(point, y=5)
    assert (moved.x, moved.y, moved.tags) == (1, 5, ("a",)) and point.y == 2
    with pytest.raises(TypeError):
        replace(point, z=1)


def test_records_pickle_and_copy_as_themselves():
    point = Point(1, 2, ("a",), ["n"])
    for clone in (pickle.loads(pickle.dumps(point)), copy.copy(point), copy.deepcopy(point)):
        assert clone == point and clone.notes == ["n"] and type(clone) is Point
    assert is_record(point) and is_record(Point) and not is_record(PlaceDataclass(1, 2))


@given(st.lists(st.tuples(st.integers(-5, 5), st.integers(-5, 5)), max_size=8))
def test_records_order_hash_and_show_like_dataclasses(pairs):
    ours = [Place(a, b) for a, b in pairs]
    theirs = [PlaceDataclass(a, b) for a, b in pairs]
    assert [(p.line, p.column) for p in sorted(ours)] == [(p.line, p.column) for p in sorted(theirs)]
    for (mine, reference), (other, other_reference) in zip(zip(ours, theirs), zip(ours[1:], theirs[1:])):
        assert (mine == other) == (reference == other_reference)
        assert (mine < other) == (reference < other_reference)
        assert (mine >= other) == (reference >= other_reference)
        assert (hash(mine) == hash(other)) or mine != other
    assert [repr(p).replace("Place(", "") for p in ours] == [repr(p).replace("PlaceDataclass(", "") for p in theirs]
