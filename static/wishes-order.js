// Drag and drop for "my wishes" on the students' wishes page. The page works without it: the
// up/down buttons post the list. With it, dragging an entry reorders the list and the hidden
// "pick" fields the form sends, in the new order; "save" then stores that order. No inline
// script or style (the CSP stays strict).
(function () {
  "use strict";
  var list = document.getElementById("my-wishes");
  var form = list && list.closest("form");
  if (!list || !form || !("draggable" in document.createElement("li"))) { return; }
  var dragged = null;

  function syncPicks() {
    var old = form.querySelectorAll('input[name="pick"]');
    var fragment = document.createDocumentFragment();
    Array.prototype.forEach.call(list.children, function (item) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "pick";
      input.value = item.getAttribute("data-offer");
      fragment.appendChild(input);
    });
    form.insertBefore(fragment, old.length ? old[0] : form.firstChild);
    Array.prototype.forEach.call(old, function (input) { input.remove(); });
  }

  Array.prototype.forEach.call(list.children, function (item) {
    item.setAttribute("draggable", "true");
    item.classList.add("draggable");
    item.addEventListener("dragstart", function (event) {
      dragged = item;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.getAttribute("data-offer"));
    });
    item.addEventListener("dragover", function (event) { event.preventDefault(); });
    item.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!dragged || dragged === item) { return; }
      var after = event.clientY > item.getBoundingClientRect().top + item.offsetHeight / 2;
      list.insertBefore(dragged, after ? item.nextSibling : item);
      syncPicks();
    });
    item.addEventListener("dragend", function () { dragged = null; });
  });
}());
