import numpy as np

from framing.corpora import Document, Span
from framing.fragments import span_fragments

OUTPUTS = ["loaded-language", "name-calling", "flag-waving", "anti-hegemony", "any-technique"]


def test_fragments_group_exact_spans_and_mask_everything_but_techniques():
    text = "The corrupt  elite\nbetrayed our great nation. The corrupt elite lied."
    first, nation, again = 4, text.index("our great"), text.rindex("corrupt")
    doc = Document("ptc", "1", text, [
        Span(first, first + 14, "loaded-language"), Span(first, first + 14, "name-calling"),  # two labels
        Span(nation, nation + 16, "flag-waving"),
        Span(again, again + 13, "loaded-language"), Span(again, again + 13, "name-calling"),  # a repeat
    ])
    texts, y, m = span_fragments([doc], OUTPUTS)
    assert texts == ["corrupt elite", "our great nation"]  # whitespace normalised, repeat dropped
    assert y.tolist() == [[True, True, False, False, False], [False, False, True, False, False]]
    # frames and the any-technique decision are not annotated by a fragment
    assert m.tolist() == [[True, True, True, False, False]] * 2


def test_no_spans_no_fragments():
    texts, y, m = span_fragments([Document("ptc", "2", "Plain text.")], OUTPUTS)
    assert texts == [] and y.shape == (0, len(OUTPUTS)) and m.shape == y.shape and not np.any(m)
