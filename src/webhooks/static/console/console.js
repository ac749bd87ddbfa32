// Copy buttons of the console: copy the named field's text; select it when the clipboard is closed.
"use strict";
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) return;
  var field = document.getElementById(button.getAttribute("data-copy"));
  if (!field) return;
  var done = function () {
    button.textContent = "Copiada";
    setTimeout(function () { button.textContent = "Copiar"; }, 2000);
  };
  field.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});

// The transcript opens at its newest message.
document.addEventListener("DOMContentLoaded", function () {
  var transcript = document.getElementById("transcripcion");
  if (transcript) transcript.scrollTop = transcript.scrollHeight;
});
