"""The price book: fixed, or a price sensor's values as a step function of time."""

import numpy as np
import pytest

from custom_components.energy_correlator.consumption import HOUR, HourlySeries
from custom_components.energy_correlator.meters.price import PRICE_HORIZON_S, PriceBook


def _series(start: float, values: list[float]) -> HourlySeries:
    n = len(values)
    return HourlySeries(
        start, np.asarray(values, float), np.zeros(n, bool), np.zeros(n, bool), np.ones(n, bool)
    )


def test_fixed_price() -> None:
    """A fixed price is always known and prices every hour."""
    book = PriceBook(0.3, None)
    assert book.priced
    assert book.current == 0.3
    assert book.price_at(0.0) == 0.3
    assert book.cost(_series(0.0, [1.0, 2.0])) == pytest.approx(0.9)


def test_no_price() -> None:
    """Without a price the meter has no cost."""
    book = PriceBook(None, None)
    assert not book.priced
    assert book.current is None


def test_entity_prices_each_hour_at_its_start() -> None:
    """Hours are priced at the price in force when they start; earlier hours cost nothing."""
    book = PriceBook(None, "sensor.price")
    assert book.cost(_series(0.0, [1.0])) is None  # never reported yet
    book.record(HOUR, 2.0)
    book.record(HOUR, 2.0)  # the same value again changes nothing
    book.record(3 * HOUR + 5, 3.0)
    book.record(2 * HOUR, 9.0)  # out of order: the newer value stays
    assert book.since == HOUR
    assert book.price_at(0.0) is None
    assert book.price_at(3 * HOUR + 10) == 3.0
    # hour 0: before the first price (0); hours 1-3 at 2.0 (hour 3 starts before 3.0 came); 4 at 3.0
    assert book.cost(_series(0.0, [1.0, 1.0, 1.0, 1.0, 1.0])) == pytest.approx(9.0)
    assert book.cost(_series(0.0, [])) == 0.0


def test_unavailable_entity_means_unknown_cost() -> None:
    """While the sensor is unavailable, the cost is unknown; back, the old prices stay."""
    book = PriceBook(None, "sensor.price")
    book.record(0.0, 2.0)
    book.record(HOUR, None)
    assert not book.available
    assert book.current is None
    assert book.cost(_series(0.0, [1.0])) is None
    book.record(2 * HOUR, 2.5)
    assert book.current == 2.5
    assert book.cost(_series(0.0, [1.0, 1.0, 1.0])) == pytest.approx(2.0 + 2.0 + 2.5)


def test_old_prices_are_forgotten_and_the_book_round_trips() -> None:
    """Changes older than the horizon go (the latest before it stays); the store keeps the rest."""
    book = PriceBook(None, "sensor.price")
    for day in range(100):
        book.record(day * 86_400.0, 1.0 + day % 2)
    changes = book.to_list()
    assert changes[-1][0] - changes[1][0] <= PRICE_HORIZON_S
    restored = PriceBook(None, "sensor.price")
    restored.load(changes)
    assert restored.to_list() == changes
    assert restored.price_at(99 * 86_400.0) == book.price_at(99 * 86_400.0)
