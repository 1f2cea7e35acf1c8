// The network picture (/network) and an entity's neighbourhood picture (neighbourhood.html):
// the page's query (graph/network.py) is run against this service's /sparql, its rows
// become Cytoscape.js elements as graph.network.network() builds them, and the filters of
// /network (papers, relations, intensities) show and hide edges as they change.
// A file of its own, not an inline script, so the page's CSP allows only 'self'.
(function () {
  "use strict";
  var settingsNode = document.getElementById("network-settings");
  var container = document.getElementById("network");
  if (!settingsNode || !container || typeof window.cytoscape !== "function") { return; }
  var settings = JSON.parse(settingsNode.textContent);
  var status = document.getElementById("network-status");
  var relationOrder = Object.keys(settings.relations);
  var graphNames = {};
  Object.keys(settings.papers).forEach(function (key) { graphNames[settings.papers[key]] = key; });

  function say(text) { if (status) { status.textContent = text; } }

  // Where an IRI of ours resolves on this service (linkeddata.href); other IRIs as they are.
  function href(iri) {
    return iri.indexOf(settings.base) === 0 ? settings.root + "/" + iri.slice(settings.base.length) : iri;
  }

  // graph.network.kind_of: "state" for {base}id/state/japan, "cooperation" for
  // {base}id/paper-b/cooperation/…
  function kindOf(iri) {
    var root = settings.base + "id/";
    if (iri.indexOf(root) !== 0) { return "entity"; }
    var parts = iri.slice(root.length).split("/");
    if (parts.length > 2 && Object.prototype.hasOwnProperty.call(settings.papers, parts[0])) { return parts[1]; }
    return parts.length > 1 && parts[0] ? parts[0] : "entity";
  }

  function lastName(iri) { return iri.replace(/\/+$/, "").split("/").pop(); }

  // graph.network.network(): one node per IRI, one edge per (source, relation, target,
  // paper, via, detail).
  function elementsFrom(bindings) {
    var nodes = {};
    var edges = {};
    bindings.forEach(function (b) {
      function v(name) { return b[name] ? b[name].value : null; }
      var relation = v("relation");
      var paper = graphNames[v("g")];
      if (!relation || !settings.relations[relation] || !paper) { return; }
      ["s", "o"].forEach(function (end) {
        var iri = v(end);
        var label = v(end + "Label");
        if (!nodes[iri] || (label && nodes[iri].label === iri)) {
          nodes[iri] = { id: iri, label: label || iri, kind: kindOf(iri), href: href(iri) };
        }
      });
      var detail = v("detail");
      var key = [v("s"), relation, v("o"), paper, v("via") || "", detail || ""].join(" ");
      var intensity = relation === "perceives" ? (detail ? lastName(detail) : "none") : null;
      var detailLabel = v("detailLabel");
      if (!edges[key] || (detailLabel && !edges[key].detailLabel)) {
        edges[key] = {
          id: "e" + Object.keys(edges).length, source: v("s"), target: v("o"),
          relation: relation, paper: paper, via: v("via"), intensity: intensity,
          detailLabel: detailLabel,
          label: settings.relations[relation] + (detailLabel ? " (" + detailLabel + ")" : "")
        };
      }
    });
    var elements = Object.keys(nodes).map(function (iri) { return { group: "nodes", data: nodes[iri] }; });
    Object.keys(edges).forEach(function (key) {
      var data = edges[key];
      data.rank = relationOrder.indexOf(data.relation);
      elements.push({ group: "edges", data: data, classes: "rel-" + data.relation + (data.intensity ? " int-" + data.intensity : "") });
    });
    return elements;
  }

  var KIND_STYLE = [
    ["state", "#1f4e99", "round-rectangle"], ["org", "#7a3e9d", "hexagon"],
    ["agreement", "#1b7a4a", "diamond"], ["threat", "#b3261e", "triangle"],
    ["actor", "#8a4b00", "vee"], ["body", "#3f6fb5", "ellipse"],
    ["policy", "#52606d", "rectangle"], ["cooperation", "#9aa5b1", "round-tag"],
    ["person", "#6b4f2a", "ellipse"], ["institution", "#52606d", "ellipse"]
  ];
  var RELATION_COLOUR = {
    "party-to": "#1b7a4a", "allied-with": "#0b5cad", "member-of": "#7a3e9d",
    "perceives": "#b3261e", "poses": "#8a4b00", "threatens": "#8a4b00", "disputes": "#d14900",
    "issued": "#52606d", "directed-at": "#52606d", "body-of": "#3f6fb5", "part-of": "#9aa5b1",
    "cooperation": "#9aa5b1"
  };
  // a perception's intensity as the line: the stronger, the thicker; the weakest dashed
  var INTENSITY_STYLE = {
    "biggest-threat": { width: 6 }, "major-threat": { width: 4 }, "concern": { width: 2 },
    "low-priority": { width: 1.5, "line-style": "dashed" },
    "less-concerned": { width: 1.5, "line-style": "dotted" },
    "none": { width: 1, "line-style": "dotted" }
  };

  // later rules win: kinds over the node default, relations and intensities over the edge's
  function style() {
    var rules = [{ selector: "node", style: {
      label: "data(label)", "font-size": 9, "text-wrap": "ellipsis", "text-max-width": 110,
      "text-valign": "bottom", "text-margin-y": 3, width: 16, height: 16,
      "background-color": "#52606d", color: "#1a1a1a", "min-zoomed-font-size": 6 } }];
    KIND_STYLE.forEach(function (k) {
      rules.push({ selector: 'node[kind = "' + k[0] + '"]', style: { "background-color": k[1], shape: k[2] } });
    });
    rules.push({ selector: "edge", style: {
      width: 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle",
      "arrow-scale": 0.7, "line-color": "#9aa5b1", "target-arrow-color": "#9aa5b1",
      label: "data(label)", "font-size": 7, "min-zoomed-font-size": 10, color: "#52606d",
      "text-rotation": "autorotate", "text-background-color": "#fff",
      "text-background-opacity": 0.8 } });
    Object.keys(RELATION_COLOUR).forEach(function (r) {
      rules.push({ selector: "edge.rel-" + r, style: { "line-color": RELATION_COLOUR[r], "target-arrow-color": RELATION_COLOUR[r] } });
    });
    Object.keys(INTENSITY_STYLE).forEach(function (i) {
      rules.push({ selector: "edge.int-" + i, style: INTENSITY_STYLE[i] });
    });
    return rules.concat([
      { selector: "edge.rel-allied-with, edge.rel-disputes", style: { "target-arrow-shape": "none" } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#f0b400" } },
      { selector: "node.focus", style: { width: 26, height: 26, "font-size": 11, "font-weight": "bold" } },
      { selector: ".hidden", style: { display: "none" } }
    ]);
  }

  var cy = null;
  var form = document.getElementById("network-filters");

  // the boxes ticked, or without a form (the neighbourhood) the page's own choice
  function checked(name) {
    if (!form) {
      var chosen = settings[name === "relation" ? "relations_checked" : "none"];
      if (!chosen) { return null; }
      var set = {};
      chosen.forEach(function (value) { set[value] = true; });
      return set;
    }
    var values = {};
    form.querySelectorAll('input[name="' + name + '"]').forEach(function (input) {
      if (input.checked) { values[input.value] = true; }
    });
    return values;
  }

  function edgeShown(data, papers, relations, intensities) {
    return (!papers || papers[data.paper]) && (!relations || relations[data.relation]) &&
      (!intensities || !data.intensity || intensities[data.intensity]);
  }

  function layout() {
    var shown = cy.elements().not(".hidden");
    var many = shown.nodes().length > 40;
    shown.layout({
      name: "cose", animate: false, randomize: true, padding: 20, componentSpacing: 60,
      nodeRepulsion: function () { return many ? 60000 : 20000; },
      idealEdgeLength: function () { return many ? 70 : 50; },
      nodeOverlap: 20, gravity: 0.4, numIter: 1500
    }).run();
    cy.fit(shown, 20);
  }

  // Show the edges the filters let through and the nodes they join; the table follows.
  function applyFilters() {
    var papers = checked("paper");
    var relations = checked("relation");
    var intensities = checked("intensity");
    cy.batch(function () {
      cy.edges().forEach(function (edge) {
        edge.toggleClass("hidden", !edgeShown(edge.data(), papers, relations, intensities));
      });
      cy.nodes().forEach(function (node) {
        node.toggleClass("hidden", node.connectedEdges().not(".hidden").length === 0);
      });
    });
    document.querySelectorAll(".network-table tbody tr").forEach(function (row) {
      row.hidden = !edgeShown({ paper: row.dataset.paper, relation: row.dataset.relation,
        intensity: row.dataset.intensity }, papers, relations, intensities);
    });
    var nodes = cy.nodes().not(".hidden").length;
    var edges = cy.edges().not(".hidden").length;
    container.dataset.nodes = String(nodes);
    container.dataset.edges = String(edges);
    var count = document.getElementById("network-count");
    if (count && box) {
      count.textContent = edges + " relation" + (edges === 1 ? "" : "s") + " with " + (nodes - 1) +
        " other entit" + (nodes === 2 ? "y" : "ies") + " in the ";
      var link = document.createElement("a");
      link.href = settings.root + "/network";
      link.textContent = "network of security relations";
      count.appendChild(link);
      count.appendChild(document.createTextNode("."));
    } else if (count) {
      count.textContent = edges + " of " + cy.edges().length + " relations between " + nodes + " entities.";
    }
    layout();
  }

  // the filters' state in the address, so a filtered picture can be linked to
  function remember() {
    if (!form || !window.history.replaceState) { return; }
    var query = new URLSearchParams(new FormData(form)).toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
  }

  function describe(node) {
    var degree = node.connectedEdges().not(".hidden").length;
    say(node.data("label") + " (" + node.data("kind") + "): " + degree + " relation" + (degree === 1 ? "" : "s") +
      " shown. Enter opens its page.");
  }

  function open(node) { window.location.href = node.data("href"); }

  // Keyboard: the arrow keys step through the shown nodes by label, Enter opens one.
  function onKey(event) {
    var nodes = cy.nodes().not(".hidden").sort(function (a, b) {
      return a.data("label").localeCompare(b.data("label"));
    });
    if (!nodes.length) { return; }
    var current = cy.nodes(":selected").not(".hidden")[0];
    var at = current ? nodes.indexOf(current) : -1;
    if (event.key === "Enter" && current) { event.preventDefault(); open(current); return; }
    var step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (!step) { return; }
    event.preventDefault();
    var next = nodes[(at + step + nodes.length) % nodes.length];
    cy.nodes().unselect();
    next.select();
    cy.center(next);
    describe(next);
  }

  // the neighbourhood's box: shown only once there is something to draw in it
  var box = document.getElementById("neighbourhood");

  function draw(bindings) {
    var elements = elementsFrom(bindings);
    if (box) {
      var wanted = checked("relation");
      if (!elements.some(function (e) {
        return e.group === "edges" && (!wanted || wanted[e.data.relation]);
      })) { return; }
      box.hidden = false;
    }
    container.hidden = false;
    cy = window.cytoscape({
      container: container, elements: elements, style: style(),
      minZoom: 0.2, maxZoom: 4, boxSelectionEnabled: false, selectionType: "single"
    });
    if (settings.focus) { cy.getElementById(settings.focus).addClass("focus"); }
    cy.on("tap", "node", function (event) { open(event.target); });
    // an edge opens the statement it comes from (the perception, the party …)
    cy.on("tap", "edge", function (event) {
      var via = event.target.data("via");
      if (via) { window.location.href = href(via); }
    });
    cy.on("mouseover", "node", function (event) { describe(event.target); });
    container.addEventListener("keydown", onKey);
    if (form) {
      form.addEventListener("change", function () { applyFilters(); remember(); });
      form.addEventListener("submit", function (event) { event.preventDefault(); applyFilters(); remember(); });
      var apply = form.querySelector(".network-apply");
      if (apply) { apply.hidden = true; }
    }
    applyFilters();
    container.dataset.ready = "true";
    window.allianceNetwork = { cy: cy, applyFilters: applyFilters };
  }

  say("Loading the network…");
  var body = new URLSearchParams();
  body.set("query", settings.query);
  fetch(settings.endpoint, {
    method: "POST", body: body, credentials: "same-origin",
    headers: { Accept: "application/sparql-results+json" }
  }).then(function (response) {
    if (!response.ok) { throw new Error("the query answered " + response.status); }
    return response.json();
  }).then(function (json) {
    say("");
    draw(json.results.bindings);
  }).catch(function (error) {
    say("The picture could not be drawn (" + error.message + ")" + (box ? "." : "; the relations are listed below."));
  });
})();
