// The class sheet's QR code opens /wishes/#CLASSCODE: the fragment never reaches the server (so
// class codes stay out of access logs). Copy it into the class-code field, drop it from the address
// bar, and put the cursor on the personal code. Without JavaScript the student types both codes.
(function () {
  "use strict";
  var code = decodeURIComponent(window.location.hash.replace(/^#/, "")).replace(/[^A-Za-z0-9 -]/g, "").slice(0, 32);
  var classField = document.getElementById("class_code");
  if (!code || !classField) { return; }
  if (!classField.value) { classField.value = code; }
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  var personal = document.getElementById("personal_code");
  if (personal) { personal.focus(); }
}());
