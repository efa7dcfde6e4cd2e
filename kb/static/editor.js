// Live preview for the article editor: the server renders with the same pipeline as the
// article page. Without JavaScript the Preview button does the same through a form post.
"use strict";
(function () {
  const form = document.getElementById("article-editor");
  if (!form) return;
  const body = form.querySelector("textarea[name=body]");
  const target = document.getElementById("preview-body");
  const token = form.querySelector("input[name=csrf_token]").value;
  const url = form.dataset.previewUrl;
  let timer = null;
  let last = null;
  async function refresh() {
    if (body.value === last) return;
    last = body.value;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ markdown: body.value }),
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const data = await response.json();
      target.innerHTML = data.html; // sanitised by the server (nh3)
    } catch (error) {
      /* offline: the Preview button still works */
    }
  }
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  // Keep unsaved text in this browser until the save goes through.
  const key = "kb-draft:" + location.pathname;
  const saved = localStorage.getItem(key);
  if (saved && saved !== body.value && !document.querySelector(".has-error")) {
    const note = document.createElement("p");
    note.className = "flash warning";
    note.textContent = "You have unsaved text from an earlier visit. ";
    const restore = document.createElement("button");
    restore.type = "button";
    restore.textContent = "Bring it back";
    restore.addEventListener("click", function () { body.value = saved; note.remove(); refresh(); });
    note.appendChild(restore);
    form.prepend(note);
  }
  body.addEventListener("input", function () { localStorage.setItem(key, body.value); });
  // Once submitted, the server either saves the text or shows it again with the problem.
  form.addEventListener("submit", function () { localStorage.removeItem(key); });
  refresh();
})();
