// cxralign leaderboard: sort any table by a header click, filter rows by model, hide contaminated rows.
// Plain JavaScript, no dependencies; the page is fully readable without it.
"use strict";

function cellValue(row, index, type) {
  const cell = row.cells[index];
  const raw = cell ? (cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent) : "";
  if (type === "num") {
    const x = parseFloat(raw);
    return Number.isNaN(x) ? null : x;
  }
  return raw.trim().toLowerCase();
}

function sortTable(table, index, th) {
  const type = th.dataset.type || "text";
  const current = th.getAttribute("aria-sort");
  // First click: numbers high to low (scores), text A to Z; further clicks toggle.
  const ascending = current ? current !== "ascending" : type !== "num";
  const body = table.tBodies[0];
  const rows = Array.from(body.rows)
    .filter((row) => row.dataset.model !== undefined)
    .map((row, position) => ({ row, position, key: cellValue(row, index, type) }));
  rows.sort((a, b) => {
    if (a.key === null || b.key === null || a.key === "" || b.key === "") {
      const missingA = a.key === null || a.key === "";
      const missingB = b.key === null || b.key === "";
      if (missingA !== missingB) return missingA ? 1 : -1; // blanks last either way
      return a.position - b.position;
    }
    const order = type === "num" ? a.key - b.key : a.key.localeCompare(b.key);
    return (ascending ? order : -order) || a.position - b.position;
  });
  for (const header of table.tHead.rows[0].cells) header.removeAttribute("aria-sort");
  th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  for (const item of rows) body.appendChild(item.row);
  const empty = body.querySelector("tr.empty-state");
  if (empty) body.appendChild(empty);
}

// A table whose every row the controls hide says so, and says how to get the rows back.
function showEmptyStates(query, hideContaminated) {
  for (const body of document.querySelectorAll("tbody")) {
    const empty = body.querySelector("tr.empty-state");
    if (!empty) continue;
    const rows = Array.from(body.querySelectorAll("tr[data-model]"));
    const visible = rows.filter((row) => !row.classList.contains("hidden")).length;
    empty.hidden = rows.length === 0 || visible > 0;
    if (!empty.hidden) {
      const contaminated = rows.filter((row) => row.classList.contains("contaminated")).length;
      const reasons = [];
      if (query) reasons.push(`no model matches \u201c${query}\u201d`);
      if (hideContaminated && contaminated) {
        reasons.push(`${contaminated} of ${rows.length} ${rows.length === 1 ? "entry is" : "entries are"} contaminated (${empty.dataset.trained}) and hidden`);
      }
      empty.cells[0].textContent = `No entries to show: ${reasons.join("; ") || "all are hidden"}. ` +
        (hideContaminated ? "Untick \u201cHide contaminated results\u201d" : "Clear the filter") + " to show them.";
    }
  }
}

function applyFilters() {
  const query = document.getElementById("model-filter").value.trim().toLowerCase();
  const hideContaminated = document.getElementById("hide-contaminated").checked;
  for (const row of document.querySelectorAll("tbody tr[data-model]")) {
    const matches = !query || row.dataset.model.toLowerCase().includes(query);
    const hidden = !matches || (hideContaminated && row.classList.contains("contaminated"));
    row.classList.toggle("hidden", hidden);
  }
  showEmptyStates(query, hideContaminated);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("table.sortable")) {
    const headers = Array.from(table.tHead.rows[0].cells);
    headers.forEach((th, index) => {
      const button = th.querySelector("button");
      if (button) button.addEventListener("click", () => sortTable(table, index, th));
    });
  }
  document.getElementById("model-filter").addEventListener("input", applyFilters);
  document.getElementById("hide-contaminated").addEventListener("change", applyFilters);
});
