"""Moved to :mod:`micrograd_plus.viz.player`.

This path keeps working for one release, with a DeprecationWarning.
"""

import warnings

from micrograd_plus.viz.player import PLAYER_OPTIONS, page, player_data, read_page, script_json, write_player

__all__ = ["PLAYER_OPTIONS", "page", "player_data", "read_page", "script_json", "write_player"]

warnings.warn(
    "micrograd_plus.player moved: import from micrograd_plus.viz.player instead; the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
