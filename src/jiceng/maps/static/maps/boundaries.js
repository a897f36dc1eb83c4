// The boundary import: while the file is sent and checked, say so (a large file takes a while).
(function () {
  var form = document.querySelector("form[data-busy]");
  if (!form) return;
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    var note = document.getElementById("import-busy");
    if (button) { button.disabled = true; button.textContent = form.getAttribute("data-busy"); }
    if (note) note.hidden = false;
  });
})();
