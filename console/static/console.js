// The live board refreshes itself by polling its rows; everything else in the console works without script.
(function () {
  "use strict";
  const board = document.getElementById("board");
  if (!board) return;
  const url = board.dataset.refreshUrl;
  const every = Math.max(1, Number(board.dataset.refreshSeconds || 5)) * 1000;
  let last = null;

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
})();
