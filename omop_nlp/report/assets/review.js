// omop-nlp report: page navigation, mention details, and the reviewer's corrections -> gold JSONL.
// Corrections live in localStorage under the report's review key, so they survive a reload.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("omop-data").textContent);
  const storeKey = "omop-nlp-review:" + data.reviewKey;
  const notes = data.notes;
  let current = 0;

  function loadStore() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; }
  }
  let store = loadStore();
  function save() { localStorage.setItem(storeKey, JSON.stringify(store)); }

  function copyFindings(findings) {
    const out = {};
    Object.keys(findings).forEach(function (k) { out[k] = findings[k].slice(); });
    return out;
  }
  function findingsOf(i) {
    const saved = store[notes[i].id];
    return saved && saved.findings ? saved.findings : copyFindings(notes[i].findings);
  }
  function isReviewed(i) { const s = store[notes[i].id]; return !!(s && s.reviewed); }
  function isEdited(i) { const s = store[notes[i].id]; return !!(s && s.findings); }
  function setFindings(i, findings) {
    store[notes[i].id] = { findings: findings, reviewed: true };
    save();
    render();
  }

  // --- pages ---------------------------------------------------------------------------------
  function showPage() {
    const hash = location.hash || "#summary";
    const match = hash.match(/^#note\/(\d+)$/);
    const page = match ? "notes" : hash.slice(1);
    if (match) { current = Math.min(parseInt(match[1], 10), notes.length - 1); }
    document.querySelectorAll("section.page").forEach(function (s) { s.classList.toggle("active", s.id === page); });
    document.querySelectorAll("nav a").forEach(function (a) { a.classList.toggle("active", a.dataset.page === page); });
    if (page === "notes") { render(); }
    if (page === "time" && window.Plotly) {
      document.querySelectorAll("#time .plotly-graph-div").forEach(function (d) { window.Plotly.Plots.resize(d); });
    }
  }
  window.addEventListener("hashchange", showPage);

  // --- one note ------------------------------------------------------------------------------
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function render() {
    if (!notes.length) { return; }
    document.querySelectorAll("article.note").forEach(function (a, i) { a.classList.toggle("current", i === current); });
    document.querySelectorAll("#note-list button").forEach(function (b, i) {
      b.classList.toggle("current", i === current);
      b.classList.toggle("reviewed", isReviewed(i));
    });
    renderFindings();
    document.getElementById("reviewed-count").textContent = String(reviewedIndexes().length);
  }

  function renderFindings() {
    const note = notes[current];
    const schema = data.schema[note.modality];
    const findings = findingsOf(current);
    const panel = document.getElementById("findings");
    panel.textContent = "";
    const head = el("h3", {}, "Findings · " + note.id);
    if (isEdited(current)) { head.appendChild(el("span", { class: "edited" }, "corrected")); }
    panel.appendChild(head);
    Object.keys(findings).sort().forEach(function (key) {
      const row = el("div", { class: "finding", "data-key": key });
      row.appendChild(el("span", { class: "key" }, key));
      const predicted = note.mentions.filter(function (m) { return m.key === key; });
      row.appendChild(el("span", { class: "cert" }, predicted.length ? predicted.map(function (m) { return m.certainty; })
        .filter(function (c, i, a) { return a.indexOf(c) === i; }).join("/") : "added by reviewer"));
      const remove = el("button", { class: "remove-finding", title: "remove this finding" }, "✕");
      remove.addEventListener("click", function () {
        const f = findingsOf(current); delete f[key]; setFindings(current, f);
      });
      row.appendChild(remove);
      const chips = el("div", { class: "related" });
      findings[key].slice().sort().forEach(function (rel) {
        const chip = el("span", { class: "chip", "data-related": rel }, rel);
        const x = el("button", { title: "remove " + rel }, "×");
        x.addEventListener("click", function () {
          const f = findingsOf(current); f[key] = f[key].filter(function (r) { return r !== rel; }); setFindings(current, f);
        });
        chip.appendChild(x);
        chips.appendChild(chip);
      });
      if (schema.relates.indexOf(key) >= 0) {
        const add = el("select", { class: "add-related", "aria-label": "add " + schema.relatedType + " to " + key });
        add.appendChild(el("option", { value: "" }, "+ " + schema.relatedType));
        schema.related.filter(function (r) { return findings[key].indexOf(r) < 0; }).forEach(function (r) {
          add.appendChild(el("option", { value: r }, r));
        });
        add.addEventListener("change", function () {
          if (!add.value) { return; }
          const f = findingsOf(current); f[key] = f[key].concat([add.value]).sort(); setFindings(current, f);
        });
        chips.appendChild(add);
      }
      row.appendChild(chips);
      panel.appendChild(row);
    });
    const addKey = el("select", { id: "add-finding", "aria-label": "add a finding" });
    addKey.appendChild(el("option", { value: "" }, "+ add " + schema.entityType));
    schema.entities.filter(function (k) { return !(k in findings); }).forEach(function (k) {
      addKey.appendChild(el("option", { value: k }, k));
    });
    addKey.addEventListener("change", function () {
      if (!addKey.value) { return; }
      const f = findingsOf(current); f[addKey.value] = []; setFindings(current, f);
    });
    panel.appendChild(addKey);
    const form = {};
    Object.keys(findings).sort().forEach(function (k) { form[k] = findings[k].slice().sort(); });
    panel.appendChild(el("pre", { id: "findings-json", title: "the findings in the guideline's interchange form" },
      JSON.stringify(form)));
    const reviewed = document.getElementById("mark-reviewed");
    reviewed.checked = isReviewed(current);
  }

  document.getElementById("mark-reviewed").addEventListener("change", function (e) {
    const id = notes[current].id;
    if (e.target.checked) { store[id] = Object.assign({}, store[id] || {}, { reviewed: true }); }
    else { delete store[id]; }
    save(); render();
  });
  document.getElementById("reset-note").addEventListener("click", function () {
    delete store[notes[current].id]; save(); render();
  });
  document.getElementById("prev-note").addEventListener("click", function () {
    location.hash = "#note/" + Math.max(0, current - 1);
  });
  document.getElementById("next-note").addEventListener("click", function () {
    location.hash = "#note/" + Math.min(notes.length - 1, current + 1);
  });

  // --- mention details and relations ---------------------------------------------------------
  function mentionsOf(i, mark) {
    return mark.dataset.m.split(" ").map(function (j) { return notes[i].mentions[parseInt(j, 10)]; });
  }
  document.querySelectorAll("article.note").forEach(function (article, i) {
    article.addEventListener("click", function (e) {
      const mark = e.target.closest("mark.m");
      if (!mark) { return; }
      const chosen = mentionsOf(i, mark);
      const keys = chosen.map(function (m) { return m.key; });
      const related = [].concat.apply([], chosen.map(function (m) { return m.related || []; }));
      article.querySelectorAll("mark.m").forEach(function (other) {
        const others = mentionsOf(i, other);
        other.classList.toggle("selected", other === mark);
        other.classList.toggle("related", other !== mark && others.some(function (o) {
          return related.indexOf(o.key) >= 0 || (o.related || []).some(function (r) { return keys.indexOf(r) >= 0; });
        }));
      });
      document.getElementById("mention-detail").textContent = mark.getAttribute("title");
    });
    article.addEventListener("keydown", function (e) {  // marks are focusable: Enter shows the details too
      if (e.key === "Enter" && e.target.matches("mark.m")) { e.target.click(); }
    });
  });

  // --- download the reviewed notes as gold ----------------------------------------------------
  function reviewedIndexes() {
    const out = [];
    notes.forEach(function (n, i) { if (store[n.id] && store[n.id].reviewed) { out.push(i); } });
    return out;
  }
  function goldLine(i) {
    const note = notes[i];
    const findings = findingsOf(i);
    const sorted = {};
    Object.keys(findings).sort().forEach(function (k) { sorted[k] = findings[k].slice().sort(); });
    const negated = note.mentions.filter(function (m) { return m.certainty === "negated" && data.schema[note.modality].entities.indexOf(m.key) >= 0 && !(m.key in sorted); })
      .map(function (m) { return m.key; }).filter(function (k, j, a) { return a.indexOf(k) === j; }).sort();
    return JSON.stringify({ id: note.id, modality: note.modality, text: note.text, findings: sorted, negated: negated });
  }
  document.getElementById("download-gold").addEventListener("click", function () {
    const lines = reviewedIndexes().map(goldLine);
    const blob = new Blob([lines.join("\n") + (lines.length ? "\n" : "")], { type: "application/x-ndjson" });
    const a = el("a", { href: URL.createObjectURL(blob), download: "gold.jsonl" });
    document.body.appendChild(a); a.click(); a.remove();
  });

  document.querySelectorAll("#note-list button").forEach(function (b, i) {
    b.addEventListener("click", function () { location.hash = "#note/" + i; });
  });
  showPage();
})();
