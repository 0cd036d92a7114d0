"""All devices' kind profiles, merged into one ProfileSummary per device (cached).

A lesson changes a device's learned power only now and then (a bucket refreshes its statistics
every few lessons), so the power kept for energy booking is dropped only when it did change,
and `before_change` (the engine books the device's energy up to now) runs just before: the
open interval is valued at the power that held during it, without a recompute per lesson.
"""

from collections.abc import Callable
from typing import Any

from .models import DeviceEvent, PowerMode, ProfileSummary, TransitionKind
from .profiles import KindProfile, Shape, shape_delta

YOUNG_LESSONS = 10  # a profile's first lessons: wider windows on a noisy meter (correlate.py)


class ProfileBook:
    """entity_id -> transition kind -> KindProfile, with per-device summaries."""

    def __init__(self) -> None:
        """No profiles yet."""
        self._profiles: dict[str, dict[TransitionKind, KindProfile]] = {}
        self._summaries: dict[str, ProfileSummary | None] = {}
        # entity_id -> (primary kind's shape, standby W): what power_at needs, kept until a
        # lesson changes it
        self._power: dict[str, tuple[Shape, float]] = {}
        self.before_change: Callable[[str], None] | None = None  # the device's power changes
        # entity_id -> measured power of its running on-period (a device with modes), until
        # its next event: what power_at says while it is on
        self.running: dict[str, float] = {}
        self._grown: set[str] = set()  # devices past their first YOUNG_LESSONS lessons

    def __len__(self) -> int:
        """Devices with at least one profile."""
        return len(self._profiles)

    def entities(self) -> list[str]:
        """Devices with a profile."""
        return list(self._profiles)

    def kind_profile(self, entity_id: str, kind: TransitionKind) -> KindProfile | None:
        """One kind's profile of a device."""
        return self._profiles.get(entity_id, {}).get(kind)

    def young(self, event: DeviceEvent) -> bool:
        """Whether the device is still in its first YOUNG_LESSONS lessons (any kind)."""
        return event.entity_id not in self._grown

    def teach(
        self,
        event: DeviceEvent,
        delta_w: float,
        ref_before: float | None = None,
        ref_after: float | None = None,
        sigma_w: float = 0.0,
    ) -> bool:
        """Teach one measured delta (its standard error, and the device's own sensor's view)."""
        entity_id = event.entity_id
        before_change = self.before_change
        if before_change is not None and entity_id not in self._power:
            before_change(entity_id)  # books at the power in force (working it out if needed)
        kinds = self._profiles.get(entity_id)
        if kinds is None:
            kinds = self._profiles[entity_id] = {}
        profile = kinds.get(event.kind)
        if profile is None:
            profile = kinds[event.kind] = KindProfile(event.kind)
        accepted = profile.add(event.previous_level, event.level, delta_w, event.ts, sigma_w)
        if profile.events >= YOUNG_LESSONS:
            self._grown.add(entity_id)
        if ref_before is not None and ref_after is not None:
            profile.add_reference(event.previous_level, event.level, ref_after - ref_before)
            if event.previous_level <= 0.0:
                profile.add_standby(ref_before)
            elif event.level <= 0.0:
                profile.add_standby(ref_after)
        self._summaries.pop(entity_id, None)
        if (not profile.has_shape or len(kinds) > 1) and entity_id in self._power:
            if before_change is not None:
                before_change(entity_id)  # still at the old power
            del self._power[entity_id]
        return accepted

    def expected_delta(self, event: DeviceEvent) -> float | None:
        """The power step a confident profile predicts for this event, else None."""
        profile = self.kind_profile(event.entity_id, event.kind)
        if profile is None:
            return None
        return profile.expected_delta(event.previous_level, event.level)

    def summary(self, entity_id: str) -> ProfileSummary | None:
        """The device's merged profile (its best-known kind defines learned_power_w)."""
        if entity_id in self._summaries:
            return self._summaries[entity_id]
        kinds = self._profiles.get(entity_id)
        summary = _summarize(entity_id, kinds) if kinds else None
        self._summaries[entity_id] = summary
        return summary

    def power_at(self, entity_id: str, level: float) -> float | None:
        """Learned power at `level`; None while nothing is learned.

        Uses only the primary kind's learned shape (no full summary): energy booking calls
        this at every level change, so that shape and the standby are kept per device until
        a lesson changes them.
        """
        entry = self._power.get(entity_id)
        if entry is None:
            kinds = self._profiles.get(entity_id)
            if not kinds:
                return None
            primary = _primary(kinds)
            entry = self._power[entity_id] = (primary.shape, _standby(primary, kinds) or 0.0)
        shape, standby = entry
        learned = shape.learned_w
        if learned is None:
            return None
        if level <= 0.0:
            return standby
        if self.running and (running := self.running.get(entity_id)) is not None:
            return running
        return (shape_delta(shape, level) if shape.curve else learned) + standby

    def is_modal(self, entity_id: str) -> bool:
        """Whether the device's learned power is one of several modes (cached like power_at)."""
        entry = self._power.get(entity_id)
        if entry is None:
            if self.power_at(entity_id, 0.0) is None:
                return False
            entry = self._power[entity_id]
        return entry[0].modal

    def rename(self, old: str, new: str) -> None:
        """Move a device's profiles to its new entity id."""
        if old in self._profiles:
            self._profiles[new] = self._profiles.pop(old)
        if old in self._grown:
            self._grown.discard(old)
            self._grown.add(new)
        for cache in (self._summaries, self._power):
            cache.pop(old, None)
            cache.pop(new, None)

    def forget(self, entity_ids: list[str] | None) -> None:
        """Drop the profiles of these devices (all when None)."""
        if entity_ids is None:
            self._profiles.clear()
            self._summaries.clear()
            self._power.clear()
            self._grown.clear()
            return
        for entity_id in entity_ids:
            self._grown.discard(entity_id)
            self._profiles.pop(entity_id, None)
            self._summaries.pop(entity_id, None)
            self._power.pop(entity_id, None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            entity_id: [profile.to_dict() for profile in kinds.values()]
            for entity_id, kinds in self._profiles.items()
        }

    @staticmethod
    def parse(data: dict[str, Any]) -> dict[str, dict[TransitionKind, KindProfile]]:
        """Validated profiles from to_dict's output (raises on malformed entries)."""
        parsed: dict[str, dict[TransitionKind, KindProfile]] = {}
        for entity_id, items in data.items():
            kinds: dict[TransitionKind, KindProfile] = {}
            for item in items:
                profile = KindProfile.from_dict(item)
                kinds[profile.kind] = profile
            parsed[str(entity_id)] = kinds
        return parsed

    def replace(self, profiles: dict[str, dict[TransitionKind, KindProfile]]) -> None:
        """Install parsed profiles."""
        self._profiles = profiles
        self._summaries.clear()
        self._power.clear()
        self._grown = {
            entity_id
            for entity_id, kinds in profiles.items()
            if any(p.events >= YOUNG_LESSONS for p in kinds.values())
        }


def _primary(kinds: dict[TransitionKind, KindProfile]) -> KindProfile:
    """The kind that defines the device's power: learned, most events, then by name."""
    if len(kinds) == 1:
        return next(iter(kinds.values()))
    return max(kinds.values(), key=lambda p: (p.shape.learned_w is not None, p.events, str(p.kind)))


def _standby(primary: KindProfile, kinds: dict[TransitionKind, KindProfile]) -> float | None:
    """Standby from the primary kind's own sensor readings, else from any kind's."""
    standby = primary.standby_w
    if standby is None and len(kinds) > 1:
        standby = next((p.standby_w for p in kinds.values() if p.standby_w is not None), None)
    return standby


def _summarize(entity_id: str, kinds: dict[TransitionKind, KindProfile]) -> ProfileSummary:
    primary = _primary(kinds)
    estimate = primary.estimate
    standby = _standby(primary, kinds)
    offset = standby or 0.0
    learned = None if estimate.learned_w is None else estimate.learned_w + offset
    reference = primary.reference_w
    reference_power = None if reference is None else reference + offset
    error = None
    if learned is not None and reference_power is not None and reference_power > 0:
        error = 100.0 * abs(learned - reference_power) / reference_power
    seen = [p.last_seen for p in kinds.values() if p.last_seen is not None]
    return ProfileSummary(
        entity_id=entity_id,
        kind=primary.kind,
        learned_power_w=learned,
        confidence=round(estimate.confidence, 4),
        events=sum(p.events for p in kinds.values()),
        on_delta_w=estimate.on_delta_w,
        off_delta_w=estimate.off_delta_w,
        spread_w=estimate.spread_w,
        standby_w=standby,
        last_seen=max(seen) if seen else None,
        curve=tuple((level, watts + offset) for level, watts in estimate.curve),
        reference_power_w=reference_power,
        validation_error_pct=error,
        uncertainty_w=estimate.uncertainty_w,
        modes=tuple(
            PowerMode(power_w=watts + offset, events=events, share=round(share, 4))
            for watts, events, share in estimate.modes
        ),
    )
