"""The pluggy markers of the ``cdnetworks`` project. Plugins decorate hooks with ``hookimpl``."""

import pluggy

PROJECT = "cdnetworks"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
