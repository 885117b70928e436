from collections import Counter, defaultdict

import pytest

from framing.agreement import agreement
from framing.annotations import FRAMES_FILE, SECOND_PASS_FILE, load_frame_rows, read_tsv
from framing.errors import AnnotationError


def test_every_annotation_resolves_to_its_text(data_dir):
    rows = load_frame_rows(data_dir)  # raises AnnotationError on any offset/hash mismatch
    assert len(rows) == len(read_tsv(FRAMES_FILE))
    assert all(row["text"].strip() for _, row in rows)


def test_counts_stated_in_the_issue():
    recs = read_tsv(FRAMES_FILE)
    real = [r for r in recs if r["source"] != "synthetic"]
    assert len(real) >= 2000
    positives = Counter(label for r in real for label in r["frames"].split(",") if label != "none")
    assert positives["anti-hegemony"] >= 150 and positives["discrediting-the-west"] >= 150
    assert sum(r["frames"] == "none" for r in real) >= 800
    assert sum(r["split"] == "test" for r in real) >= 400
    assert len(read_tsv(SECOND_PASS_FILE)) >= 300


def test_splits_do_not_share_documents_and_respect_the_protocol():
    splits = defaultdict(set)
    for r in read_tsv(FRAMES_FILE):
        splits[(r["source"], r["doc_id"])].add(r["split"])
        if r["source"] in ("seeds", "ptc-test"):
            assert r["split"] == "test"
        if r["source"] == "synthetic":
            assert r["split"] == "train"
    shared = {doc: s for doc, s in splits.items() if len(s) > 1}
    assert not shared


def test_seed_sentences_carry_both_families():
    seeds = [r for r in read_tsv(FRAMES_FILE) if r["source"] == "seeds"]
    assert len(seeds) >= 100 and all(r["techniques"] for r in seeds)


def test_agreement_is_computed_per_frame():
    result = agreement()
    assert result["sentences"] >= 300
    assert set(result["frames"]) == {"anti-hegemony", "discrediting-the-west", "praise-of-partnership"}


def test_moved_offset_fails_loudly(data_dir, tmp_path):
    lines = FRAMES_FILE.read_text(encoding="utf-8").splitlines()
    header = [x for x in lines if x.startswith("source\t")]
    row = next(x for x in lines if x.startswith("euvsdisinfo\t")).split("\t")
    row[3] = str(int(row[3]) - 1)  # the end offset no longer matches the judged text
    broken = tmp_path / "frames.tsv"
    broken.write_text("\n".join(header + ["\t".join(row)]) + "\n", encoding="utf-8")
    with pytest.raises(AnnotationError, match="no longer matches"):
        load_frame_rows(data_dir, broken)


def test_semeval2025_documents_are_unique_and_carry_their_narratives(data_dir):
    """The resolver joins three folders by file name, so a name may occur in one of them only; the
    narratives are the document labels the article-level frame score is evaluated against."""
    from framing.corpora import SEMEVAL2025_SPLITS, read_semeval2025

    docs = {split: read_semeval2025(data_dir, split) for split in SEMEVAL2025_SPLITS}
    ids = [d.doc_id for split in docs for d in docs[split]]
    assert len(ids) == len(set(ids)) == 198 + 40 + 98
    assert all(d.meta["narratives"] for d in docs["train"] + docs["dev"])
    assert not any(d.meta["narratives"] for d in docs["test-unlabelled"])
    dev_dw = [d for d in docs["dev"] if "URW: Discrediting the West, Diplomacy" in d.meta["narratives"]]
    assert len(dev_dw) == 9  # PROVENANCE.md's count


def test_agreement_is_reported_per_group_of_sources():
    """Kappa of the cross-source news (guideline v3) stands apart from the earlier sources'."""
    from framing.agreement import agreement_by_group

    groups = agreement_by_group()
    assert set(groups) == {"earlier sources (guideline v2)", "semeval2025 (guideline v3)"}
    assert groups["semeval2025 (guideline v3)"]["sentences"] >= 300
    assert sum(g["sentences"] for g in groups.values()) == agreement()["sentences"]


def test_semeval2025_annotations_keep_the_protocol():
    """Every sentence of the 40 dev documents is a test row; train/test-unlabelled documents give
    train and dev rows, split by document, at least 2,000 of them."""
    rows = [r for r in read_tsv(FRAMES_FILE) if r["source"] == "semeval2025"]
    test = [r for r in rows if r["split"] == "test"]
    other = [r for r in rows if r["split"] != "test"]
    assert len({r["doc_id"] for r in test}) == 40 and len(test) >= 1000
    assert len(other) >= 2000 and {r["split"] for r in other} == {"train", "dev"}
    assert not {r["doc_id"] for r in test} & {r["doc_id"] for r in other}
    split_of = {}
    for r in other:
        assert split_of.setdefault(r["doc_id"], r["split"]) == r["split"]
