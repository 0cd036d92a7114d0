"""Connection checks for the config flow: real server for success and refusal, fakes for codes."""

from homeassistant.core import HomeAssistant
import pytest

from custom_components.energy_correlator.influx.validation import (
    InfluxValidationError,
    async_validate_influx,
)

from .victoria import (
    TOKEN,
    FakeInflux,
    Victoria,
    fake_influx_fixture,  # noqa: F401 - the `fake_influx` fixture
    free_port,
    victoria_fixture,  # noqa: F401 - the `victoria` fixture
)


async def test_real_server_accepts(hass: HomeAssistant, victoria: Victoria) -> None:
    """A reachable server that accepts the (empty) write passes."""
    await async_validate_influx(hass, victoria.url + "/", TOKEN, "home", "energy", True)


async def test_writes_nothing_and_sends_the_token(
    hass: HomeAssistant, fake_influx: FakeInflux
) -> None:
    """The check is one empty write to the right bucket and org with the token."""
    await async_validate_influx(hass, fake_influx.url, TOKEN, "home", "energy", True)
    (request,) = fake_influx.requests
    assert request.headers["Authorization"] == f"Token {TOKEN}"
    assert request.query["bucket"] == "energy"
    assert request.query["org"] == "home"
    assert fake_influx.accepted == []


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (401, "invalid_auth"),
        (403, "no_write_permission"),
        (404, "bucket_not_found"),
        (500, "cannot_connect"),
        (302, "cannot_connect"),
    ],
)
async def test_status_codes(
    hass: HomeAssistant, fake_influx: FakeInflux, status: int, reason: str
) -> None:
    """Each refusal maps to its config flow error key."""
    fake_influx.status_for = lambda _body: status
    with pytest.raises(InfluxValidationError) as err:
        await async_validate_influx(hass, fake_influx.url, "wrong", "home", "energy", True)
    assert err.value.reason == reason


@pytest.mark.parametrize("status", [400, 422])
async def test_empty_body_refused_still_passes(
    hass: HomeAssistant, fake_influx: FakeInflux, status: int
) -> None:
    """A server that only dislikes the empty body has accepted token and bucket."""
    fake_influx.status_for = lambda _body: status
    await async_validate_influx(hass, fake_influx.url, TOKEN, "home", "energy", True)


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}", "not a url", "ftp://127.0.0.1:1"])
async def test_cannot_connect(hass: HomeAssistant, url: str) -> None:
    """Nobody listening, or no usable URL: cannot_connect."""
    with pytest.raises(InfluxValidationError) as err:
        await async_validate_influx(
            hass, url.format(port=free_port()), TOKEN, "home", "energy", True
        )
    assert err.value.reason == "cannot_connect"
    assert TOKEN not in str(err.value)
