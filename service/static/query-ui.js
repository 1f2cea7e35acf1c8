// The query UI: YASGUI on this service's endpoint, with the shipped examples.
// A file of its own, not an inline script, so the page's CSP allows only 'self'.
(function () {
  var examples = JSON.parse(document.getElementById("examples-data").textContent);
  var prefixes = JSON.parse(document.getElementById("prefixes-data").textContent);
  var defaultQuery = JSON.parse(document.getElementById("default-query").textContent);
  var endpoint = new URL(JSON.parse(document.getElementById("endpoint-data").textContent),
                         window.location.href).href;
  // Only the local autocompleters: "class" and "property" would ask lov.linkeddata.es.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { value: defaultQuery },
    yasr: { prefixes: prefixes }
  });
  document.querySelectorAll("#examples button").forEach(function (button) {
    button.addEventListener("click", function () {
      var example = examples[Number(button.dataset.example)];
      yasgui.addTab(true, { name: example.title, yasqe: { value: example.query },
                            requestConfig: { endpoint: endpoint, method: "POST" } },
                    { avoidDuplicateTabs: true });
    });
  });
})();
