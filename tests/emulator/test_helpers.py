"""The testing helpers users reach for: the pytest fixtures, respx, and httpx.MockTransport."""

from __future__ import annotations

import httpx
import pytest
import respx

from cdnetworks.core import Client, ProtocolError, ThrottledError
from cdnetworks.core.emulator import Drop, Emulator, EmulatorServer
from tests.conftest import Mode

from .conftest import NO_RETRY


def test_fixture_has_every_installed_service(cdnetworks_emulator: Emulator) -> None:
    assert "imagemanage" in cdnetworks_emulator.services
    assert cdnetworks_emulator.access_key == "AKEMULATOR"
    assert cdnetworks_emulator.throttle is None


@pytest.mark.cdnetworks_emulator(throttle=True, access_key="AKMARK", secret_key="sk-mark", seed=9)
def test_marker_passes_options(cdnetworks_emulator: Emulator) -> None:
    assert cdnetworks_emulator.throttle is not None
    assert cdnetworks_emulator.client_kwargs()["access_key"] == "AKMARK"
    assert cdnetworks_emulator.seed == 9
    kwargs = cdnetworks_emulator.client_kwargs()
    with Client(
        **kwargs, transport=cdnetworks_emulator.transport(), load_entry_points=False, retry=NO_RETRY
    ) as client:
        for _ in range(30):
            client.invoke("GET", "/vmp/images")
        with pytest.raises(ThrottledError):
            client.invoke("GET", "/vmp/images")


def test_server_fixture(cdnetworks_emulator_server: EmulatorServer) -> None:
    with Client(**cdnetworks_emulator_server.client_kwargs(), load_entry_points=False) as client:
        assert client.invoke("GET", "/vmp/images").status_code == 200


def test_respx_router_answers_from_the_emulator(mode: Mode, cdnetworks_emulator: Emulator) -> None:
    with respx.mock(assert_all_called=True) as router:
        route = cdnetworks_emulator.mock(router)
        client = mode.client(**cdnetworks_emulator.client_kwargs())
        result = mode.run(client.invoke, "GET", "/vmp/images", params={"limit": 3})
    assert len(result.data["images"]) == 3
    assert result.request_id
    assert route.call_count == 1


def test_respx_sees_the_emulators_dropped_connection(cdnetworks_emulator: Emulator) -> None:
    cdnetworks_emulator.faults.add(Drop(), calls=[1])
    with respx.mock() as router:
        cdnetworks_emulator.mock(router)
        with (
            Client(
                **cdnetworks_emulator.client_kwargs(), load_entry_points=False, retry=NO_RETRY
            ) as c,
            pytest.raises(ProtocolError),
        ):
            c.invoke("GET", "/vmp/images")


def test_handle_works_as_a_mock_transport_handler(cdnetworks_emulator: Emulator) -> None:
    transport = httpx.MockTransport(cdnetworks_emulator.handle)
    with Client(
        **cdnetworks_emulator.client_kwargs(), transport=transport, load_entry_points=False
    ) as client:
        assert client.invoke("GET", "/vmp/images").status_code == 200
