// Live pages: when something new is recorded, the page is read again and
// its main part put in place, without a reload. Pages work without this
// script; it only keeps them current. Served by Accord itself (no other site).
(function () {
  "use strict";
  var body = document.body;
  if (!window.EventSource || !window.fetch || body.dataset.live !== "yes") {
    return;
  }
  var shown = body.dataset.head;
  var source = new EventSource("/events");
  source.addEventListener("head", function (event) {
    if (event.data === shown) {
      return;
    }
    shown = event.data;
    fetch(window.location.href, { headers: { accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        if (text === null) {
          return;
        }
        var fresh = new DOMParser().parseFromString(text, "text/html").querySelector("main");
        if (fresh) {
          document.querySelector("main").replaceWith(fresh);
          body.dataset.head = shown;
        }
      })
      .catch(function () { /* the next change tries again */ });
  });
})();

// Record forms: a name picked from those the record holds is added to its
// field as a line of its own. Without this script the names are typed.
(function () {
  "use strict";
  document.querySelectorAll(".adding").forEach(function (adding) {
    var input = adding.querySelector("input");
    var field = document.getElementById(input.dataset.addsTo);
    function add() {
      var name = input.value.trim();
      if (!name) {
        return;
      }
      var lines = field.value.split("\n").filter(function (line) { return line.trim(); });
      if (lines.indexOf(name) < 0) {
        lines.push(name);
      }
      field.value = lines.join("\n");
      input.value = "";
    }
    adding.querySelector("button").addEventListener("click", add);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        add();
      }
    });
    adding.hidden = false;
  });
})();
