// Comments on selected text (scoring and peer review pages). Without this script the
// comment form still works for a whole section or an evidence item; with it, selecting text
// inside a section (an element with data-section) offers "Comment on this", which fills the
// form's quote, the text around it and the section, and moves the form beside that section.
// The server finds the quote in the stored markdown and refuses what it cannot find.
(function () {
  "use strict";
  var form = document.querySelector("form[data-comment-form]");
  if (!form || !window.getSelection) { return; }
  var CONTEXT = 32;
  var home = form.parentNode;
  var homeNext = form.nextSibling;
  var section = form.querySelector("select[name=section]");
  var artifact = form.querySelector("select[name=artifact]");
  var quote = form.querySelector("input[name=quote]");
  var prefix = form.querySelector("input[name=prefix]");
  var suffix = form.querySelector("input[name=suffix]");
  var shown = form.querySelector("[data-comment-quote]");
  var clear = form.querySelector("[data-comment-clear]");
  var body = form.querySelector("textarea[name=body]");

  var offer = document.createElement("button");
  offer.type = "button";
  offer.className = "comment-offer small";
  offer.textContent = "Comment on this";
  offer.hidden = true;
  document.body.appendChild(offer);
  var pending = null;

  function containerOf(node) {
    var el = node && (node.nodeType === 1 ? node : node.parentElement);
    return el ? el.closest("[data-section]") : null;
  }

  function textAround(container, range) {
    var before = document.createRange();
    before.selectNodeContents(container);
    before.setEnd(range.startContainer, range.startOffset);
    var after = document.createRange();
    after.selectNodeContents(container);
    after.setStart(range.endContainer, range.endOffset);
    return [before.toString().slice(-CONTEXT), after.toString().slice(0, CONTEXT)];
  }

  function readSelection() {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || sel.rangeCount === 0) { return null; }
    var range = sel.getRangeAt(0);
    var start = containerOf(range.startContainer);
    var end = containerOf(range.endContainer);
    if (!start || start !== end) { return null; }
    // Text of the comments shown inside a section, and of any form, is not the work.
    var el = range.commonAncestorContainer;
    el = el.nodeType === 1 ? el : el.parentElement;
    if (el.closest(".thread-list, form, .comment-offer")) { return null; }
    var text = sel.toString();
    if (!text.trim()) { return null; }
    var context = textAround(start, range);
    return { container: start, key: start.getAttribute("data-section"), text: text,
             prefix: context[0], suffix: context[1], rect: range.getBoundingClientRect() };
  }

  function hideOffer() { offer.hidden = true; pending = null; }

  function showOffer() {
    var picked = readSelection();
    if (!picked) { hideOffer(); return; }
    pending = picked;
    offer.hidden = false;
    var top = window.scrollY + picked.rect.bottom + 6;
    var left = Math.max(8, Math.min(window.scrollX + picked.rect.left, window.scrollX + document.documentElement.clientWidth - offer.offsetWidth - 8));
    offer.style.top = top + "px";
    offer.style.left = left + "px";
  }

  function setQuote(picked) {
    quote.value = picked ? picked.text : "";
    prefix.value = picked ? picked.prefix : "";
    suffix.value = picked ? picked.suffix : "";
    if (shown) {
      shown.textContent = picked ? "Quoting: \u201c" + picked.text.trim() + "\u201d" : "";
      shown.hidden = !picked;
    }
    if (clear) { clear.hidden = !picked; }
    if (artifact && picked) { artifact.value = ""; }
  }

  offer.addEventListener("click", function () {
    if (!pending) { return; }
    var picked = pending;
    hideOffer();
    if (section) {
      var option = section.querySelector("option[value='" + picked.key + "']");
      if (option) { section.value = picked.key; }
    }
    setQuote(picked);
    picked.container.insertAdjacentElement("afterend", form);
    form.classList.add("comment-form-inline");
    body.focus();
  });

  if (clear) {
    clear.addEventListener("click", function () {
      setQuote(null);
      form.classList.remove("comment-form-inline");
      home.insertBefore(form, homeNext);
      body.focus();
    });
  }

  // Pressing the offer must not clear the selection it is about.
  offer.addEventListener("mousedown", function (event) { event.preventDefault(); });
  var timer = null;
  // selectionchange covers mouse, keyboard (shift + arrows) and touch selection alike.
  document.addEventListener("selectionchange", function () {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(showOffer, 150);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { hideOffer(); }
  });
})();
