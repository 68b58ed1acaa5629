// cxralign audit sheet: verdicts live in memory, in localStorage (a reload keeps them) and in the saved file.
(function () {
  "use strict";
  const state = JSON.parse(document.getElementById("audit-state").textContent);
  const storeKey = "cxralign-audit/" + state.build.data_sha256 + "/" + state.sample.sample_sha256;
  const byKey = new Map(state.items.map((item) => [item.key, item]));
  const rows = Array.from(document.querySelectorAll("article.row"));
  const reviewer = document.getElementById("reviewer");
  const statusLine = document.getElementById("status");
  let current = 0;

  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error", Boolean(isError));
  }

  function today() {
    return new Date().toISOString().slice(0, 10);
  }

  function verdicts() {
    state.reviewer = reviewer.value.trim();
    state.reviewed_on = today();
    return JSON.parse(JSON.stringify(state));
  }

  function restore(saved) {
    if (!saved || !saved.build || !saved.sample || !Array.isArray(saved.items)) return "not a verdict file";
    if (saved.build.data_sha256 !== state.build.data_sha256) return "those verdicts are for another build";
    if (saved.sample.sample_sha256 !== state.sample.sample_sha256) return "those verdicts are for another sample";
    reviewer.value = saved.reviewer || "";
    for (const entry of saved.items) {
      const item = byKey.get(entry.key);
      if (item && item.variant_sha256 === entry.variant_sha256) {
        item.verdict = ["correct", "awkward", "wrong"].includes(entry.verdict) ? entry.verdict : null;
        item.reason = typeof entry.reason === "string" ? entry.reason : "";
      }
    }
    return null;
  }

  function persist() {
    try {
      localStorage.setItem(storeKey, JSON.stringify(verdicts()));
    } catch (error) {
      say("This browser would not keep the verdicts (" + error.message + "): save them to a file.", true);
    }
  }

  function paintRow(row) {
    const item = byKey.get(row.dataset.key);
    for (const input of row.querySelectorAll("input[type=radio]")) input.checked = input.value === item.verdict;
    const reason = row.querySelector(".reason");
    if (reason.value !== item.reason) reason.value = item.reason;
    reason.classList.toggle("needed", (item.verdict === "wrong" || item.verdict === "awkward") && !item.reason.trim());
    if (item.verdict) row.dataset.verdict = item.verdict;
    else delete row.dataset.verdict;
  }

  function paintTotals() {
    const counts = { correct: 0, awkward: 0, wrong: 0 };
    for (const item of state.items) if (item.verdict) counts[item.verdict] += 1;
    const done = counts.correct + counts.awkward + counts.wrong;
    document.getElementById("progress").textContent = done + " / " + state.items.length;
    document.getElementById("tally").innerHTML =
      '<b class="t-correct">' + counts.correct + "</b> correct · " +
      '<b class="t-awkward">' + counts.awkward + "</b> awkward · " +
      '<b class="t-wrong">' + counts.wrong + "</b> wrong";
  }

  function paint() {
    rows.forEach(paintRow);
    paintTotals();
    applyFilter();
  }

  function applyFilter() {
    const show = document.getElementById("show").value;
    for (const row of rows) {
      const item = byKey.get(row.dataset.key);
      let visible = true;
      if (show === "todo") visible = !item.verdict;
      else if (show.startsWith("op:")) visible = item.op === show.slice(3);
      else if (show.startsWith("verdict:")) visible = item.verdict === show.slice(8);
      row.hidden = !visible;
    }
  }

  function setVerdict(row, verdict) {
    byKey.get(row.dataset.key).verdict = verdict;
    paintRow(row);
    paintTotals();
    persist();
  }

  function focusRow(index) {
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows[current].focus({ preventScroll: true });
    rows[current].scrollIntoView({ block: "start", behavior: "smooth" });
  }

  rows.forEach((row, index) => {
    row.addEventListener("focusin", () => { current = index; });
    row.addEventListener("click", () => { current = index; });
    for (const input of row.querySelectorAll("input[type=radio]")) {
      input.addEventListener("change", () => setVerdict(row, input.value));
    }
    row.querySelector(".reason").addEventListener("input", (event) => {
      byKey.get(row.dataset.key).reason = event.target.value;
      paintRow(row);
      persist();
    });
  });

  reviewer.addEventListener("input", persist);
  document.getElementById("show").addEventListener("change", applyFilter);

  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest && event.target.closest("input[type=text], textarea, select");
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const choice = { 1: "correct", 2: "awkward", 3: "wrong" }[event.key];
    if (choice) setVerdict(rows[current], choice);
    else if (event.key === "j") focusRow(current + 1);
    else if (event.key === "k") focusRow(current - 1);
  });

  document.getElementById("save").addEventListener("click", () => {
    const data = verdicts();
    const missing = data.items.filter((item) => !item.verdict).length;
    const blob = new Blob([JSON.stringify(data, null, 2) + "\n"], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "verdicts-" + (data.build.source || "build") + "-" + data.build.data_sha256.slice(0, 12) +
      "-seed" + data.sample.seed + ".json";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    persist();
    say("Saved " + link.download + (missing ? " (" + missing + " rows not judged yet)" : "") + ".");
  });

  document.getElementById("load").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (!file) return;
    file.text().then((text) => {
      let problem;
      try {
        problem = restore(JSON.parse(text));
      } catch (error) {
        problem = "not JSON (" + error.message + ")";
      }
      if (problem) {
        say(file.name + ": " + problem + ".", true);
        return;
      }
      paint();
      persist();
      say("Loaded " + file.name + ".");
    });
    event.target.value = "";
  });

  try {
    const kept = localStorage.getItem(storeKey);
    if (kept && !restore(JSON.parse(kept))) say("Verdicts kept in this browser were restored.");
  } catch (error) {
    say("Could not read verdicts kept in this browser (" + error.message + ").", true);
  }
  paint();
  window.cxralignAudit = { verdicts, storeKey };
})();
