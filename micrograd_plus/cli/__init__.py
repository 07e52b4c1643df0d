"""The ``micrograd-plus`` command line (also ``python -m micrograd_plus``): ``commands`` holds its parser
and subcommands, ``expressions`` the safe parser of the arithmetic it explains and draws."""

from micrograd_plus.cli.commands import main

__all__ = ["main"]
