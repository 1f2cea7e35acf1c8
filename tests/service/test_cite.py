"""``GET /cite`` and the "cite this" block of a work's page (service/cite.py)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

PAPER_A = "https://w3id.org/alliancegraph/id/paper-a"


def test_bibtex_and_csl_json_downloads(bundled_client):
    bib = bundled_client.get("/cite", query_string={"iri": PAPER_A, "format": "bibtex"})
    assert bib.status_code == 200 and bib.mimetype == "application/x-bibtex"
    assert bib.headers["Content-Disposition"].startswith('attachment; filename="hinata')
    assert bib.get_data(as_text=True).startswith("@misc{")
    csl = bundled_client.get("/cite", query_string={"iri": PAPER_A})  # CSL-JSON by default
    assert csl.mimetype == "application/vnd.citationstyles.csl+json"
    [record] = json.loads(csl.data)
    assert record["id"] == PAPER_A and record["author"][0]["family"] == "Hinata-Yamaguchi"


@pytest.mark.parametrize(("args", "status"), [
    ({}, 400), ({"iri": PAPER_A, "format": "ris"}, 400), ({"iri": "a b"}, 400),
    ({"iri": "https://w3id.org/alliancegraph/id/state/japan"}, 404),
])
def test_bad_requests_are_clear_4xx(bundled_client, args, status):
    answer = bundled_client.get("/cite", query_string=args)
    assert answer.status_code == status and answer.get_json()["message"]


def test_a_work_page_has_a_cite_this_block_and_other_pages_none(bundled_client):
    page = bundled_client.get("/id/paper-a.html").get_data(as_text=True)
    block = page.partition('<section id="cite">')[2].partition("</section>")[0]
    assert '<pre class="bibtex">@misc{' in block
    assert f'href="/cite?iri={quote(PAPER_A, safe="")}&amp;format=bibtex"' in block
    assert 'id="cite"' not in bundled_client.get("/id/state/japan.html").get_data(as_text=True)
