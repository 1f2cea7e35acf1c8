"""``alliancegraph.store.offline``: rdflib's SPARQL engine fetches nothing and reads no file, even
for SPARQL that reaches it without the shapes' own check (the lock behind the door)."""

from __future__ import annotations

import pytest
import rdflib.plugins.sparql
from alliancegraph.errors import BadRequest
from alliancegraph.store import offline
from pyshacl import validate
from rdflib import Dataset, Graph

# rdflib 7.6's own SPARQL code reads Dataset.default_context, which it deprecated
pytestmark = [pytest.mark.filterwarnings("ignore:Dataset.default_context:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:Dataset.contexts:DeprecationWarning")]

@pytest.fixture(autouse=True)
def _installed():
    import alliancegraph.shapes  # noqa: F401 - installing the policy is part of importing it

    assert offline.installed()


def _queries(url: str, local: str) -> list[str]:
    return [f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
            f"PREFIX c: <{url}> SELECT * FROM c:x WHERE {{ ?s ?p ?o }}",
            f"SELECT * FROM<{url}>WHERE{{ ?s ?p ?o }}",
            f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
            f"SELECT * FROM <{local}> WHERE {{ ?s ?p ?o }}",
            f"SELECT * FROM NAMED <{local}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"]


def test_from_and_from_named_never_load(canary, local_canary_file):
    path, _ = local_canary_file
    for query in _queries(canary.url, path.as_uri()):
        rows = Dataset().query(query)
        assert list(rows) == [], query
    assert canary.connections == 0


@pytest.mark.parametrize("spelling", ["SERVICE <{url}> {{ ?s ?p ?o }}",
                                      "SERVICE SILENT <{url}> {{ ?s ?p ?o }}",
                                      "OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"])
def test_service_is_refused_where_it_would_run(canary, spelling: str):
    query = "SELECT * WHERE { " + spelling.format(url=canary.url) + " }"
    with pytest.raises(BadRequest, match="SERVICE is refused"):
        list(Graph().query(query))
    assert canary.connections == 0


def test_load_in_an_update_loads_nothing(canary, local_canary_file):
    path, _ = local_canary_file
    dataset = Dataset()
    dataset.update(f"LOAD <{canary.url}>")
    dataset.update(f"LOAD <{path.as_uri()}> INTO GRAPH <urn:g>")
    assert len(dataset) == 0 and canary.connections == 0


def test_pyshacl_with_shapes_graph_query_reads_nothing(canary, local_canary_file):
    """pySHACL runs SPARQL constraints on rdflib; even without the shapes' check, FROM names
    no document it can read."""
    path, marker = local_canary_file
    shapes = Graph().parse(data=f"""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:S> a sh:NodeShape ; sh:targetNode <urn:x> ; sh:sparql [
          sh:message "{{?o}}" ;
          sh:select '''SELECT $this ?o FROM <{canary.url}> FROM <{path.as_uri()}>
                     WHERE {{ ?s ?p ?o }}''' ] .
        """, format="turtle")
    data = Graph().parse(data="<urn:x> <urn:p> 1 .", format="turtle")
    _, _, text = validate(data, shacl_graph=shapes)
    assert "Results (1)" in text  # the constraint ran, on the data alone
    assert marker not in text and canary.marker not in text
    assert canary.connections == 0


def test_the_switch_is_a_policy_not_a_toggle():
    assert rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS is False
    offline.install()  # idempotent
    assert offline.installed()
