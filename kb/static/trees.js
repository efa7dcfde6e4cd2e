// Guided troubleshooting: copy/print on the transcript, and the tree editor's live preview.
// Every page works without this file (the Preview button redraws through a form post).
"use strict";
(function () {
  document.querySelectorAll(".js-copy").forEach(function (button) {
    const box = document.getElementById(button.dataset.target);
    if (!box || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(box.value).then(function () {
        button.textContent = "Copied";
      });
    });
  });
  document.querySelectorAll(".js-print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  const form = document.getElementById("tree-editor");
  if (!form) return;
  // Show only the fields that matter for each step's kind.
  function showKindFields(fieldset) {
    const kind = fieldset.querySelector("select[name$='-kind']").value;
    fieldset.querySelectorAll(".kind-fields").forEach(function (block) {
      block.hidden = !block.classList.contains("only-" + kind);
    });
  }
  form.querySelectorAll("fieldset.node-form").forEach(function (fieldset) {
    showKindFields(fieldset);
    fieldset.querySelector("select[name$='-kind']").addEventListener("change", function () {
      showKindFields(fieldset);
    });
  });
  // Renaming a step: every list of steps shows the new id at once. The options keep the old
  // id as their value; the server carries a rename through (node-<i>-original_id).
  form.querySelectorAll("fieldset.node-form").forEach(function (fieldset) {
    const original = fieldset.querySelector("input[name$='-original_id']");
    const id = fieldset.querySelector("input[name$='-id'][type=text]");
    if (!original || !id || !original.value) return;
    id.addEventListener("input", function () {
      form.querySelectorAll("option").forEach(function (option) {
        if (option.value === original.value) option.textContent = id.value.trim() || original.value;
      });
    });
  });
  // Live preview: the server draws the flowchart and checks the tree as it is in the form.
  const target = document.getElementById("tree-preview");
  const list = document.getElementById("live-problems");
  const token = form.querySelector("input[name=csrf_token]").value;
  let timer = null;
  async function refresh() {
    try {
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST",
        headers: { "X-CSRFToken": token },
        body: new FormData(form),
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const data = await response.json();
      target.innerHTML = data.svg; // drawn and escaped by the server
      list.replaceChildren();
      data.problems.forEach(function (problem) {
        const item = document.createElement("li");
        item.textContent = (problem.node ? problem.node + ": " : "") + problem.message;
        list.appendChild(item);
      });
    } catch (error) {
      /* offline: the Preview button still works */
    }
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 500);
  });
  form.addEventListener("change", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });
})();
