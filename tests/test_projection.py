from framing.projection import labels_sentence, project


def test_span_inside_a_sentence_labels_it():
    assert project([(0, 50), (51, 100)], [(10, 20, "doubt")]) == [{"doubt"}, set()]


def test_span_across_sentences_labels_each_it_substantially_covers():
    # covers the end of the first sentence (30 of 50 chars) and all of the second
    assert project([(0, 50), (51, 70), (71, 200)], [(20, 70, "loaded-language")]) == [
        {"loaded-language"}, {"loaded-language"}, set()]


def test_span_grazing_a_neighbour_does_not_label_it():
    # untrimmed gold: the span runs 2 characters into the next sentence
    assert project([(0, 40), (41, 120)], [(5, 43, "name-calling")]) == [{"name-calling"}, set()]
    assert not labels_sentence(41, 120, 5, 43)


def test_no_overlap_no_label():
    assert project([(0, 10)], [(10, 20, "doubt")]) == [set()]
