// Sort the learners' table by the column whose header button was clicked: numbers by their
// value (data-sort), text in the reader's order; a second click reverses. No request is made.
document.querySelectorAll("table.sortable").forEach(function (table) {
  var headers = table.querySelectorAll("thead th");
  headers.forEach(function (header, column) {
    var button = header.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var ascending = header.getAttribute("aria-sort") !== "ascending";
      headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column], y = b.cells[column];
        var p = parseFloat(x.getAttribute("data-sort")), q = parseFloat(y.getAttribute("data-sort"));
        var order = (!isNaN(p) && !isNaN(q)) ? p - q : x.textContent.trim().localeCompare(y.textContent.trim());
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
