// Copy buttons: <button class="copy" data-copy="ID" hidden> copies the text of the
// element with that id. Without this script the buttons stay hidden and the text
// stays selectable.
"use strict";

function selectText(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

function say(button, text) {
  const status = document.getElementById(button.dataset.copy + "-status");
  if (status) {
    status.textContent = text;
  }
}

async function copy(button) {
  const source = document.getElementById(button.dataset.copy);
  selectText(source);  // the user sees what is copied, and can copy it by hand
  try {
    await navigator.clipboard.writeText(source.textContent);
    say(button, "복사했습니다.");
  } catch (error) {
    say(button, document.execCommand("copy")
      ? "복사했습니다."
      : "글을 선택해 두었습니다. Ctrl+C 를 눌러 복사하세요.");
  }
}

for (const button of document.querySelectorAll("button.copy[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", () => copy(button));
}
