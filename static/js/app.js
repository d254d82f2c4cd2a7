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
