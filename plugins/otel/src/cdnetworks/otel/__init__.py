"""OpenTelemetry traces and metrics for the CDNetworks SDK for Python.

Installed (``pip install cdnetworks-sdk[otel]``), it is loaded by every client through its
``cdnetworks.plugins`` entry point, and records into the global tracer and meter providers the
application configures. ``Client(plugins=[OpenTelemetryPlugin(...)])`` registers a configured
instance instead (providers of its own, trace context propagation), replacing the default one.
See the SDK's "Tracing and metrics with OpenTelemetry" page for the spans and metrics.
"""

from __future__ import annotations

from ._version import __version__
from .hooks import OpenTelemetryPlugin

__all__ = ["OpenTelemetryPlugin", "__version__", "plugin"]

#: The instance the ``cdnetworks.plugins`` entry point hands to every client.
plugin = OpenTelemetryPlugin()
