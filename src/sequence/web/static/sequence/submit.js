// Progressive enhancement of the API submission form: show the fields the chosen exchange
// needs, only the strategies of the chosen exchange and market, the refresh picker for a
// refresh, and disable the button after the first click. The server checks everything again.
(function () {
  "use strict";
  var form = document.getElementById("submission-form");
  if (!form) return;
  var offerings = JSON.parse(document.getElementById("offering-meta").textContent);
  var fieldsBy = JSON.parse(document.getElementById("fields-by-exchange").textContent);
  var botExchanges = JSON.parse(document.getElementById("bot-exchanges").textContent);
  var credentialFields = ["api_name", "passphrase", "api_key", "api_secret", "private_key"];

  function checked(name) {
    var el = form.querySelector('input[name="' + name + '"]:checked');
    return el ? el.value : "";
  }
  function show(id, visible) {
    var el = document.getElementById(id);
    if (el) el.hidden = !visible;
  }
  function update() {
    var market = checked("market");
    var refresh = checked("kind") === "refresh";
    // a refresh keeps the bot's exchange: its fields are those of the chosen bot's
    var exchange = refresh ? (botExchanges[form.elements.bot.value] || "") : form.elements.exchange.value;
    show("field-bot", refresh);
    form.querySelectorAll("[data-when-refresh]").forEach(function (p) { p.hidden = !refresh; });
    ["field-market", "step-exchange"].forEach(function (id) { show(id, !refresh); });
    var wanted = fieldsBy[exchange] || [];
    credentialFields.forEach(function (name) { show("field-" + name, !exchange || wanted.indexOf(name) >= 0); });
    form.querySelectorAll("[data-exchange-notice]").forEach(function (p) { p.hidden = p.dataset.exchangeNotice !== exchange; });
    var select = form.elements.offering;
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;
      var meta = offerings.find(function (o) { return String(o.id) === option.value; });
      var ok = meta && (!exchange || meta.exchange === exchange) && (!market || meta.market === market);
      option.hidden = !ok;
      option.disabled = !ok;
      if (!ok && option.selected) select.value = "";
    });
  }
  form.addEventListener("change", update);
  form.addEventListener("submit", function () {
    var button = document.getElementById("submit-button");
    setTimeout(function () { button.disabled = true; button.textContent = "Submitting…"; }, 0);
  });
  update();
})();
