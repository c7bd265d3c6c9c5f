"""Placement: room first, then spread of the user's bots, then load ratio, then id."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from gateway.services.trading.placement import PoolLoad, choose_pool


def test_no_candidates_or_all_full_means_no_pool() -> None:
    assert choose_pool([], {}) is None
    assert choose_pool([PoolLoad("a", 2, 2), PoolLoad("b", 1, 3), PoolLoad("c", 0, 0)], {}) is None


def test_least_loaded_by_ratio_not_by_count() -> None:
    big = PoolLoad("big", capacity=10, load=4)  # 40 %
    small = PoolLoad("small", capacity=2, load=1)  # 50 %
    assert choose_pool([small, big], {}) == "big"


def test_spreads_a_users_bots_before_balancing_load() -> None:
    busy = PoolLoad("busy", capacity=10, load=8)
    idle = PoolLoad("idle", capacity=10, load=0)
    # The user already has a bot on the idle pool: the busy one still has room, so it wins.
    assert choose_pool([busy, idle], {"idle": 1}) == "busy"
    assert choose_pool([busy, idle], {"idle": 1, "busy": 1}) == "idle"


def test_full_pools_are_skipped_even_without_the_users_bots() -> None:
    full = PoolLoad("full", capacity=3, load=3)
    other = PoolLoad("other", capacity=3, load=2)
    assert choose_pool([full, other], {"other": 2}) == "other"


def test_ties_break_on_the_id() -> None:
    assert choose_pool([PoolLoad("p2", 4, 2), PoolLoad("p1", 2, 1)], {}) == "p1"


pool_loads = st.builds(
    PoolLoad,
    pool_id=st.sampled_from(["p1", "p2", "p3", "p4", "p5"]),
    capacity=st.integers(0, 12),
    load=st.integers(0, 14),
)
candidate_lists = st.lists(pool_loads, max_size=5, unique_by=lambda c: c.pool_id)
user_counts = st.dictionaries(st.sampled_from(["p1", "p2", "p3", "p9"]), st.integers(0, 3))


@given(candidate_lists, user_counts)
def test_the_choice_is_the_best_pool_with_room(
    candidates: list[PoolLoad], spread: dict[str, int]
) -> None:
    chosen = choose_pool(candidates, spread)
    with_room = [c for c in candidates if c.load < c.capacity]
    if not with_room:
        assert chosen is None
        return
    winner = next(c for c in with_room if c.pool_id == chosen)
    for other in with_room:
        mine, theirs = spread.get(winner.pool_id, 0), spread.get(other.pool_id, 0)
        assert mine <= theirs
        if mine == theirs:
            assert Fraction(winner.load, winner.capacity) <= Fraction(other.load, other.capacity)


@given(candidate_lists, user_counts)
def test_the_choice_does_not_depend_on_the_order(
    candidates: list[PoolLoad], spread: dict[str, int]
) -> None:
    assert choose_pool(candidates, spread) == choose_pool(list(reversed(candidates)), spread)
