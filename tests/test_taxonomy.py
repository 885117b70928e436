from framing.taxonomy import load_taxonomy

TECHNIQUES = ["loaded-language", "name-calling", "repetition", "exaggeration-minimisation", "doubt", "appeal-to-fear",
              "flag-waving", "causal-oversimplification", "slogans", "appeal-to-authority", "black-and-white-fallacy",
              "thought-terminating-cliches", "whataboutism-strawman-red-herring", "bandwagon-reductio-ad-hitlerum"]
FRAMES = ["anti-hegemony", "discrediting-the-west", "praise-of-partnership"]


def test_label_ids_are_exactly_the_agreed_ones():
    tax = load_taxonomy()
    assert tax.family_ids("technique") == TECHNIQUES
    assert tax.family_ids("frame") == FRAMES
    assert all(label.definition and label.name for label in tax.labels)


def test_every_corpus_label_is_mapped_or_explicitly_unmapped():
    tax = load_taxonomy()
    sizes = {"semeval2020": 14, "nlp4if2019": 18, "semeval2021": 20, "semeval2023": 23}
    for corpus, n in sizes.items():
        assert len(tax.mapper(corpus)) == n, corpus
    assert tax.map_name("semeval2023", "False_Dilemma-No_Choice") == "black-and-white-fallacy"
    assert tax.map_name("semeval2021", "Smears") is None


def test_mappings_cover_the_corpus_label_files(data_dir):
    tax = load_taxonomy()
    files = {
        "semeval2020": data_dir / "ptc-semeval2020-task11/propaganda-techniques-names-semeval2020task11.txt",
        "nlp4if2019": data_dir / "ptc-semeval2020-task11/propaganda-techniques-names.txt",
        "semeval2021": data_dir / "semeval2021-task6-memes/techniques_list_task1-2.txt",
        "semeval2023": data_dir / "semeval2023-task3-en/techniques_subtask3.txt",
    }
    for corpus, path in files.items():
        names = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        assert set(names) == set(tax.mapper(corpus)), corpus
