import pytest

from framing.agreement import cohen_kappa


def test_kappa_known_values():
    assert cohen_kappa([True, False, True, False], [True, False, True, False]) == 1.0
    # 2x2 table a=20 b=5 c=10 d=15 -> po=0.7, pe=0.5 -> kappa 0.4
    a = [True] * 25 + [False] * 25
    b = [True] * 20 + [False] * 5 + [True] * 10 + [False] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa([True, True], [True, True]) == 1.0


def test_kappa_when_a_frame_is_constant():
    """A frame both passes never (or always) use: no disagreement, kappa 1.0 and no warning,
    where sklearn alone would give NaN; one pass constant, the other not: chance-level 0."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cohen_kappa([False] * 5, [False] * 5) == 1.0
        assert cohen_kappa([True] * 3, [True] * 3) == 1.0
    assert cohen_kappa([True] * 4, [True, True, False, True]) == pytest.approx(0.0)
    assert cohen_kappa([True] * 3, [False] * 3) == pytest.approx(0.0)
    assert cohen_kappa([], []) != cohen_kappa([], [])  # NaN: nothing was judged


def test_kappa_matches_the_textbook_formula():
    import random

    rng = random.Random(0)
    for _ in range(50):
        n = rng.randint(2, 40)
        a = [rng.random() < 0.3 for _ in range(n)]
        b = [x if rng.random() < 0.8 else not x for x in a]
        po = sum(x == y for x, y in zip(a, b)) / n
        pa, pb = sum(a) / n, sum(b) / n
        pe = pa * pb + (1 - pa) * (1 - pb)
        expected = 1.0 if pe == 1 else (po - pe) / (1 - pe)
        assert cohen_kappa(a, b) == pytest.approx(expected)
