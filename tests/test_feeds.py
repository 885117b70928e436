import gzip
import io
import json

from framing.readers import iter_items


def write_warc(path, pages, gz=True):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=gz)
        for url, body, ctype in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.0")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
            writer.write_record(record)


def test_warc_reader_yields_html_responses_only(tmp_path):
    warc = tmp_path / "crawl.warc.gz"
    write_warc(warc, [
        ("http://a/1", b"<html><body><p>First page.</p></body></html>", "text/html; charset=utf-8"),
        ("http://a/img", b"\x89PNG...", "image/png"),
        ("http://a/2", "<html><body><p>Caf\u00e9 page.</p></body></html>".encode("latin-1"), "text/html; charset=latin-1"),
        ("http://a/3", b"<html>\xff\xfe broken</html>", "text/html; charset=utf-8"),
    ])
    items = list(iter_items([warc]))
    assert [i.id for i in items] == ["http://a/1", "http://a/2", "http://a/3"]
    assert "First page" in items[0].html and "Caf\u00e9" in items[1].html
    assert items[2].error and "undecodable" in items[2].error


def test_truncated_warc_keeps_the_complete_records(tmp_path):
    warc = tmp_path / "t.warc.gz"
    write_warc(warc, [(f"http://a/{i}", b"<html><body><p>x</p></body></html>", "text/html") for i in range(3)])
    data = warc.read_bytes()
    warc.write_bytes(data[: len(data) // 2])
    items = list(iter_items([warc]))  # no exception
    assert items and items[0].id == "http://a/0" and items[0].error is None


def test_atom_feed_and_csv_with_embedded_newlines(tmp_path):
    atom = tmp_path / "f.atom"
    atom.write_text('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
                    '<entry><id>urn:1</id><title>E1</title><link href="http://e/1"/>'
                    '<content type="html">&lt;p&gt;Entry one body.&lt;/p&gt;</content></entry>'
                    '<entry><id>urn:2</id><title>E2</title></entry></feed>', encoding="utf-8")
    csv_path = tmp_path / "c.csv"
    csv_path.write_text('id,text\nx1,"Line one.\nLine ""two""."\nx2,\n', encoding="utf-8")
    items = {i.id: i for i in iter_items([atom, csv_path])}
    assert items["urn:1"].url == "http://e/1" and "Entry one body" in items["urn:1"].html
    assert items["urn:2"].error
    assert items["x1"].text == 'Line one.\nLine "two".'
    assert "empty" in items["x2"].error


def test_unknown_missing_and_gzip_garbage_inputs(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"\x00\x01")
    bad_gz = tmp_path / "y.warc.gz"
    bad_gz.write_bytes(gzip.compress(b"not a warc at all")[:10])
    jsonl = tmp_path / "z.jsonl"
    jsonl.write_text(json.dumps({"id": "ok", "text": "Fine."}) + "\n", encoding="utf-8")
    items = list(iter_items([tmp_path / "x.bin", tmp_path / "missing.jsonl", bad_gz, jsonl]))
    assert "unknown input kind" in items[0].error and "jsonl (.jsonl" in items[0].error
    assert "no such file" in items[1].error
    assert items[2].error
    assert items[-1].id == "ok" and items[-1].error is None
