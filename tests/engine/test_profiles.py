"""Learned profiles: robust centre, agreement, forgetting, curves, summaries."""

import json
import random

import pytest

from custom_components.energy_correlator.engine import TransitionKind
from custom_components.energy_correlator.engine.book import ProfileBook
from custom_components.energy_correlator.engine.bucket import MAX_OBSERVATIONS
from custom_components.energy_correlator.engine.profiles import (
    CONFIDENT,
    KindProfile,
    _extrapolate_full,
    _interpolate,
    bucket_of,
)
from custom_components.energy_correlator.engine.stats import (
    MAD_SCALE,
    _within as within,
    median,
    percentile,
    robust_centre,
    robust_centre_sorted,
)

from .helpers import event


def test_robust_centre_rejects_outliers() -> None:
    """One fridge-contaminated delta does not move the centre."""
    centre, spread, kept = robust_centre([100.0, 101.0, 99.0, 100.5, 220.0])
    assert centre == pytest.approx(100.25)
    assert kept == 4
    assert spread > 0
    assert robust_centre([5.0, 5.0, 5.0, 9.0]) == (5.0, 0.0, 3)
    assert robust_centre([5.0, 5.0, 5.0]) == (5.0, 0.0, 3)
    assert robust_centre([1.0, 2.0]) == pytest.approx((1.5, 0.7413, 2), rel=1e-3)
    assert median([3.0, 1.0, 2.0, 4.0]) == 2.5
    assert percentile([(10.0, 1.0), (20.0, 1.0), (30.0, 2.0)], 50.0) == 20.0
    assert percentile([(10.0, 1.0)], 150.0) == 10.0
    assert percentile([(10.0, 0.0), (20.0, 0.0)], 100.0) == 10.0


def test_onoff_profile_learns_and_agrees() -> None:
    """On and off deltas agree; confidence grows with agreeing events."""
    profile = KindProfile(TransitionKind.ONOFF)
    confidences = []
    for k in range(10):
        assert profile.add(0.0, 1.0, 100.0 + (k % 3), float(k))
        assert profile.add(1.0, 0.0, -(100.0 - (k % 2)), float(k) + 0.5)
        confidences.append(profile.estimate.confidence)
    estimate = profile.estimate
    assert estimate.learned_w == pytest.approx(100.0, abs=1.0)
    assert estimate.on_delta_w == pytest.approx(101.0, abs=1.0)
    assert estimate.off_delta_w == pytest.approx(99.5, abs=1.0)
    assert confidences[-1] > confidences[0]
    assert estimate.confidence > CONFIDENT
    assert profile.events == 20
    assert profile.last_seen == 9.5
    assert profile.expected_delta(0.0, 1.0) == pytest.approx(100.0, abs=1.0)
    assert profile.delta_at(0.0) == 0.0
    assert not profile.add(0.0, 0.0, 5.0, 1.0)  # not a level change


def test_outlier_rejected_then_replaced_bulb_relearned() -> None:
    """A single far value does not teach; a consistent run of new values takes over."""
    profile = KindProfile(TransitionKind.ONOFF)
    for k in range(8):
        profile.add(0.0, 1.0, 60.0, float(k))
    assert not profile.add(0.0, 1.0, 200.0, 10.0)  # fridge in the window
    assert profile.add(0.0, 1.0, 60.5, 11.0)  # the run is broken
    results = [profile.add(0.0, 1.0, 9.0 + 0.1 * k, 20.0 + k) for k in range(5)]
    assert results[:2] == [False, False]  # nothing agrees with them yet
    assert results[-1]
    assert profile.estimate.learned_w == pytest.approx(9.2)  # the run took the bucket over
    assert len(profile.estimate.modes) == 1


def test_inconsistent_profile_has_low_confidence() -> None:
    """Scattered deltas, few of them, or a non-positive centre give low confidence."""
    profile = KindProfile(TransitionKind.ONOFF)
    for k, value in enumerate((100.0, 70.0, 130.0, 85.0)):
        profile.add(0.0, 1.0, value, float(k), sigma=5.0)
    assert profile.estimate.confidence < CONFIDENT
    assert profile.estimate.uncertainty_w is not None
    assert profile.estimate.uncertainty_w > 5.0  # the scatter, not the claimed 5 W per event
    assert profile.expected_delta(0.0, 1.0) is None
    young = KindProfile(TransitionKind.ONOFF)
    young.add(0.0, 1.0, 100.0, 0.0)  # one event proves little, however clean
    assert young.estimate.confidence < CONFIDENT
    negative = KindProfile(TransitionKind.ONOFF)
    negative.add(0.0, 1.0, -5.0, 0.0)
    assert negative.estimate.confidence == 0.0
    empty = KindProfile(TransitionKind.ONOFF)
    assert empty.estimate.learned_w is None
    assert empty.delta_at(1.0) == 0.0
    assert empty.standby_w is None
    assert empty.reference_w is None


def test_brightness_curve_and_extrapolation() -> None:
    """A dimmer learns watts per level; full power is extrapolated when never seen."""
    profile = KindProfile(TransitionKind.BRIGHTNESS)
    for k in range(5):
        profile.add(0.0, 0.25, 15.0, float(k))
        profile.add(0.5, 0.0, -30.0, float(k))
    estimate = profile.estimate
    assert estimate.learned_w == pytest.approx(60.0)
    assert estimate.curve[-1] == pytest.approx((1.0, 60.0))
    assert profile.delta_at(0.375) == pytest.approx(22.5)
    assert profile.delta_at(0.1) == pytest.approx(6.0)
    assert profile.delta_at(1.0) == pytest.approx(60.0)
    # A change between two non-zero levels fills a bucket nobody reached from off.
    profile.add(0.5, 0.75, 15.0, 9.0)
    assert profile.estimate.curve[2] == pytest.approx((0.75, 45.0))
    profile.add(0.9, 0.5, -24.0, 9.5)
    assert dict(profile.estimate.curve)[0.9] == pytest.approx(54.0)
    single = KindProfile(TransitionKind.FAN_SPEED)
    single.add(0.0, 0.5, 40.0, 0.0)
    assert single.estimate.learned_w == pytest.approx(80.0)
    flat = KindProfile(TransitionKind.FAN_SPEED)
    flat.add(0.0, 0.5, 40.0, 0.0)
    flat.add(0.0, 0.52, 42.0, 0.0)
    assert flat.estimate.learned_w == pytest.approx(80.8, rel=0.01)


def test_media_keeps_its_highest_level_without_scaling() -> None:
    """Idle and playing are states, not a dimmer: no extrapolation."""
    profile = KindProfile(TransitionKind.MEDIA)
    profile.add(0.0, 0.5, 20.0, 0.0)
    assert profile.estimate.learned_w == 20.0
    profile.add(0.0, 1.0, 120.0, 1.0)
    assert profile.estimate.learned_w == 120.0
    assert profile.estimate.curve == ()


def test_reference_and_standby_observations() -> None:
    """The device's own sensor: full steps only count as references."""
    profile = KindProfile(TransitionKind.ONOFF)
    profile.add_reference(0.0, 1.0, 99.0)
    profile.add_reference(0.0, 0.5, 40.0)  # not a full step
    profile.add_standby(0.4)
    assert profile.reference_w == 99.0
    assert profile.standby_w == 0.4


def test_profile_round_trip() -> None:
    """to_dict/from_dict keeps everything, through JSON."""
    profile = KindProfile(TransitionKind.BRIGHTNESS)
    for k in range(6):
        profile.add(0.0, 1.0, 50.0, float(k))
    profile.add(0.0, 1.0, 500.0, 7.0)  # pending in the takeover run
    profile.add(0.5, 1.0, 25.0, 8.0)
    profile.add_reference(0.0, 1.0, 49.0)
    profile.add_standby(0.3)
    restored = KindProfile.from_dict(json.loads(json.dumps(profile.to_dict())))
    assert restored.estimate == profile.estimate
    assert restored.events == profile.events
    assert restored.to_dict() == profile.to_dict()
    with pytest.raises(ValueError, match="not_a_kind"):
        KindProfile.from_dict({"kind": "not_a_kind"})
    assert KindProfile.from_dict({"kind": "onoff"}).last_seen is None


def test_bucket_of() -> None:
    """Levels round to tenths within 0.1..1."""
    assert bucket_of(0.01) == 0.1
    assert bucket_of(0.26) == 0.3
    assert bucket_of(1.5) == 1.0


def test_book_merges_kinds_and_manages_devices() -> None:
    """A device's summary comes from its best-known kind; rename and forget work."""
    book = ProfileBook()
    assert book.summary("fan.x") is None
    assert book.power_at("fan.x", 1.0) is None
    assert book.expected_delta(event("fan.x", 0.0, 0, 1)) is None
    for k in range(6):
        book.teach(event("fan.x", float(k), 0, 0.5, TransitionKind.FAN_SPEED, "fan"), 30.0)
    book.teach(event("fan.x", 10.0, 0, 1), 70.0, ref_before=0.2, ref_after=70.5)
    book.teach(event("fan.x", 11.0, 1, 0), -70.0, ref_before=70.4, ref_after=0.3)
    summary = book.summary("fan.x")
    assert summary is not None
    assert summary.kind is TransitionKind.FAN_SPEED
    assert summary.events == 8
    assert summary.standby_w == pytest.approx(0.25)  # from the on/off kind's plug readings
    assert summary.learned_power_w == pytest.approx(60.25)
    assert summary.curve[0] == pytest.approx((0.5, 30.25))
    assert summary.last_seen == 11.0
    assert book.power_at("fan.x", 0.5) == pytest.approx(30.25)
    assert len(book) == 1
    book.rename("fan.x", "fan.y")
    assert book.entities() == ["fan.y"]
    assert book.kind_profile("fan.y", TransitionKind.ONOFF) is not None
    restored = ProfileBook()
    restored.replace(ProfileBook.parse(json.loads(json.dumps(book.to_dict()))))
    assert restored.summary("fan.y") == book.summary("fan.y")
    book.forget(["fan.y", "missing"])
    assert book.summary("fan.y") is None
    restored.forget(None)
    assert len(restored) == 0


def test_observations_are_bounded_and_helpers_are_safe() -> None:
    """A bucket keeps its most recent values; degenerate curves still give a number."""
    profile = KindProfile(TransitionKind.ONOFF)
    for k in range(MAX_OBSERVATIONS + 8):
        profile.add(0.0, 1.0, 100.0, float(k))
    bucket = profile.buckets[1.0]
    assert len(bucket.values) == MAX_OBSERVATIONS
    assert bucket.times[0] == 8.0
    assert _extrapolate_full([(0.5, 10.0), (0.5, 12.0)]) == pytest.approx(22.0)
    assert _extrapolate_full([(0.0, 10.0), (0.0, 12.0)]) == pytest.approx(11.0)
    assert _extrapolate_full([(0.0, 10.0)]) == 10.0
    assert _interpolate(((0.5, 10.0), (1.0, 20.0)), 1.5) == 20.0
    assert _interpolate(((0.0, 3.0), (1.0, 20.0)), 0.0) == 3.0


def _plain_robust_centre(values: list[float]) -> tuple[float, float, int]:
    """The textbook definition robust_centre must match exactly (no shortcuts)."""
    first = median(values)
    spread = MAD_SCALE * median([abs(v - first) for v in values])
    if spread > 0.0:
        kept = [v for v in values if abs(v - first) <= 3.0 * spread]
    else:
        kept = [v for v in values if v == first] if len(values) > 2 else list(values)
    if len(kept) == len(values):
        return first, spread, len(kept)
    centre = median(kept)
    return centre, MAD_SCALE * median([abs(v - centre) for v in kept]), len(kept)


def test_robust_centre_of_sorted_values_is_exact() -> None:
    """The sorted fast path gives bit-identical results to the plain definition."""
    rng = random.Random(7)
    for trial in range(3000):
        count = rng.randint(1, 34)
        if trial % 3 == 0:
            values = [rng.gauss(100.0, 5.0) for _ in range(count)]
        elif trial % 3 == 1:
            values = [float(rng.randint(0, 4)) for _ in range(count)]
        else:
            values = [
                rng.gauss(100.0, 2.0) + (400.0 if rng.random() < 0.2 else 0.0) for _ in range(count)
            ]
        expected = _plain_robust_centre(values)
        assert robust_centre(values) == expected
        assert robust_centre_sorted(sorted(values)) == expected


def test_media_steps_between_levels_fill_the_idle_level() -> None:
    """A non-curve kind with relative steps: the highest level defines power, no curve."""
    profile = KindProfile(TransitionKind.MEDIA)
    for k in range(3):
        profile.add(0.0, 1.0, 120.0, float(k))
        profile.add(1.0, 0.5, -100.0, float(k) + 0.5)
    shape = profile.shape
    assert shape.learned_w == 120.0
    assert shape.curve == ()
    assert profile.delta_at(0.5) == 120.0


@pytest.mark.parametrize(
    ("centre", "limit", "value"),
    [
        # centre -/+ limit rounds so that bisecting alone would misplace this value
        (16.852976499963688, 77.84448305739957, -60.99150655743589),
        (671.5302078397394, 43.27727402343743, 628.252933816302),
        (-109.22561189039709, 72.15428169404592, -37.07133019635116),
        (527.5492379532282, 25.50764750491643, 553.0568854581446),
    ],
)
def test_values_within_the_limit_survive_rounding(
    centre: float, limit: float, value: float
) -> None:
    """The kept slice applies |v - centre| <= limit exactly, even at a rounding boundary."""
    ordered = sorted([centre - 2 * limit, value, centre, centre + 2 * limit])
    low, high = within(ordered, centre, limit)
    assert ordered[low:high] == [v for v in ordered if abs(v - centre) <= limit]


def test_lessons_keep_the_statistics_a_few_lessons_but_reads_are_exact() -> None:
    """A full bucket refreshes its centre every few lessons; summaries always see every value."""
    profile = KindProfile(TransitionKind.ONOFF)
    for k in range(MAX_OBSERVATIONS):
        profile.add(0.0, 1.0, 100.0, float(k))
    assert profile.delta_at(1.0) == 100.0
    profile.add(0.0, 1.0, 110.0, 40.0)  # agrees (within 15 %), but one lesson moves no median
    profile.add(0.0, 1.0, 110.0, 41.0)
    assert profile.has_shape  # the learned power used for booking did not change yet
    assert profile.delta_at(1.0) == 100.0
    values = [100.0] * (MAX_OBSERVATIONS - 2) + [110.0, 110.0]
    assert profile.estimate.learned_w == robust_centre(values)[0]
    for k in range(MAX_OBSERVATIONS):
        profile.add(0.0, 1.0, 110.0, 50.0 + k)
    assert not profile.has_shape or profile.delta_at(1.0) == 110.0
    assert profile.delta_at(1.0) == 110.0
    assert profile.estimate.learned_w == 110.0


def test_book_without_a_hook_still_drops_a_changed_power() -> None:
    """Used on its own (no energy booking), a book still follows the learned power."""
    book = ProfileBook()
    book.teach(event("switch.a", 0.0, 0, 1), 100.0)
    assert book.power_at("switch.a", 1.0) == 100.0
    book.teach(event("switch.a", 1.0, 1, 0), -200.0)
    assert book.power_at("switch.a", 1.0) == 150.0
