// Rapport's own script (no inline scripts or handlers: the Content-Security-Policy forbids them).
// A <select data-autosubmit> sends its form when it changes (the language menu).
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
    target.form.submit();
  }
});

// A box that scrolls sideways (a wide table on a phone) can be scrolled with the keyboard too:
// it takes the focus while it has more to show.
function rapportScrollersFocusable() {
  document.querySelectorAll("main table, main div, main figure, main pre").forEach(function (el) {
    var scrolls = ["auto", "scroll"].indexOf(getComputedStyle(el).overflowX) >= 0
      && el.scrollWidth > el.clientWidth + 1;
    if (scrolls && !el.hasAttribute("tabindex")) {
      el.setAttribute("tabindex", "0");
      el.setAttribute("data-scroll-focus", "");
    } else if (!scrolls && el.hasAttribute("data-scroll-focus")) {
      el.removeAttribute("tabindex");
      el.removeAttribute("data-scroll-focus");
    }
  });
}
rapportScrollersFocusable();
window.addEventListener("load", rapportScrollersFocusable);
window.addEventListener("resize", rapportScrollersFocusable);
document.addEventListener("htmx:afterSettle", rapportScrollersFocusable);
