"""How wide a flowchart's text is, and the lines a step's label is wrapped to: the one estimate
the layout sizes boxes with, the renderer draws with and the tests check against. The SVG is
an image, so the server cannot ask the browser; the estimate errs on the wide side for the
system sans-serif fonts."""

from __future__ import annotations

NODE_W = 184
INSET = 18  # text keeps this far from a box's sides (the question hexagon's points are 14)
LINE = 15  # between lines of a step's label
NOTE_LINE = 14  # the heatmap's count line under a label
PAD_Y = 12  # above the first line and below the last
MAX_LINES = 3
FONT = 12
LABEL_FONT = 11
NOTE_FONT = 10.5
LABEL_H = 18  # an answer's box on its arrow, one line
LABEL_LINE = 13  # each further line
LABEL_PAD = 5
LABEL_ROOM = 150  # the widest line of an answer

_NARROW = set("iljtfrI.,:;'!|()[] ")
_WIDE = set("mwMW@%")


def text_width(text: str, size: float = FONT, bold: bool = False) -> float:
    """Estimated width in pixels of ``text`` at ``size``."""
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.32
        elif ch in _WIDE:
            em += 0.9
        elif ch.isupper() or ch.isdigit():
            em += 0.68 if ch.isupper() else 0.58
        else:
            em += 0.56
    return em * size * (1.07 if bold else 1.0)


def inner_width(w: float = NODE_W) -> float:
    """The room a line of a step's label has."""
    return w - 2 * INSET


def _shorten(text: str, room: float, size: float, bold: bool) -> str:
    while text and text_width(text + "…", size, bold) > room:
        text = text[:-1].rstrip()
    return text + "…"


def wrap(text: str, room: float | None = None, size: float = FONT, bold: bool = False) -> list[str]:
    """``text`` in at most MAX_LINES lines that each fit ``room``; the last one is cut with
    an ellipsis when the text is longer (the step's tooltip has it whole)."""
    room = room or inner_width()
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size, bold) <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word if text_width(word, size, bold) <= room else
                         _shorten(word, room, size, bold))  # fmt: skip
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], _shorten(" ".join(lines[MAX_LINES - 1 :]), room,
                                                   size, bold)]  # fmt: skip
    return lines or [""]


def box_height(lines: int, note: bool) -> float:
    """A step's box: its lines of label, and the heatmap's count line when there is one."""
    return max(56.0, 2 * PAD_Y + lines * LINE + (NOTE_LINE if note else 0))


def answer_lines(label: str) -> list[str]:
    """An answer as shown on its arrow: up to two lines (the full answer is its tooltip)."""
    lines = wrap(label, LABEL_ROOM, LABEL_FONT)
    if len(lines) > 2:
        lines = [lines[0], _shorten(" ".join(lines[1:]), LABEL_ROOM, LABEL_FONT, False)]
    return lines


def label_size(label: str) -> tuple[float, float]:
    """The box of an answer on its arrow."""
    lines = answer_lines(label)
    width = max(text_width(line, LABEL_FONT) for line in lines)
    return width + 2 * LABEL_PAD, LABEL_H + (len(lines) - 1) * LABEL_LINE
