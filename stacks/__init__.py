"""Meridian's stacks. `constructs_lib` comes first: it installs the fast bindings loader before any
stack module imports a provider class."""

import constructs_lib  # noqa: F401
