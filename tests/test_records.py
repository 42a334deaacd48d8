"""``value_type`` behaves as ``@dataclass(frozen=True)`` does: equality, hash, repr, order, replace, pickling."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest
from hypothesis import given, strategies as st

from rumpolicy.records import record, value_type


@dataclass(frozen=True, slots=True, order=True)
class RefPoint:
    x: int
    y: int = 0
    note: str = field(default="", compare=False)
    shown: str = field(default="", repr=False)


@value_type(order=True)
class Point:
    x: int
    y: int = 0
    note: str = field(default="", compare=False)
    shown: str = field(default="", repr=False)


@dataclass(frozen=True)
class RefBox:
    items: tuple = ()
    tag: str | None = None


@value_type(slots=False)
class Box:
    items: tuple = ()
    tag: str | None = None


@value_type
class Custom:
    """A class body's own methods win over the shared ones."""

    name: str

    def __eq__(self, other):
        return isinstance(other, Custom) and self.name.lower() == other.name.lower()

    def __hash__(self):
        return hash(self.name.lower())

    def __repr__(self):
        return f"<{self.name}>"


@value_type
class One:
    value: object


@value_type
class Empty:
    pass


points = st.builds(lambda x, y, note, shown: (x, y, note, shown), st.integers(-3, 3), st.integers(-3, 3),
                   st.sampled_from(["", "a"]), st.sampled_from(["", "b"]))


@given(points, points)
def test_points_compare_hash_and_print_as_dataclasses_do(a, b):
    ours, theirs = (Point(*a), Point(*b)), (RefPoint(*a), RefPoint(*b))
    assert (ours[0] == ours[1]) == (theirs[0] == theirs[1])
    assert (ours[0] != ours[1]) == (theirs[0] != theirs[1])
    for compare in ("__lt__", "__le__", "__gt__", "__ge__"):
        assert getattr(ours[0], compare)(ours[1]) == getattr(theirs[0], compare)(theirs[1])
    assert hash(ours[0]) == hash(theirs[0])
    assert repr(ours[0]) == repr(theirs[0]).replace("RefPoint", "Point")


@given(st.tuples(st.integers(), st.text(max_size=3)), st.none() | st.text(max_size=3))
def test_boxes_without_slots_match_too(items, tag):
    assert hash(Box(items, tag)) == hash(RefBox(items, tag))
    assert repr(Box(items, tag)) == repr(RefBox(items, tag)).replace("RefBox", "Box")
    assert Box(items, tag) == Box(items, tag) and Box(items, tag) != Box(items, "other")


def test_other_classes_are_never_equal_and_cannot_be_ordered():
    assert Point(1) != RefPoint(1)
    assert Point(1).__eq__(RefPoint(1)) is NotImplemented
    with pytest.raises(TypeError):
        _ = Point(1) < RefPoint(1)
    assert sorted([Point(2), Point(1, 5), Point(1)]) == [Point(1), Point(1, 5), Point(2)]


def test_a_value_type_is_a_frozen_dataclass():
    point = Point(1, 2, note="n")
    assert dataclasses.is_dataclass(point)
    assert [f.name for f in dataclasses.fields(point)] == ["x", "y", "note", "shown"]
    assert dataclasses.replace(point, y=5) == Point(1, 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 3                                        # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.x                                        # type: ignore[misc]
    assert not hasattr(point, "__dict__")                  # slots by default
    assert hasattr(Box(), "__dict__")
    assert pickle.loads(pickle.dumps(point)) == point and pickle.loads(pickle.dumps(Box((1,), "t"))) == Box((1,), "t")
    match point:
        case Point(1, 2):
            pass
        case _:
            pytest.fail("positional pattern matching lost")


def test_the_class_body_keeps_its_own_methods():
    assert Custom("A") == Custom("a") and hash(Custom("A")) == hash(Custom("a")) and repr(Custom("A")) == "<A>"


def test_one_field_and_no_field():
    assert hash(One(3)) == hash((3,)) and One(3) == One(3) and One(3) != One(4)
    assert hash(One((1, 2))) == hash(((1, 2),))                       # a tuple value is not spread
    assert Empty() == Empty() and hash(Empty()) == hash(()) and repr(Empty()) == "Empty()"
    with pytest.raises(TypeError):
        hash(One([1]))                                                 # unhashable fields stay unhashable


def test_a_value_holding_itself_prints():
    box = One([])
    box.value.append(box)
    assert repr(box) == "One(value=[...])"


@value_type(slots=False)
class Checked:
    """A class with defaults, a factory and a __post_init__ that normalizes a field."""

    name: str
    tags: tuple = ()
    seen: list = field(default_factory=list)

    def __post_init__(self):
        object.__setattr__(self, "name", self.name.strip())


@value_type
class Child(Point):
    z: int = 0


def test_init_binds_arguments_as_the_compiled_one_does_before_and_after_compiling():
    from rumpolicy.records import COMPILE_AFTER

    @value_type
    class Late:
        a: int
        b: str = "b"
        c: list = field(default_factory=list)

    def behaves() -> int:
        """Instances made and refused as dataclasses would; the number of __init__ calls."""
        assert Late(1) == Late(1, "b") == Late(a=1, b="b") and Late(1, c=[2]).c == [2]
        assert Late(1).c == [] and Late(1).c is not Late(1).c
        for args, kwargs in (((), {}), ((1, "b", [], 4), {}), ((1,), {"a": 2}), ((1,), {"d": 1})):
            with pytest.raises(TypeError):
                Late(*args, **kwargs)
        return 11

    by_hand = Late.__init__
    calls = behaves()
    assert calls <= COMPILE_AFTER and Late.__init__ is by_hand
    while calls <= COMPILE_AFTER:
        Late(0)
        calls += 1
    assert Late.__init__ is not by_hand                      # compiled once, and kept
    compiled = Late.__init__
    behaves()
    assert Late.__init__ is compiled
    checked = Checked("  x ")
    assert checked.name == "x" and checked.seen == [] and checked.seen is not Checked("y").seen
    assert Checked("a", seen=[1]).seen == [1]


def test_subclasses_and_copies():
    import copy

    child = Child(1, 2, z=3)
    assert child != Point(1, 2) and child == Child(1, 2, "n", "", 3) and child != Child(1, 2, "", "s", 3)
    assert [f.name for f in dataclasses.fields(child)] == ["x", "y", "note", "shown", "z"]
    for value in (Point(1, 2, "n", "s"), child, Checked("a", (1,), [2])):
        assert copy.copy(value) == value and copy.deepcopy(value) == value
        assert pickle.loads(pickle.dumps(value)) == value
    assert copy.deepcopy(Checked("a", seen=[1])).seen == [1]


def test_what_value_type_refuses_it_refuses_when_the_class_is_defined():
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        @value_type
        class Misordered:
            a: int = 1
            b: int

    with pytest.raises(TypeError, match="init=False"):
        @value_type
        class NotInit:
            a: int = field(default=1, init=False)

    with pytest.raises(TypeError, match="__setattr__"):
        @value_type
        class OwnSetattr:
            a: int

            def __setattr__(self, name, value):
                pass

    with pytest.raises(TypeError, match="InitVar"):
        @value_type
        class WithInitVar:
            a: dataclasses.InitVar[int]


@dataclass
class RefTally:
    name: str
    counts: list = field(default_factory=list)
    note: str = field(default="", compare=False, repr=False)


@record
class Tally:
    name: str
    counts: list = field(default_factory=list)
    note: str = field(default="", compare=False, repr=False)


@record(eq=False, repr=False)
class Node:
    """Compared by identity, printed by its own repr."""

    label: str

    def __repr__(self):
        return f"<{self.label}>"


def test_records_are_mutable_dataclasses():
    tally, reference = Tally("a", [1], "n"), RefTally("a", [1], "n")
    assert repr(tally) == repr(reference).replace("RefTally", "Tally")
    assert tally == Tally("a", [1]) and tally != Tally("a", [2]) and tally.__eq__(reference) is NotImplemented
    with pytest.raises(TypeError):
        hash(tally)                                          # compared by value and mutable: unhashable
    tally.counts.append(2)
    tally.name = "b"
    assert tally == Tally("b", [1, 2]) and Tally("c").counts == [] and Tally("c").counts is not Tally("d").counts
    assert dataclasses.replace(tally, name="z") == Tally("z", [1, 2])
    node = Node("x")
    assert node != Node("x") and node == node and len({node, Node("x")}) == 2
    assert repr(node) == "<x>" and pickle.loads(pickle.dumps(tally)) == tally
