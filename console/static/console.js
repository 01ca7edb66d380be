// The console works without script; this file only adds comfort: the live board refreshes itself and
// announces the calls put through to the operators, a page that refused a save puts the keyboard on what
// to correct, long lists of communes can be searched, and a page of several forms warns before a save
// would lose what was typed in another one.
(function () {
  "use strict";

  // Two short tones: a call has just been put through to the operators. Browsers may refuse sound until
  // the page was used once; the title and the announcement say it anyway.
  function chime() {
    try {
      const audio = new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.25].forEach((start) => {
        const tone = audio.createOscillator();
        const volume = audio.createGain();
        tone.frequency.value = 880;
        volume.gain.setValueAtTime(0.2, audio.currentTime + start);
        volume.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + start + 0.2);
        tone.connect(volume).connect(audio.destination);
        tone.start(audio.currentTime + start);
        tone.stop(audio.currentTime + start + 0.2);
      });
      window.setTimeout(() => audio.close(), 1000);
    } catch (error) {
      // No sound here: the title and the announcement remain.
    }
  }

  // Calls put through to the operators and not taken: counted in the page's title, each new one announced
  // (to screen readers too) with a link to its record, and chimed.
  function arrivals(board, region) {
    const title = document.title;
    let known = null;
    return function update() {
      const rows = Array.from(board.querySelectorAll("tr[data-arrival]"));
      document.title = rows.length ? "(" + rows.length + ") Appel pour les opérateurs · " + title : title;
      const fresh = known === null ? [] : rows.filter((row) => !known.has(row.id));
      known = new Set(rows.map((row) => row.id));
      if (fresh.length === 0) {
        if (rows.length === 0) region.textContent = "";
        return;
      }
      region.innerHTML = "";
      fresh.forEach((row) => {
        const line = document.createElement("p");
        line.className = "flash info";
        line.textContent = row.dataset.arrival + ". ";
        const link = row.querySelector("a[id^=open-]");
        if (link) {
          const open = document.createElement("a");
          open.href = link.href;
          open.textContent = "Ouvrir la fiche";
          line.appendChild(open);
        }
        region.appendChild(line);
      });
      board.dataset.chimes = String(Number(board.dataset.chimes || 0) + 1);
      chime();
    };
  }

  // The live board polls its rows.
  function liveBoard(board) {
    const url = board.dataset.refreshUrl;
    const every = Math.max(1, Number(board.dataset.refreshSeconds || 5)) * 1000;
    const region = document.getElementById("arrivals");
    const announce = region ? arrivals(board, region) : () => {};
    let last = null;
    announce();

    async function refresh() {
      try {
        const response = await fetch(url, {
          headers: { "X-Requested-With": "fetch" },
          credentials: "same-origin",
          redirect: "manual",
          cache: "no-store",
        });
        if (response.status === 401 || response.type === "opaqueredirect") {
          // Signed out meanwhile: reloading leads to the login page, which brings the operator back here.
          window.location.reload();
          return;
        }
        if (response.ok) {
          const html = await response.text();
          if (html !== last) {
            // Keep the keyboard where it was: the focused link is found again by its id.
            const focused = document.activeElement && board.contains(document.activeElement) ? document.activeElement.id : null;
            board.innerHTML = html;
            last = html;
            announce();
            if (focused) {
              const again = document.getElementById(focused);
              if (again) again.focus();
            }
          }
        }
      } catch (error) {
        // A network blip: the next round tries again.
      }
      window.setTimeout(refresh, every);
    }

    window.setTimeout(refresh, every);
  }

  // Accents and case aside, as people type a commune's name.
  function folded(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[-'’\s]+/g, " ").trim();
  }

  // A search box above a fieldset of commune checkboxes: typing narrows the list, the count says what is ticked.
  function searchableCommunes(fieldset, index) {
    const labels = Array.from(fieldset.querySelectorAll("label.commune"));
    const box = document.createElement("div");
    box.className = "field commune-search";
    const id = "commune-search-" + index;
    box.innerHTML =
      '<label for="' + id + '">Chercher une commune (nom ou code postal)</label>' +
      '<input type="search" id="' + id + '" autocomplete="off">' +
      '<p class="hint" aria-live="polite"></p>';
    fieldset.insertBefore(box, labels[0] || null);
    const input = box.querySelector("input");
    const status = box.querySelector("p");
    const texts = labels.map((label) => folded(label.textContent));

    function update() {
      const query = folded(input.value);
      let shown = 0;
      labels.forEach((label, i) => {
        const match = !query || texts[i].includes(query);
        label.hidden = !match;
        if (match) shown += 1;
      });
      const ticked = labels.filter((label) => label.querySelector("input").checked).length;
      status.textContent =
        (query ? shown + " commune" + (shown > 1 ? "s" : "") + " sur " + labels.length + " ; " : "") +
        ticked + " cochée" + (ticked > 1 ? "s" : "");
    }

    input.addEventListener("input", update);
    // Enter in the search box ticks the only commune left rather than submitting the form.
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      const left = labels.filter((label) => !label.hidden);
      if (left.length === 1) {
        const checkbox = left[0].querySelector("input");
        checkbox.checked = !checkbox.checked;
        checkbox.dispatchEvent(new Event("change", { bubbles: true }));
        input.select();
      }
    });
    fieldset.addEventListener("change", update);
    update();
  }

  // Forms marked data-guard each save one section of a page: saving one reloads the page and would lose
  // what was typed in another. Say so, name the section, and let the person choose.
  function guardSections(forms) {
    // A form's fields as sent, either as they are now or as the page gave them (the HTML's defaults):
    // what was typed before this script ran (a slow page) still counts as typed.
    const fields = (form, now) => {
      const sent = new URLSearchParams();
      Array.from(form.elements).forEach((el) => {
        if (!el.name || el.disabled || ["submit", "button", "reset", "file"].includes(el.type)) return;
        if (el.type === "checkbox" || el.type === "radio") {
          if (now ? el.checked : el.defaultChecked) sent.append(el.name, el.value);
        } else if (el.tagName === "SELECT") {
          const options = Array.from(el.options);
          let chosen = options.filter((option) => (now ? option.selected : option.defaultSelected));
          if (!now && chosen.length === 0 && !el.multiple && options.length) chosen = [options[0]];
          chosen.forEach((option) => sent.append(el.name, option.value));
        } else {
          sent.append(el.name, now ? el.value : el.defaultValue);
        }
      });
      return sent.toString();
    };
    const state = (form) => fields(form, true);
    const initial = new Map(forms.map((form) => [form, fields(form, false)]));
    const title = (form) => {
      const section = form.closest("section");
      const heading = section && section.querySelector("h2");
      return heading ? heading.textContent.trim() : "une autre partie";
    };
    let leaving = false;

    forms.forEach((form) => {
      form.addEventListener("submit", (event) => {
        const others = forms.filter((other) => other !== form && state(other) !== initial.get(other));
        if (others.length === 0 || form.dataset.confirmed === "1") {
          leaving = true;
          return;
        }
        event.preventDefault();
        let warning = form.querySelector(".unsaved-warning");
        if (!warning) {
          warning = document.createElement("div");
          warning.className = "flash error unsaved-warning";
          warning.setAttribute("role", "alert");
          warning.tabIndex = -1;
          form.appendChild(warning);
        }
        warning.innerHTML = "";
        const sentence = document.createElement("p");
        sentence.textContent =
          "Vous avez modifié « " + others.map(title).join(" », « ") +
          " » sans l'enregistrer : enregistrer ici rechargerait la page et effacerait ces modifications.";
        warning.appendChild(sentence);
        others.forEach((other) => {
          const back = document.createElement("button");
          back.type = "button";
          back.textContent = "Revenir à « " + title(other) + " »";
          back.addEventListener("click", () => {
            const first = Array.from(other.elements).find((el) => el.type !== "hidden" && !el.disabled);
            if (first) first.focus();
          });
          warning.appendChild(back);
        });
        const anyway = document.createElement("button");
        anyway.type = "button";
        anyway.textContent = "Enregistrer quand même (perdre les autres modifications)";
        anyway.addEventListener("click", () => {
          form.dataset.confirmed = "1";
          form.requestSubmit();
        });
        warning.appendChild(anyway);
        warning.focus();
      });
    });
    window.addEventListener("beforeunload", (event) => {
      if (leaving || forms.every((form) => state(form) === initial.get(form))) return;
      event.preventDefault();
      event.returnValue = "";
    });
  }

  const board = document.getElementById("board");
  if (board) liveBoard(board);
  document.querySelectorAll("fieldset.communes").forEach(searchableCommunes);
  const guarded = Array.from(document.querySelectorAll("form[data-guard]"));
  if (guarded.length > 1) guardSections(guarded);
  // « Imprimer la fiche » and its kind: the browser's print dialog (the page's print style keeps the content).
  document.querySelectorAll("button[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
  // « Écouter » a prompt: the browser's own French voice reads the text as typed (a preview; callers hear
  // Twilio's voice). The parts the menu fills in are read as examples. Hidden where there is no voice.
  if ("speechSynthesis" in window) {
    const examples = { name: "l'association", label: "ménage", request: "ménage à Ciron pour un proche",
      call: "douze", number: "zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit", hours: "du lundi au vendredi" };
    document.querySelectorAll("button[data-listen]").forEach((button) => {
      const text = button.form.querySelector("[data-listen-text]");
      button.hidden = false;
      button.addEventListener("click", () => {
        window.speechSynthesis.cancel();
        const said = text.value.replace(/\{(\w+)\}/g, (whole, part) => examples[part] || "");
        const utterance = new SpeechSynthesisUtterance(said);
        utterance.lang = "fr-FR";
        window.speechSynthesis.speak(utterance);
      });
    });
  }
  // A save was refused: the summary of what to correct takes the focus (each line links to its field).
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
