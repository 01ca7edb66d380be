// A manual entry offers only the outcomes that fit the channel chosen (the server checks them too).
(function () {
  "use strict";
  const channel = document.getElementById("channel");
  const outcome = document.getElementById("outcome");
  if (!channel || !outcome || !outcome.dataset.fits) return;
  const fits = JSON.parse(outcome.dataset.fits);

  function offer() {
    const allowed = fits[channel.value];
    for (const option of outcome.options) {
      const fitting = !option.value || !allowed || allowed.includes(option.value);
      option.hidden = !fitting;
      option.disabled = !fitting;
      if (!fitting && option.selected) outcome.value = "";
    }
  }

  channel.addEventListener("change", offer);
  offer();
})();
