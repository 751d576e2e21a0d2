"""Hooks and plugins: the hookspec contract, the plugin host, and the built-in plugins."""
