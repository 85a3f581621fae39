/* arabpress-crawler: the first screen of a datasette table page shows the rows.
 *
 * - The facets (suggested, timed out, results) fold into one "Narrow down by" line, open when the address
 *   asks for a facet. (The column descriptions are folded by templates/table.html.)
 * - The search help (templates/table.html) goes under the search box, which it describes.
 */
(function () {
  "use strict";

  function fold(nodes, className, label, open) {
    if (!nodes.length) { return; }
    var details = document.createElement("details");
    details.className = className;
    details.open = open;
    var summary = document.createElement("summary");
    summary.textContent = label;
    details.appendChild(summary);
    nodes[0].parentNode.insertBefore(details, nodes[0]);
    nodes.forEach(function (node) { details.appendChild(node); });
  }

  function foldFacets() {
    var nodes = Array.prototype.slice.call(
      document.querySelectorAll(".suggested-facets, .facets-timed-out, .facet-results"));
    var names = Array.prototype.map.call(
      document.querySelectorAll(".facet-results .facet-info"),
      function (facet) { return facet.getAttribute("data-column"); });
    var asked = new URLSearchParams(window.location.search).has("_facet");
    fold(nodes, "arabpress-facets", "Narrow down by " + (names.join(", ") || "a facet"), asked);
  }

  function placeSearchHelp() {
    var help = document.getElementById("arabpress-search-help");
    var box = document.getElementById("_search");
    if (!help || !box) { return; }
    box.setAttribute("aria-describedby", help.id);
    box.closest(".search-row").insertAdjacentElement("afterend", help);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.body.classList.contains("table")) { return; }
    foldFacets();
    placeSearchHelp();
  });
})();
