"""The footnote-citation parser on the styles the seed papers print."""

from __future__ import annotations

from alliancegraph.ingest.citations import iso_date, parse_note, resolve


def one(raw: str):
    citations = parse_note(raw, "1")
    assert len(citations) == 1, citations
    return citations[0]


def test_journal_vol_issue_season_pages() -> None:
    c = one("Michael R. Auslin, "
            "\u201cJapan and South Korea: The new East Asian core\u201d, *Orbis*, "
            "49:3, Summer 2005, pg.469.")
    assert c.fields["title"] == "Japan and South Korea: The new East Asian core"
    assert c.fields["authors"] == ["Michael R. Auslin"]
    assert (c.fields["container"], c.fields["volume"], c.fields["issue"]) == ("Orbis", "49", "3")
    assert (c.fields["season"], c.fields["issued"]) == ("Summer", "2005")
    assert (c.fields["pages"], c.fields["page_start"], c.fields["page_end"]) == ("pg.469", 469, 469)
    assert c.kind == "JournalArticle"
    assert all(0 < v <= 1 for v in c.confidence.values())


def test_book_place_publisher_and_page_range() -> None:
    c = one("Thomas C. Schelling, *The Strategy of conflict*, Cambridge, Harvard University "
            "Press, 1960. pp.4.")
    assert c.fields["title"] == "The Strategy of conflict" and c.kind == "Book"
    assert c.fields["publisher"] == "Harvard University Press"
    assert c.fields["place"] == "Cambridge"
    c = one("Tetsuya Kataoka, \u201cScratching an old wound\u201d, *One Korea?*, "
            "Thomas H. Henriksen "
            "and Lho Kyong-soo ed., Hoover Institution Press, 1994, pp.105~107.")
    assert c.fields["editors"] == ["Thomas H. Henriksen", "Lho Kyong-soo"]
    assert (c.fields["page_start"], c.fields["page_end"]) == (105, 107)


def test_cited_in_and_edited_volume() -> None:
    c = one("Barry Buzan cited in Multhiah Alagappa, "
            "\u2018Rethinking security: A critical review\u2019, "
            "in Alagappa (ed.), *Asian Security Practise*, Stanford: Stanford UP, 1998, pg.27.")
    assert c.fields["quoted_person"] == "Barry Buzan"
    assert c.fields["authors"] == ["Multhiah Alagappa"]
    assert c.fields["editors"] == ["Alagappa"]
    assert (c.fields["place"], c.fields["publisher"]) == ("Stanford", "Stanford UP")


def test_web_citation_with_access_date() -> None:
    c = one("For further reading, see: Aidan Foster-Carter, "
            "\u201cKorea and Japan love to hate\u201d, "
            "*Asia Times Online*, 20<sup>th</sup> August 2002 "
            "<http://www.atimes.com/atimes/korea/DH20Dg01.html> "
            "Accessed: 15<sup>th</sup> May 2006.")
    assert c.fields["url"] == "http://www.atimes.com/atimes/korea/DH20Dg01.html"
    assert c.fields["access_date"] == "2006-05-15"
    assert c.fields["issued"] == "2002-08-20"
    assert c.fields["authors"] == ["Aidan Foster-Carter"]
    assert c.fields["comment"].startswith("For further reading")
    assert c.kind == "NewspaperArticle"


def test_korean_title_and_corporate_author() -> None:
    c = one("ROK Ministry of National Defense, *국방개혁 2020*, Ministry of National Defence, "
            "pp.11~20.")
    assert c.fields["title"] == "국방개혁 2020"
    assert "authors" not in c.fields and "Ministry" in c.fields["corporate_author"]
    assert c.fields["pages"] == "pp.11~20"


def test_two_works_after_commentary() -> None:
    citations = parse_note(
        "Some scholars point out the possibility through the ARF. Yoshihide Soeya, \"Japan's "
        "Diplomacy,\" *Asian Perspective*, Fall-Winter 1995, pp. 238 ~ 240; Yoshinobu "
        "Yamamoto, \"Korean-Japanese Relations,\" Paper Prepared for a Conference, Seoul, "
        "August 21, 1996, pp. 159 ~ 160.", "3")
    assert [c.fields["authors"] for c in citations] == [["Yoshihide Soeya"],
                                                        ["Yoshinobu Yamamoto"]]
    assert citations[0].fields["season"] == "Fall-Winter"
    assert citations[1].fields["issued"] == "1996-08-21"
    assert citations[1].fields["page_end"] == 160


def test_newspaper_in_brackets() -> None:
    c = one("The Japanese strategist Okazaki Hisahiko affirms that it will. (*Chosun Ilbo*, "
            "March 7, 1996)")
    assert (c.fields["container"], c.fields["issued"]) == ("Chosun Ilbo", "1996-03-07")
    assert c.fields["quoted_person"] == "Okazaki Hisahiko"


def test_ibid_and_op_cit_resolve() -> None:
    first = parse_note("Stephen M. Walt, \u201cWhy alliances endure\u201d, *Survival*, 39:1, 1997, "
                       "pg.157.", "1")
    ibid = parse_note("Ibid., pg.160.", "2")
    other = parse_note("Paul Dibb, \u201cCoalitions\u201d, "
                       "*The Washington Quarterly*, 2002, pg.1.", "3")
    op_cit = parse_note("Walt, op. cit., pg.165.", "4")
    citations = first + ibid + other + op_cit
    resolve(citations)
    assert ibid[0].refers_to == ("1", 1) and ibid[0].fields["page_start"] == 160
    assert ibid[0].fields["title"] == "Why alliances endure"
    assert op_cit[0].refers_to == ("1", 1)


def test_comment_only_note_cites_nothing() -> None:
    assert parse_note("The Japanese Ministry of Justice predicts three thousand refugees.",
                      "5") == []


def test_dates() -> None:
    assert iso_date("Accessed: 5th September 2006") == "2006-09-05"
    assert iso_date("March 7, 1996") == "1996-03-07"
    assert iso_date("1996") is None
