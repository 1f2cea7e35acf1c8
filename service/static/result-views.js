// Result views beyond YASR's table, as YASR plugins: a bar chart for rows with a number
// (aggregates: COUNT … GROUP BY), a timeline for rows with a date, and a network for
// CONSTRUCT/DESCRIBE results and for rows linking resources (drawn with the bundled
// Cytoscape.js when the page has it). Each offers itself only where it fits; the table
// stays the default. Built with DOM calls and textContent only: values are never HTML.
(function () {
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var NUMBERS = ["integer", "decimal", "double", "float", "long", "int", "short",
    "nonNegativeInteger", "positiveInteger", "unsignedInt", "unsignedLong"].map(
    function (t) { return XSD + t; });
  var DATES = ["date", "dateTime", "gYear", "gYearMonth"].map(function (t) { return XSD + t; });
  var MAX_BARS = 100;
  var MAX_EVENTS = 500;
  var MAX_EDGES = 400;

  function bindings(yasr) {
    var results = yasr.results;
    return (results && results.getBindings && results.getBindings()) || [];
  }
  function variables(yasr) {
    var results = yasr.results;
    return (results && results.getVariables && results.getVariables()) || [];
  }
  function typed(term, types) {
    return !!term && term.type !== "uri" && types.indexOf(term.datatype) >= 0;
  }
  // The variable whose every bound value is of one of ``types`` (the first such).
  function columnOf(yasr, types) {
    var rows = bindings(yasr);
    if (!rows.length) { return null; }
    return variables(yasr).find(function (v) {
      var bound = rows.filter(function (r) { return r[v]; });
      return bound.length && bound.every(function (r) { return typed(r[v], types); });
    }) || null;
  }
  // A short name for a term: a literal's text, an IRI's last segment.
  function shown(term) {
    if (!term) { return ""; }
    if (term.type !== "uri") { return term.value; }
    var parts = term.value.split(/[#/]/).filter(Boolean);
    return parts.length ? decodeURIComponent(parts[parts.length - 1]) : term.value;
  }
  function element(tag, className, text) {
    var e = document.createElement(tag);
    if (className) { e.className = className; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  // A term as a link when it is an IRI of this site (its page), else as text.
  function termNode(term) {
    if (term && term.type === "uri") {
      var a = element("a", "", shown(term));
      a.href = term.value;
      a.title = term.value;
      try {
        var iri = new URL(term.value);
        var base = baseIri();
        if (base && term.value.indexOf(base) === 0) {
          a.href = new URL(term.value.slice(base.length - 1), window.location.href).href;
        } else if (iri.host !== window.location.host) {
          a.rel = "external noopener";
        }
      } catch (e) { a.removeAttribute("href"); }
      return a;
    }
    return element("span", "", shown(term));
  }
  // The graph's base IRI (the page says it): its IRIs open as this site's pages.
  function baseIri() {
    var block = document.getElementById("base-iri");
    return block ? JSON.parse(block.textContent) : null;
  }
  function icon(letter) { return element("span", "result-view-icon", letter); }
  function note(yasr, text) { yasr.resultsEl.appendChild(element("p", "result-view-note", text)); }

  // --- a bar chart: one bar per row, the label from the first other column --------------
  function Chart(yasr) { this.yasr = yasr; this.priority = 5; this.label = "Chart"; }
  Chart.prototype.canHandleResults = function () {
    var rows = bindings(this.yasr);
    return rows.length > 0 && rows.length <= MAX_BARS && variables(this.yasr).length > 1 &&
      columnOf(this.yasr, NUMBERS) !== null;
  };
  Chart.prototype.getIcon = function () { return icon("▤"); };
  Chart.prototype.draw = function () {
    var yasr = this.yasr;
    var number = columnOf(yasr, NUMBERS);
    var name = variables(yasr).find(function (v) { return v !== number; });
    var rows = bindings(yasr).filter(function (r) { return r[number]; });
    var most = Math.max.apply(null, rows.map(function (r) { return Number(r[number].value); }));
    var table = element("table", "bar-chart result-chart");
    table.appendChild(element("caption", "", "?" + number + " by ?" + name));
    var body = element("tbody");
    rows.forEach(function (r) {
      var value = Number(r[number].value);
      var tr = element("tr");
      var th = element("th");
      th.scope = "row";
      th.appendChild(termNode(r[name]));
      var td = element("td");
      var row = element("span", "bar-row");
      var track = element("span", "track");
      track.setAttribute("aria-hidden", "true");
      var bar = element("span", "bar");
      bar.style.width = (most > 0 ? Math.max(0, 100 * value / most) : 0) + "%";
      track.appendChild(bar);
      row.appendChild(track);
      row.appendChild(element("span", "n", r[number].value));
      td.appendChild(row);
      tr.appendChild(th);
      tr.appendChild(td);
      body.appendChild(tr);
    });
    table.appendChild(body);
    yasr.resultsEl.appendChild(table);
  };

  // --- a timeline: rows by their date, grouped by year --------------------------------
  function Timeline(yasr) { this.yasr = yasr; this.priority = 4; this.label = "Timeline"; }
  Timeline.prototype.canHandleResults = function () {
    return bindings(this.yasr).length > 0 && columnOf(this.yasr, DATES) !== null;
  };
  Timeline.prototype.getIcon = function () { return icon("⋮"); };
  Timeline.prototype.draw = function () {
    var yasr = this.yasr;
    var date = columnOf(yasr, DATES);
    var others = variables(yasr).filter(function (v) { return v !== date; });
    // ISO dates of mixed precision sort as text: "1995" < "1995-05" < "1995-05-03"
    var rows = bindings(yasr).filter(function (r) { return r[date]; }).sort(function (a, b) {
      return a[date].value < b[date].value ? -1 : a[date].value > b[date].value ? 1 : 0;
    });
    if (rows.length > MAX_EVENTS) {
      note(yasr, "The first " + MAX_EVENTS + " of " + rows.length + " dated rows.");
      rows = rows.slice(0, MAX_EVENTS);
    }
    var list = element("ol", "timeline result-timeline");
    var year = null;
    var items = null;
    rows.forEach(function (r) {
      var y = r[date].value.replace(/^(-?\d+).*$/, "$1");
      if (y !== year) {
        year = y;
        var li = element("li", "tl-year");
        li.appendChild(element("h3", "", y));
        items = element("ol", "tl-items");
        li.appendChild(items);
        list.appendChild(li);
      }
      var item = element("li", "tl-item");
      item.appendChild(element("p", "tl-date", r[date].value));
      var p = element("p");
      others.forEach(function (v, i) {
        if (!r[v]) { return; }
        if (i) { p.appendChild(document.createTextNode(" · ")); }
        p.appendChild(termNode(r[v]));
      });
      item.appendChild(p);
      items.appendChild(item);
    });
    yasr.resultsEl.appendChild(list);
  };

  // --- a network: triples (CONSTRUCT) or rows of resources, as nodes and edges ----------
  function edgesOf(yasr) {
    var vars = variables(yasr);
    var rows = bindings(yasr);
    var triples = ["subject", "predicate", "object"].every(function (v) {
      return vars.indexOf(v) >= 0;
    });
    var edges = [];
    rows.forEach(function (r) {
      if (triples) {
        if (r.subject && r.object && r.object.type === "uri") {
          edges.push([r.subject, shown(r.predicate), r.object]);
        }
        return;
      }
      var iris = vars.filter(function (v) { return r[v] && r[v].type === "uri"; });
      for (var i = 1; i < iris.length; i++) {  // a chain along the row's resources
        edges.push([r[iris[i - 1]], iris[i], r[iris[i]]]);
      }
    });
    return edges;
  }
  function Network(yasr) { this.yasr = yasr; this.priority = 3; this.label = "Network"; }
  Network.prototype.canHandleResults = function () {
    return typeof window.cytoscape === "function" && edgesOf(this.yasr).length > 0;
  };
  Network.prototype.getIcon = function () { return icon("◈"); };
  Network.prototype.draw = function () {
    var yasr = this.yasr;
    var edges = edgesOf(yasr);
    if (edges.length > MAX_EDGES) {
      note(yasr, "The first " + MAX_EDGES + " of " + edges.length + " links.");
      edges = edges.slice(0, MAX_EDGES);
    }
    var nodes = {};
    var elements = [];
    edges.forEach(function (e, i) {
      [e[0], e[2]].forEach(function (t) {
        if (!nodes[t.value]) {
          nodes[t.value] = true;
          elements.push({ data: { id: t.value, label: shown(t) } });
        }
      });
      elements.push({ data: { id: "e" + i, source: e[0].value, target: e[2].value,
                              label: e[1] } });
    });
    var box = element("div", "result-network");
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", Object.keys(nodes).length + " resources and " +
                     edges.length + " links");
    yasr.resultsEl.appendChild(box);
    var cy = window.cytoscape({
      container: box, elements: elements, layout: { name: "cose", animate: false },
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 10,
                                     "background-color": "#1f5f99", width: 14, height: 14 } },
        { selector: "edge", style: { label: "data(label)", "font-size": 8, width: 1,
                                     "curve-style": "bezier", "target-arrow-shape": "triangle",
                                     "line-color": "#9aa5b1", "target-arrow-color": "#9aa5b1" } }
      ]
    });
    box.dataset.nodes = String(cy.nodes().length);
    cy.on("tap", "node", function (event) {
      var link = termNode({ type: "uri", value: event.target.id() });
      if (link.href) { window.location.href = link.href; }
    });
  };

  window.AllianceGraphResultViews = { Chart: Chart, Timeline: Timeline, Network: Network };
  Yasgui.Yasr.registerPlugin("chart", Chart);
  Yasgui.Yasr.registerPlugin("timeline", Timeline);
  Yasgui.Yasr.registerPlugin("network", Network);
})();
