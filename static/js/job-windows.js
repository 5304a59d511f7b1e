/*
 * Shift rows of the post form: shows an "add a shift" button that appends a
 * blank row from the <template> and bumps the formset's TOTAL_FORMS, and
 * keeps only one blank row at the end (the server renders several for
 * browsers without JavaScript; on a phone they made the form very long).
 */
(function () {
  "use strict";

  function enhance(box) {
    var rows = box.querySelector("[data-window-rows]");
    var template = box.querySelector("template[data-window-template]");
    var button = box.querySelector("[data-add-window]");
    var total = box.querySelector('input[name$="-TOTAL_FORMS"]');
    var max = box.querySelector('input[name$="-MAX_NUM_FORMS"]');
    if (!rows || !template || !button || !total) {
      return;
    }
    trimBlankRows(rows, total);
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10) || 0;
      if (max && index >= parseInt(max.value, 10)) {
        button.hidden = true;
        return;
      }
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__num__/g, String(index + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = String(index + 1);
      var first = row.querySelector("input");
      if (first) {
        first.focus();
      }
    });
  }

  function isBlank(row) {
    if (row.querySelector(".errorlist, .form-errors")) {
      return false;
    }
    var inputs = row.querySelectorAll("input");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if ((input.type === "checkbox" || input.type === "radio") ? input.checked : input.value) {
        return false;
      }
    }
    return true;
  }

  // Drop trailing blank rows until one is left (only the last rows: numbering stays).
  function trimBlankRows(rows, total) {
    var all = rows.querySelectorAll("[data-window-row]");
    var count = all.length;
    while (count > 1 && isBlank(all[count - 1]) && isBlank(all[count - 2])) {
      all[count - 1].remove();
      count -= 1;
    }
    total.value = String(count);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll("[data-job-windows]");
    for (var i = 0; i < boxes.length; i++) {
      enhance(boxes[i]);
    }
  });
})();
