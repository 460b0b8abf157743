// Live preview for the edit forms (fees, a 동's block): a moment after the last
// keystroke the form is sent, unsaved, to the form's data-live address, which answers
// with a preview image's address or with the problems to show next to their inputs.
// A newer request cancels the one still on its way (the server then skips or stops
// that render), so a preview never waits behind an outdated one.
// Without this script the form works as before: saving shows the saved preview.
(function () {
  "use strict";
  var form = document.querySelector("form[data-live]");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var image = document.getElementById("live-image");
  var state = document.getElementById("live-state");
  var delay = parseInt(form.getAttribute("data-live-delay"), 10) || 350;
  var timer = null;
  var asked = 0;
  var pending = null; // the AbortController of the request on its way, if any

  function clearMarks() {
    var marked = form.querySelectorAll("[aria-invalid]");
    for (var i = 0; i < marked.length; i++) {
      var note = document.getElementById("err-" + marked[i].id);
      marked[i].removeAttribute("aria-invalid");
      marked[i].removeAttribute("aria-describedby");
      if (note) {
        note.textContent = "";
        note.hidden = true;
      }
    }
  }

  function mark(errors) {
    var elsewhere = [];
    clearMarks();
    errors.forEach(function (error) {
      var input = error.id ? document.getElementById(error.id) : null;
      var note = input ? document.getElementById("err-" + error.id) : null;
      if (!note) {
        elsewhere.push(error.label + ": " + error.text);
      } else if (!input.hasAttribute("aria-invalid")) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", note.id);
        note.textContent = error.text;
        note.hidden = false;
      }
    });
    return elsewhere;
  }

  function refresh() {
    var number = ++asked;
    var data = new FormData(form);
    var options = {method: "POST", body: data, credentials: "same-origin"};
    data.delete("image"); // a picture is previewed once saved
    if (pending) {
      pending.abort(); // superseded: its answer is not wanted any more
    }
    pending = window.AbortController ? new AbortController() : null;
    if (pending) {
      options.signal = pending.signal;
    }
    state.textContent = "미리보기를 만드는 중…";
    fetch(form.getAttribute("data-live"), options)
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (number !== asked) {
          return; // the user typed again: a newer preview is on its way
        }
        pending = null;
        var elsewhere = mark(answer.errors || []);
        if (answer.src) {
          image.src = answer.src;
          state.textContent = "입력한 내용의 미리보기입니다 (아직 저장하지 않았습니다).";
        } else {
          state.textContent = "표시된 칸을 고치면 미리보기가 바뀝니다." +
            (elsewhere.length ? " " + elsewhere.join(" / ") : "");
        }
      })
      .catch(function () {
        if (number === asked) {
          state.textContent = "미리보기를 만들지 못했습니다. 저장은 그대로 할 수 있습니다.";
        }
      });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, delay);
  });
})();
