"""Seeing a graph: DOT drawings, explanations, the matrix view, the player, the explorer and the training page.

``graph_view`` is the one walk of a graph (order, names, roles, layout) that the others read;
``drawing`` writes DOT text and renders it with graphviz (``draw_dot``, ``to_dot``, ``render``);
``explorer`` writes a page for big graphs (``write_explorer``); ``compare`` matches a graph against
a reference (``compare_graphs``).
"""

from micrograd_plus.viz.compare import GraphComparison, compare_graphs
from micrograd_plus.viz.drawing import HIGHLIGHT, DrawOptions, dot_lines, draw_dot, drawing_options, render, to_dot
from micrograd_plus.viz.explorer import write_explorer

__all__ = [
    "HIGHLIGHT",
    "DrawOptions",
    "GraphComparison",
    "compare_graphs",
    "dot_lines",
    "draw_dot",
    "drawing_options",
    "render",
    "to_dot",
    "write_explorer",
]
