// The query UI: YASGUI on this service's endpoint, with the shipped examples.
// A file of its own, not an inline script, so the page's CSP allows only 'self'.
(function () {
  function data(id) { return JSON.parse(document.getElementById(id).textContent); }
  var examples = data("examples-data");
  var prefixes = data("prefixes-data");
  var defaultQuery = data("default-query");
  // The query of a /sparql?query=… link a browser followed (null without one), and the
  // link's dataset: {"default-graph-uri": [IRI…], "named-graph-uri": [IRI…]}.
  var initialQuery = data("initial-query");
  var initialDataset = data("initial-dataset");
  // ... sent as plain request arguments: this YASGUI's own defaultGraphs setting sends the
  // namedGraphs instead (getUrlArguments assigns the wrong list).
  var initialArgs = [];
  Object.keys(initialDataset).forEach(function (name) {
    initialDataset[name].forEach(function (iri) { initialArgs.push({ name: name, value: iri }); });
  });
  var endpoint = new URL(data("endpoint-data"), window.location.href).href;

  // The examples shown: those whose title, description and tags hold every word typed
  // and every tag pressed; a topic with none left is hidden.
  function filterExamples() {
    var input = document.getElementById("example-filter");
    if (!input) { return; }
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var pressed = Array.prototype.map.call(
      document.querySelectorAll("#example-tags button[aria-pressed=true]"),
      function (button) { return button.dataset.tag; });
    var shown = 0;
    document.querySelectorAll("#examples li").forEach(function (item) {
      var tags = item.dataset.tags.split(" ");
      var text = item.textContent.toLowerCase();
      var match = words.every(function (w) { return text.indexOf(w) >= 0; }) &&
        pressed.every(function (t) { return tags.indexOf(t) >= 0; });
      item.hidden = !match;
      shown += match ? 1 : 0;
    });
    document.querySelectorAll("#examples section").forEach(function (section) {
      section.hidden = section.querySelector("li:not([hidden])") === null;
    });
    document.getElementById("example-count").textContent =
      shown === 1 ? "1 example" : shown + " examples";
  }
  var filter = document.getElementById("example-filter");
  if (filter) { filter.addEventListener("input", filterExamples); }
  document.querySelectorAll("#example-tags button").forEach(function (button) {
    button.addEventListener("click", function () {
      var pressed = button.getAttribute("aria-pressed") === "true";
      button.setAttribute("aria-pressed", pressed ? "false" : "true");
      filterExamples();
    });
  });

  // An error body of the service is JSON ({"status", "error", "message"}); YASGUI would
  // show it raw on one unwrapped line. Show its message instead: preformatted, for the
  // parser's caret line, but wrapped so a long line stays inside the results area.
  function serviceErrorRenderer(error) {
    var body;
    try { body = JSON.parse(error.text); } catch (e) { return undefined; }
    if (!body || typeof body.message !== "string") { return undefined; }  // YASGUI's own
    var box = document.createElement("div");
    box.className = "service-error";
    var title = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = [body.status, body.error].filter(Boolean).join(" ");
    title.appendChild(strong);
    if (typeof body.line === "number") {  // a syntax error: where, and the line marked
      var where = document.createElement("span");
      where.className = "service-error-where";
      where.textContent = " at line " + body.line +
        (typeof body.column === "number" ? ", column " + body.column : "") +
        (body.reason ? ": " + body.reason : "");
      title.appendChild(where);
      markErrorLine(body.line, body.column);
    }
    box.appendChild(title);
    var message = document.createElement("pre");
    message.className = "service-error-message";
    message.textContent = body.message;  // text, never HTML: the message quotes the query
    message.style.whiteSpace = "pre-wrap";
    message.style.overflowWrap = "anywhere";
    box.appendChild(message);
    if (typeof body.spec === "string") {
      var spec = document.createElement("a");
      spec.href = body.spec;
      spec.rel = "noopener noreferrer";
      spec.textContent = body.spec;
      box.appendChild(spec);
    }
    return box;
  }

  // The line of a syntax error, marked in the current tab's editor and the cursor put
  // there, until the query is edited.
  function markErrorLine(line, column) {
    var tab = yasgui && yasgui.getTab();
    var yasqe = tab && tab.getYasqe();
    var at = line - 1;
    if (!yasqe || at < 0 || at >= yasqe.lineCount()) { return; }
    yasqe.addLineClass(at, "background", "query-error-line");
    yasqe.setCursor({ line: at, ch: Math.max(0, (column || 1) - 1) });
    function clear() {
      yasqe.removeLineClass(at, "background", "query-error-line");
      yasqe.off("change", clear);
    }
    yasqe.on("change", clear);
  }

  // YASGUI's fields have no label (a screen reader announces "edit text"): name them.
  // The editor's input is CodeMirror's hidden textarea (described by the page's note on
  // its keys); the tab's own is its rename box.
  var FIELD_NAMES = [
    [".CodeMirror textarea", "SPARQL query", "editor-keys"],
    ["input.autocomplete", "SPARQL endpoint"],
    [".tabsList input", "Tab name"]
  ];
  function labelFields(container) {
    FIELD_NAMES.forEach(function (entry) {
      container.querySelectorAll(entry[0] + ":not([aria-label])").forEach(function (field) {
        field.setAttribute("aria-label", entry[1]);
        if (entry[2]) { field.setAttribute("aria-describedby", entry[2]); }
      });
    });
  }

  // Only the local autocompleters: "class" and "property" would ask lov.linkeddata.es.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  // The query first: its PREFIX lines folded into one (a click unfolds them).
  Yasgui.Yasqe.defaults.collapsePrefixesOnLoad = true;
  // Every tab's results area asks these renderers first (an undefined answer: the next).
  Yasgui.Yasr.defaults.errorRenderers = [serviceErrorRenderer].concat(
    Yasgui.Yasr.defaults.errorRenderers || []);
  var root = document.getElementById("yasgui");
  var yasgui = new Yasgui(root, {
    // YASGUI reads a query from the URL itself (its share links, /sparql#query=…) and runs
    // it; a /sparql?query=… link is opened below instead, from the page, run once.
    populateFromUrl: initialQuery === null,
    // The focus stays where the user put it: not taken by the editor on load (the skip
    // link is the first Tab stop) nor when an example opens (the list stays in reach).
    // In the editor Tab indents; YASQE's Esc leaves it (the page says so).
    autofocus: false,
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { value: defaultQuery },
    yasr: { prefixes: prefixes }
  });
  labelFields(root);
  // YASGUI draws a tab's editor when the tab is first shown: label those too.
  new MutationObserver(function () { labelFields(root); })
    .observe(root, { childList: true, subtree: true });
  document.querySelectorAll("#examples button").forEach(function (button) {
    button.addEventListener("click", function () {
      var example = examples[Number(button.dataset.example)];
      yasgui.addTab(true, { name: example.title, yasqe: { value: example.query },
                            requestConfig: { endpoint: endpoint, method: "POST" } },
                    { avoidDuplicateTabs: true });
    });
  });
  filterExamples();
  if (initialQuery !== null) {
    // A tab of its own (the stored tabs stay), selected again when the same link is
    // followed again; then run it, as following the link asked.
    yasgui.addTab(true, {
      name: "Query from link",
      yasqe: { value: initialQuery },
      requestConfig: { endpoint: endpoint, method: "POST", args: initialArgs }
    }, { avoidDuplicateTabs: true });
    // addTab answers the tab that was active before when it selects a duplicate. A failed
    // query rejects, but its error is already shown in the results area: not uncaught.
    yasgui.getTab().query().catch(function () {});
  }
})();
