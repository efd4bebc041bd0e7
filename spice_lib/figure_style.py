"""One look for every figure: journal column widths, font sizes, line widths and a colour per model.

Plotting functions draw inside `figure_style()` (a context manager that also works as a decorator), so
that a figure looks the same whichever rcParams the caller has set. Sizes are in inches, as matplotlib
takes them.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

# Journal column widths (about 89 mm and 183 mm).
SINGLE_COLUMN = 3.5
DOUBLE_COLUMN = 7.2
# At most this many panels side by side at the double width; more wrap onto further rows.
MAX_COLUMNS = 4

FONT_SIZE = 8
SMALL_FONT_SIZE = 7
# About how many characters of text at FONT_SIZE fill an inch (for wrapping titles to a panel).
CHARACTERS_PER_INCH = 14
LINE_WIDTH = 1.0
# Axes, ticks, reference lines (identity, zero) and intervals.
THIN_LINE_WIDTH = 0.6

# Resolution of the PNGs (for looking at; the vector twin is what goes into a paper).
PNG_DPI = 200

STYLE = {
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE,
    "axes.labelsize": FONT_SIZE,
    "figure.titlesize": FONT_SIZE + 1,
    "xtick.labelsize": SMALL_FONT_SIZE,
    "ytick.labelsize": SMALL_FONT_SIZE,
    "legend.fontsize": SMALL_FONT_SIZE,
    "legend.frameon": False,
    "lines.linewidth": LINE_WIDTH,
    "axes.linewidth": THIN_LINE_WIDTH,
    "xtick.major.width": THIN_LINE_WIDTH,
    "ytick.major.width": THIN_LINE_WIDTH,
    "axes.spines.top": False,
    "axes.spines.right": False,
    # Constrained layout keeps titles, labels and legends inside the figure's width.
    "figure.constrained_layout.use": True,
}

# The Okabe-Ito colours (told apart with every common colour-vision deficiency), one per model in every
# figure; the classic models (Rescorla-Wagner and its kin) share one.
MODEL_COLORS = {"truth": "#000000", "rnn": "#E69F00", "spice": "#0072B2", "gru": "#009E73"}
CLASSIC_MODEL_COLOR = "#CC79A7"
# The network's line lies under the equations' line, wide and translucent, so that it still shows where
# the two agree.
MODEL_LINE_STYLES = {"rnn": {"linewidth": 2.8 * LINE_WIDTH, "alpha": 0.55, "zorder": 1.5}}
# What is neither a model nor a study: choices, identity lines, legend keys for markers and line styles.
NEUTRAL_COLOR = "0.4"
# Markers that tell seeds apart where colour already names the model.
SEED_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]

# Parameter sets and data sets (never on a figure together with the models' colours).
STUDY_COLORS = plt.get_cmap("Dark2").colors
# Marker areas (points^2): a marker of its own (a choice, a seed's score), one of a cloud of many (drawn
# translucent, so that where they pile up shows), and one of a set small enough to be drawn over a cloud.
MARKER_SIZE = 16
CLOUD_MARKER_SIZE = 9
CLOUD_ALPHA = 0.7
SMALL_SET_MARKER_SIZE = 30
SMALL_SET_EDGE_COLOR = "black"
# Sets with at most this many points in a panel are the ones drawn over the others.
SMALL_SET_POINTS = 3

# Shares from 0 to 1 (the confusion matrices).
SHARE_COLORMAP = "Blues"


def figure_style():
    """The style as an rcParams context: `with figure_style(): ...`, or `@figure_style()` on a function."""
    return plt.rc_context(STYLE)


def model_color(model: str) -> str:
    """A model's colour: its own, or the classic models' shared one."""
    return MODEL_COLORS.get(model, CLASSIC_MODEL_COLOR)


def model_line_style(model: str) -> dict:
    """Keyword arguments of `plot` for a model's line."""
    return {"color": model_color(model), "linewidth": LINE_WIDTH, "zorder": 2} | MODEL_LINE_STYLES.get(model, {})


def study_colors(names) -> dict[str, tuple]:
    """A colour for each parameter set or data set, in order of first appearance."""
    return {name: STUDY_COLORS[i % len(STUDY_COLORS)] for i, name in enumerate(dict.fromkeys(names))}


def grid_columns(n_panels: int) -> int:
    """Columns for `n_panels` panels: at most MAX_COLUMNS, with the rows as evenly filled as can be."""
    rows = -(-n_panels // MAX_COLUMNS)
    return max(1, -(-n_panels // rows)) if n_panels else 1
