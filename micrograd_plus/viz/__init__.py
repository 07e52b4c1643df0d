"""Seeing a graph: DOT drawings, step-by-step explanations, the matrix view, the player and the training page.

``graph_view`` is the one walk of a graph (order, names, roles, layout) that the others read;
``drawing`` writes DOT text and renders it with graphviz (``draw_dot``, ``to_dot``, ``render``).
"""

from micrograd_plus.viz.drawing import HIGHLIGHT, DrawOptions, dot_lines, draw_dot, drawing_options, render, to_dot

__all__ = ["HIGHLIGHT", "DrawOptions", "dot_lines", "draw_dot", "drawing_options", "render", "to_dot"]
