"""A signature-checking CDNetworks API emulator for tests and offline work.

::

    from cdnetworks.core import Client
    from cdnetworks.core.emulator import Emulator

    emu = Emulator()                    # every installed product's emulated service
    with Client(**emu.client_kwargs(), transport=emu.transport()) as client:
        client.invoke("GET", "/vmp/images", params={"limit": 5})

    with emu.serve(port=8080) as server:   # a real HTTP server on loopback
        print(server.endpoint)

The emulator accepts the keys ``AKEMULATOR`` / ``sk-emulator`` unless given others. Generic
parts (signature check, request ids, throttling, faults, serving) live here; each product's
behaviour lives in its own package and is found through the ``cdnetworks.emulators`` entry points.
"""

from .app import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    IN_PROCESS_ENDPOINT,
    Answer,
    ClientKwargs,
    Emulator,
    Exchange,
)
from .auth import TIMESTAMP_WINDOW
from .clock import EmulatorClock
from .faults import (
    Drop,
    Empty,
    ErrorBurst,
    Fault,
    FaultInjector,
    FaultRule,
    Html,
    Latency,
    Malformed,
)
from .server import EmulatorServer
from .services import (
    SERVICES_GROUP,
    EmulatorRequest,
    EmulatorService,
    Reply,
    Route,
    ServiceContext,
    ServiceError,
    load_services,
)
from .throttle import ThrottleLimits
from .transports import AsyncEmulatorTransport, EmulatorTransport

__all__ = [
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_SECRET_KEY",
    "IN_PROCESS_ENDPOINT",
    "SERVICES_GROUP",
    "TIMESTAMP_WINDOW",
    "Answer",
    "AsyncEmulatorTransport",
    "ClientKwargs",
    "Drop",
    "Empty",
    "Emulator",
    "EmulatorClock",
    "EmulatorRequest",
    "EmulatorServer",
    "EmulatorService",
    "EmulatorTransport",
    "ErrorBurst",
    "Exchange",
    "Fault",
    "FaultInjector",
    "FaultRule",
    "Html",
    "Latency",
    "Malformed",
    "Reply",
    "Route",
    "ServiceContext",
    "ServiceError",
    "ThrottleLimits",
    "load_services",
]
