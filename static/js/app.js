// Enhancements every page gets (loaded by base.html; the Content-Security-Policy allows no
// inline scripts). Each one is optional: without JavaScript the page works as served.
(function () {
  "use strict";

  // --- The main menu folds behind a button on narrow screens ------------------------------
  function collapsibleNav() {
    var nav = document.querySelector(".main-nav");
    var toggle = nav && nav.querySelector(".nav-toggle");
    if (!toggle) { return; }
    toggle.hidden = false;
    nav.classList.add("nav-collapsible");
    function setOpen(open) {
      nav.classList.toggle("is-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (toggle.getAttribute("aria-expanded") === "true" && !nav.contains(event.target)) { setOpen(false); }
    });
  }

  // --- A table wider than the screen scrolls in its box; keyboard users can scroll it too ---
  function scrollableTables() {
    var boxes = document.querySelectorAll(".table-scroll, .risk-chart");
    function mark() {
      Array.prototype.forEach.call(boxes, function (box) {
        var scrolls = box.scrollWidth > box.clientWidth + 1;
        if (scrolls && !box.hasAttribute("tabindex")) {
          box.setAttribute("tabindex", "0");
          box.setAttribute("data-made-focusable", "");
        } else if (!scrolls && box.hasAttribute("data-made-focusable")) {
          box.removeAttribute("tabindex");
          box.removeAttribute("data-made-focusable");
        }
      });
    }
    mark();
    window.addEventListener("resize", mark);
  }

  // --- After a refused form: focus and announce the errors where the person is ------------
  // Django marks each invalid control aria-invalid="true" and points aria-describedby at its
  // message (#<id>_error). An error summary at the top of the refused form (or of the section
  // holding the first invalid field) lists them as links, takes focus and is scrolled into
  // view; a form with only a form-level error gets focus on that error instead.
  function labelFor(control) {
    var group = control.closest("fieldset.has-error");
    if (group && control.type === "radio") {
      var legend = group.querySelector("legend");
      if (legend) { return legend.textContent.replace(/\s*·.*$/, "").trim(); }
    }
    var label = control.id && document.querySelector('label[for="' + CSS.escape(control.id) + '"]');
    return label ? label.textContent.replace(/\s*\*\s*$/, "").replace(/\s+/g, " ").trim() : (control.name || "This field");
  }

  function messageFor(control) {
    var ids = (control.getAttribute("aria-describedby") || "").split(/\s+/);
    var group = control.closest("fieldset.has-error");
    if (group) { ids = ids.concat((group.getAttribute("aria-describedby") || "").split(/\s+/)); }
    for (var i = 0; i < ids.length; i++) {
      if (/_error$/.test(ids[i])) {
        var node = document.getElementById(ids[i]);
        if (node) { return node.textContent.replace(/\s+/g, " ").trim(); }
      }
    }
    var near = control.closest(".field, td, fieldset");
    var error = near && near.querySelector(".error, .errorlist");
    return error ? error.textContent.replace(/\s+/g, " ").trim() : "Check this field.";
  }

  function invalidControls(main) {
    var found = [];
    Array.prototype.forEach.call(main.querySelectorAll('[aria-invalid="true"], fieldset.has-error'), function (el) {
      var control = el.tagName === "FIELDSET" ? el.querySelector("input, select, textarea") : el;
      if (!control || control.disabled || control.type === "hidden") { return; }
      // One entry per question: Django marks every radio button of an invalid choice.
      var sameQuestion = found.some(function (other) {
        return other === control || ((control.type === "radio" || control.type === "checkbox") && other.name === control.name);
      });
      if (!sameQuestion) { found.push(control); }
    });
    return found;
  }

  function showAndFocus(target) {
    if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  }

  function errorsWhereThePersonIs() {
    var main = document.getElementById("main");
    if (!main) { return; }
    var controls = invalidControls(main);
    if (controls.length) {
      var first = controls[0];
      var formElement = first.form && first.form.contains(first) ? first.form : null;
      // Only the errors of the form that was sent: a page may hold several forms.
      controls = controls.filter(function (c) { return c.form === first.form; });
      var summary = document.createElement("div");
      summary.className = "form-errors error-summary";
      summary.setAttribute("role", "alert");
      summary.setAttribute("aria-labelledby", "error-summary-title");
      var title = document.createElement("h2");
      title.id = "error-summary-title";
      title.textContent = controls.length === 1 ? "There is a problem" : "There are " + controls.length + " problems";
      summary.appendChild(title);
      var list = document.createElement("ul");
      controls.forEach(function (control) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = "#" + control.id;
        link.textContent = labelFor(control) + ": " + messageFor(control);
        link.addEventListener("click", function (event) {
          event.preventDefault();
          control.scrollIntoView({ block: "center" });
          control.focus({ preventScroll: true });
        });
        item.appendChild(link);
        list.appendChild(item);
      });
      summary.appendChild(list);
      var container = formElement || first.closest("section, fieldset") || first.parentNode;
      var heading = container.querySelector(":scope > h2, :scope > h3");
      if (heading) { heading.insertAdjacentElement("afterend", summary); } else { container.insertBefore(summary, container.firstChild); }
      showAndFocus(summary);
      return;
    }
    var formError = main.querySelector("form .form-errors, .form-errors[data-form-error]");
    if (formError) { showAndFocus(formError); }
  }

  // --- Markdown fields: Write and Preview tabs; the preview is rendered on the server ------
  var previewCount = 0;
  function csrfTokenFor(textarea) {
    var input = (textarea.form && textarea.form.querySelector("input[name=csrfmiddlewaretoken]")) ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function markdownPreview(textarea) {
    previewCount += 1;
    var base = textarea.id || ("markdown-" + previewCount);
    var label = labelFor(textarea);
    var tablist = document.createElement("div");
    tablist.className = "md-tabs";
    tablist.setAttribute("role", "tablist");
    tablist.setAttribute("aria-label", label);
    var writePanel = document.createElement("div");
    writePanel.id = base + "-write";
    writePanel.setAttribute("role", "tabpanel");
    var previewPanel = document.createElement("div");
    previewPanel.id = base + "-preview";
    previewPanel.className = "md-preview";
    previewPanel.setAttribute("role", "tabpanel");
    previewPanel.setAttribute("tabindex", "0");
    previewPanel.hidden = true;

    function tab(text, panel, selected) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "md-tab";
      button.id = panel.id + "-tab";
      button.textContent = text;
      button.setAttribute("role", "tab");
      button.setAttribute("aria-controls", panel.id);
      button.setAttribute("aria-selected", selected ? "true" : "false");
      button.tabIndex = selected ? 0 : -1;
      panel.setAttribute("aria-labelledby", button.id);
      tablist.appendChild(button);
      return button;
    }
    var writeTab = tab("Write", writePanel, true);
    var previewTab = tab("Preview", previewPanel, false);

    textarea.parentNode.insertBefore(tablist, textarea);
    textarea.parentNode.insertBefore(writePanel, textarea);
    writePanel.appendChild(textarea);
    writePanel.parentNode.insertBefore(previewPanel, writePanel.nextSibling);

    function select(showPreview) {
      writeTab.setAttribute("aria-selected", showPreview ? "false" : "true");
      previewTab.setAttribute("aria-selected", showPreview ? "true" : "false");
      writeTab.tabIndex = showPreview ? -1 : 0;
      previewTab.tabIndex = showPreview ? 0 : -1;
      writePanel.hidden = showPreview;
      previewPanel.hidden = !showPreview;
      if (showPreview) { render(); }
    }

    function render() {
      previewPanel.style.minHeight = Math.max(textarea.offsetHeight, 64) + "px";
      previewPanel.setAttribute("aria-busy", "true");
      previewPanel.textContent = "Rendering the preview…";
      var body = new FormData();
      body.append("text", textarea.value);
      fetch(textarea.getAttribute("data-markdown-preview"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfTokenFor(textarea), "Accept": "text/html" }
      }).then(function (response) {
        return response.text().then(function (text) { return { ok: response.ok, text: text }; });
      }).then(function (result) {
        if (result.ok) {
          // Sanitised by the server (core.markdown, the same cleaner as the page that shows it).
          previewPanel.innerHTML = result.text;
        } else {
          previewPanel.textContent = "No preview: " + result.text;
        }
      }).catch(function () {
        previewPanel.textContent = "No preview: the connection dropped. Your text is unchanged.";
      }).then(function () {
        previewPanel.removeAttribute("aria-busy");
      });
    }

    writeTab.addEventListener("click", function () { select(false); textarea.focus(); });
    previewTab.addEventListener("click", function () { select(true); });
    tablist.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight" && event.key !== "Home" && event.key !== "End") { return; }
      event.preventDefault();
      var toPreview = writeTab.getAttribute("aria-selected") === "true";
      if (event.key === "Home") { toPreview = false; }
      if (event.key === "End") { toPreview = true; }
      select(toPreview);
      (toPreview ? previewTab : writeTab).focus();
    });
  }

  function markdownPreviews() {
    if (!window.fetch || !window.FormData) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-markdown-preview]"), markdownPreview);
  }

  // --- Rows added in the page: a <template> row, its __prefix__ replaced by the next index --
  function addableRows() {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-add-row]"), function (button) {
      var template = document.getElementById(button.getAttribute("data-add-row"));
      var body = document.getElementById(button.getAttribute("data-rows-into"));
      if (!template || !body) { return; }
      var next = parseInt(button.getAttribute("data-next-index"), 10);
      var max = parseInt(button.getAttribute("data-max-rows"), 10);
      var note = document.getElementById(button.getAttribute("data-replaces"));
      button.hidden = false;
      if (note) { note.hidden = true; }
      function full() { return next >= max; }
      button.disabled = full();
      button.addEventListener("click", function () {
        if (full()) { return; }
        var html = template.innerHTML.replace(/__prefix__/g, String(next)).replace(/__number__/g, String(next + 1));
        body.insertAdjacentHTML("beforeend", html);
        next += 1;
        button.disabled = full();
        var added = body.lastElementChild;
        var first = added && added.querySelector("input, select, textarea");
        if (first) { first.focus(); }
      });
    });
  }

  // --- Person pickers: suggestions in a <datalist> as one types (the field works without) ---
  function personPickers() {
    if (!window.fetch) { return; }
    var inputs = document.querySelectorAll("input[data-person-search][data-search-url]");
    Array.prototype.forEach.call(inputs, function (input) {
      var list = document.createElement("datalist");
      list.id = input.id + "-suggestions";
      input.insertAdjacentElement("afterend", list);
      input.setAttribute("list", list.id);
      var timer = null;
      var asked = "";
      input.addEventListener("input", function () {
        clearTimeout(timer);
        // A pause in typing, not every key, asks the server.
        timer = setTimeout(function () {
          var text = input.value.trim();
          if (text.length < 2 || text === asked) { return; }
          asked = text;
          var url = input.getAttribute("data-search-url") + "?role=" +
            encodeURIComponent(input.getAttribute("data-person-search")) + "&q=" + encodeURIComponent(text);
          fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
            .then(function (response) { return response.ok ? response.json() : { results: [] }; })
            .then(function (body) {
              if (input.value.trim() !== text) { return; }  // an older answer than what is typed
              list.textContent = "";
              body.results.forEach(function (person) {
                var option = document.createElement("option");
                option.value = person.email;
                option.label = person.name;
                list.appendChild(option);
              });
            })
            .catch(function () { asked = ""; });
        }, 250);
      });
    });
  }

  function ready(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }
  ready(function () {
    collapsibleNav();
    scrollableTables();
    addableRows();
    markdownPreviews();
    personPickers();
    errorsWhereThePersonIs();
  });
})();
