// Rapport's own script (no inline scripts or handlers: the Content-Security-Policy forbids them).
// A <select data-autosubmit> sends its form when it changes (the language menu).
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
    target.form.submit();
  }
});
