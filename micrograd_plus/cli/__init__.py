"""The ``micrograd-plus`` command line (also ``python -m micrograd_plus``): ``commands`` holds its parser, ``main``
and the subcommands on one expression (explain, gradcheck, worksheet), ``demo`` the moons demo and the files it
writes, ``expressions`` the safe parser of the arithmetic they explain and draw, and of the ``--at`` values."""

from micrograd_plus.cli.commands import main

__all__ = ["main"]
