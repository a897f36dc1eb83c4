/* The grading form of a submission: saves each item as it is graded (one POST per item,
 * in order, carrying the form's version), keeps the per-chapter progress current, and
 * warns before the page is left while something is not saved. */
(function () {
  "use strict";

  function start() {
    var form = document.querySelector("form[data-draft-url]");
    if (!form) return;
    var url = form.dataset.draftUrl;
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var unsaved = new Set(); // items whose current value is not known to be saved
    var busy = 0; // saves queued or in flight
    var queue = Promise.resolve();
    var timers = {};
    var leaving = false;

    function row(code) {
      return document.getElementById("item-" + code);
    }

    function field(code, prefix, tag) {
      var r = row(code);
      return r && r.querySelector(tag + "[name='" + prefix + code + "']");
    }

    function state(code, text, kind) {
      var r = row(code);
      var out = r && r.querySelector(".save-state");
      if (!out) return;
      out.textContent = text || "";
      out.className = "save-state" + (kind ? " " + kind : "");
    }

    function progress() {
      form.querySelectorAll("details.chapter").forEach(function (ch) {
        var selects = ch.querySelectorAll("select[name^='g-']");
        if (!selects.length) return;
        var n = 0;
        selects.forEach(function (s) {
          if (s.value) n += 1;
        });
        var out = ch.querySelector(".n-graded");
        if (out) out.textContent = String(n);
        var box = ch.querySelector(".chapter-progress");
        if (box) box.classList.toggle("complete", n === selects.length);
      });
    }

    function send(code) {
      var grade = field(code, "g-", "select");
      var remark = field(code, "r-", "textarea");
      var sent = (grade ? grade.value : "") + "\u0000" + (remark ? remark.value : "");
      var body = new FormData();
      body.append("item", code);
      body.append("grade", grade ? grade.value : "");
      if (remark) body.append("remark", remark.value);
      body.append("version", form.querySelector("input[name=version]").value);
      state(code, form.dataset.saving, "saving");
      return fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token, Accept: "application/json" },
      })
        .then(function (resp) {
          return resp.json().then(function (data) {
            return { ok: resp.ok, data: data };
          });
        })
        .then(function (res) {
          if (!res.ok) {
            state(code, res.data.error || form.dataset.unsaved, "error");
            return;
          }
          document.querySelectorAll("input[name=version]").forEach(function (input) {
            input.value = String(res.data.version);
          });
          var now = (grade ? grade.value : "") + "\u0000" + (remark ? remark.value : "");
          if (now === sent) unsaved.delete(code);
          state(code, res.data.saved, "saved");
        })
        .catch(function () {
          state(code, form.dataset.unsaved, "error");
        });
    }

    function save(code) {
      clearTimeout(timers[code]);
      delete timers[code];
      busy += 1;
      queue = queue.then(function () {
        return send(code);
      }).then(function () {
        busy -= 1;
      });
      return queue;
    }

    function codeOf(el) {
      var name = el.name || "";
      return /^[gr]-/.test(name) ? name.slice(2) : null;
    }

    form.addEventListener("change", function (e) {
      var code = codeOf(e.target);
      if (!code) return;
      unsaved.add(code);
      progress();
      save(code);
    });

    form.addEventListener("input", function (e) {
      if (e.target.tagName !== "TEXTAREA") return;
      var code = codeOf(e.target);
      if (!code) return;
      unsaved.add(code);
      clearTimeout(timers[code]);
      timers[code] = setTimeout(function () {
        save(code);
      }, 800);
    });

    // The form itself carries every grade: submitting it (save, submit, upload, adopt)
    // loses nothing, but it waits for running saves so that its version is current.
    form.addEventListener("submit", function (e) {
      if (busy > 0) {
        e.preventDefault();
        var submitter = e.submitter;
        queue.then(function () {
          form.requestSubmit(submitter);
        });
        return;
      }
      Object.keys(timers).forEach(function (code) {
        clearTimeout(timers[code]);
      });
      leaving = true;
    });

    window.addEventListener("beforeunload", function (e) {
      if (leaving || (unsaved.size === 0 && busy === 0)) return;
      e.preventDefault();
      e.returnValue = "";
    });

    window.addEventListener("pageshow", function () {
      leaving = false;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
