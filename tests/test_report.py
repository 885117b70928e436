import json
from html.parser import HTMLParser

from framing.report import articles_report

HOSTILE = "<script>alert('x')</script> & <img src=x onerror=alert(1)>"


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.h2 = [], []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_h2 = tag == "h2"

    def handle_data(self, data):
        if self._in_h2:
            self.h2.append(data)
            self._in_h2 = False


def _records(path):
    sentences = [
        {"doc": "d1", "index": 0, "start": 0, "end": 10, "text": HOSTILE, "labels": ["loaded-language"],
         "scores": {"loaded-language": 0.9, "doubt": 0.1}, "skipped": None},
        {"doc": "d1", "index": 1, "start": 11, "end": 20, "text": "Leave a Reply", "labels": [], "scores": None,
         "skipped": "comment-form"},
    ]
    recs = [
        {"id": "d1", "title": "<b>bold title</b>", "status": "scored", "propaganda_index": 50.0, "sentences": sentences,
         "aggregates": {"loaded-language": {"share": 1.0, "count": 1, "max": 0.9},
                        "doubt": {"share": 0, "count": 0, "max": 0.1}}},
        {"id": "d2", "status": "error", "error": "invalid JSON <here>"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    return path


def test_article_report_escapes_and_has_sections(tmp_path):
    html = articles_report(_records(tmp_path / "b.jsonl"))
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold title&lt;/b&gt;" in html and "invalid JSON &lt;here&gt;" in html
    parser = Collect()
    parser.feed(html)
    assert {"Label distribution over articles", "Top articles per label", "Articles"} <= set(parser.h2)
    assert "svg" in parser.tags and "script" not in parser.tags
    assert "class='sent skipped'" in html and "loaded-language" in html


def test_model_report_sections(toy_baseline_dir, data_dir):
    from framing.report import model_report

    html = model_report([toy_baseline_dir], data_dir)
    parser = Collect()
    parser.feed(html)
    assert "dev / ptc" in parser.h2 and "test / semeval2023" in parser.h2
    assert "Precision-recall curves (dev)" in parser.h2
    assert parser.tags.count("svg") >= 3 and "script" not in parser.tags
