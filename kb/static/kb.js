// kb: small enhancements; every page works without this file.
"use strict";

// Search boxes: title suggestions as you type (from /api/v1/search/suggest). Arrow keys move,
// Enter opens the highlighted title, Escape closes; without JavaScript the form still searches.
(function () {
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = document.createElement("ul");
    var listId = input.id + "-suggestions";
    var timer = null;
    var active = -1;
    var lastQuery = "";
    list.id = listId;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.setAttribute("aria-controls", listId);
    input.setAttribute("aria-autocomplete", "list");
    input.insertAdjacentElement("afterend", list);

    function close() { list.hidden = true; active = -1; list.replaceChildren(); }
    function highlight(index) {
      var items = list.querySelectorAll("a");
      items.forEach(function (a, i) { a.classList.toggle("active", i === index); });
      active = index;
    }
    function show(suggestions) {
      list.replaceChildren();
      suggestions.forEach(function (s) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = s.url;
        a.setAttribute("role", "option");
        a.textContent = s.title;
        if (s.kind === "tree") {
          var badge = document.createElement("span");
          badge.className = "badge";
          badge.textContent = "Diagnostic";
          a.append(" ", badge);
        }
        li.append(a);
        list.append(li);
      });
      list.hidden = suggestions.length === 0;
      active = -1;
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value;
      if (q.trim().length < 2) { close(); return; }
      timer = setTimeout(function () {
        lastQuery = q;
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q), {
          headers: { Accept: "application/json" }, credentials: "same-origin"
        }).then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (data) { if (lastQuery === input.value) show(data.suggestions); })
          .catch(close);
      }, 120);
    });
    input.addEventListener("keydown", function (event) {
      var items = list.querySelectorAll("a");
      if (list.hidden || !items.length) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight((active + 1) % items.length); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight((active - 1 + items.length) % items.length); }
      else if (event.key === "Escape") { close(); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); window.location = items[active].href; }
    });
    input.addEventListener("blur", function () { setTimeout(close, 200); });
  });
})();

// "Ask the help desk": choosing a service with an open outage shows that outage's notice (the
// request will join it); without JavaScript the service list marks it "known problem now".
(function () {
  document.querySelectorAll("select[data-outage-notices]").forEach(function (select) {
    function show() {
      document.querySelectorAll("[data-outage-service]").forEach(function (notice) {
        notice.hidden = notice.dataset.outageService !== select.value;
      });
    }
    select.addEventListener("change", show);
    show();
  });
})();
