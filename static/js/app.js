// hub-booking: the little behaviour the pages need, kept out of the HTML so that the
// Content-Security-Policy can forbid inline scripts ("script-src 'self'").
"use strict";

// The language switch returns to the page being read, also after htmx changed its URL
// (filters push their query string); without JavaScript the server-rendered value is used.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.matches("form.lang") && form.elements.next) {
    form.elements.next.value = window.location.pathname + window.location.search;
  }
});

// People (admin pages): "Copy the link" next to a one-time link. The link is in a read-only
// field that can be selected by hand; with JavaScript the button copies it in one click.
// Calendar feeds (/account/feeds) use the same button for a new feed's address.
document.querySelectorAll("button.copy-link[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.getAttribute("data-copy"));
  var done = document.getElementById(button.getAttribute("data-copy") + "-copied");
  if (!field) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    field.select();
    var shown = function () { if (done) { done.hidden = false; } };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(shown, function () { document.execCommand("copy"); shown(); });
    } else {
      document.execCommand("copy");
      shown();
    }
  });
});

// Manager pages (helper "requests"): "Select all on this page" in the approval queue ticks
// (or, when all are ticked, unticks) the requests' checkboxes of the bulk form, and "Print"
// on the day's printable sheet opens the print dialog. Both buttons are hidden until this
// script shows them: without JavaScript, the boxes are ticked by hand and printed from the
// browser's menu. Delegated, so they keep working after htmx swaps the queue.
(function () {
  function reveal() {
    document.querySelectorAll("button[data-select-all], button[data-print]").forEach(function (b) {
      b.hidden = false;
    });
  }
  reveal();
  document.addEventListener("htmx:afterSettle", reveal);
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("button") : null;
    if (!button) { return; }
    if (button.hasAttribute("data-print")) {
      window.print();
    } else if (button.hasAttribute("data-select-all")) {
      var form = button.getAttribute("data-select-all");
      var boxes = document.querySelectorAll('input[type="checkbox"][form="' + form + '"]');
      var all = Array.prototype.every.call(boxes, function (box) { return box.checked; });
      boxes.forEach(function (box) { box.checked = !all; });
    }
  });
})();
