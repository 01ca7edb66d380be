// A call record keeps what the operator typed: leaving the page with unsaved changes asks first.
// Enregistrer and Orienter both submit the record's form, so they save the changes and ask nothing.
(function () {
  "use strict";
  const record = document.getElementById("record-form");
  if (!record) return;
  let unsaved = false;
  const changed = function () { unsaved = true; };
  record.addEventListener("input", changed);
  record.addEventListener("change", changed);
  record.addEventListener("submit", function () { unsaved = false; });
  window.addEventListener("beforeunload", function (event) {
    if (!unsaved) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers need it set to show their own warning
  });
})();
