from hypothesis import given, settings
from hypothesis import strategies as st

from framing.boilerplate import line_reason
from framing.segment import segment


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_offsets_reproduce_the_text_on_arbitrary_unicode(text):
    sentences = segment(text)
    last_end = 0
    for i, s in enumerate(sentences):
        assert text[s.start : s.end] == s.text
        assert s.text and s.text == s.text.strip()
        assert s.start >= last_end and s.index == i
        last_end = s.end


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["Mr. Smith said so.", "U.S. forces left!", "\n", "\r\n", " ", "Why?", "3.5 pct",
                                 "\u2028", "\u00a0", "\u201cQuote.\u201d", "e.g. this"]), max_size=30))
def test_offsets_on_news_like_pieces(parts):
    text = "".join(parts)
    for s in segment(text):
        assert text[s.start : s.end] == s.text


def test_headlines_without_punctuation_stay_separate():
    text = "Russia and China sign deal\n\nThe deal was signed in Moscow. Mr. Xi attended."
    assert [s.text for s in segment(text)] == [
        "Russia and China sign deal", "The deal was signed in Moscow.", "Mr. Xi attended."]


def test_crlf_offsets():
    text = "First line.\r\nSecond line here.\r\n"
    assert [text[s.start:s.end] for s in segment(text)] == ["First line.", "Second line here."]


def test_boilerplate_lines_are_flagged_and_content_is_not():
    assert line_reason("Support Russia Insider - Go Ad-Free!") == "banner"
    assert line_reason("This post first appeared on Russia Insider") == "repost-notice"
    assert line_reason("Leave a Reply") == "comment-form"
    assert line_reason("You are commenting using your Google account. Log Out /  Change )") == "comment-form"
    assert line_reason("Sign in") == "login"
    for content in ["Readers who subscribe to the theory of a multipolar world will be pleased.",
                    "He said he would leave a reply to the letter on Monday.",
                    "Popular news outlets ignored the summit entirely."]:
        assert line_reason(content) is None


def test_teaser_block_after_popular_news_is_skipped():
    text = "Real article sentence.\n\nPopular News\n\nCelebrity diet shocks fans\n\nAnother teaser."
    marks = [(s.text, s.skipped) for s in segment(text)]
    assert marks[0] == ("Real article sentence.", None)
    assert all(reason == "teaser" for _, reason in marks[1:])
