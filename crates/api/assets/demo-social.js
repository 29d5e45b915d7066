// The demo page's "Social channels (demo)" panel: sends a demo customer's message to the
// stand-in platform (its origin is the panel's data-standin), which posts it to Threadline as
// the platform's signed webhook. Served only in demo mode with a stand-in.
(function () {
  "use strict";
  var panel = document.querySelector("[data-standin]");
  if (!panel) return;
  var form = panel.querySelector("form");
  var status = panel.querySelector("[role=status]");
  var button = form.querySelector("button");
  var names = {
    messenger: "Messenger message",
    x_dm: "X Direct Message",
    page_comment: "Page comment",
    mention: "Mention",
  };
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var channel = form.elements.channel.value;
    var body = {
      name: form.elements.name.value.trim(),
      text: form.elements.text.value.trim(),
    };
    if (!body.name || !body.text) {
      status.textContent = "Write a name and a message first.";
      return;
    }
    button.disabled = true;
    status.textContent = "Sending…";
    fetch(panel.dataset.standin + "/_standin/customer/" + encodeURIComponent(channel), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          if (response.ok) {
            status.textContent = names[channel] + " sent as " + body.name + ".";
            form.elements.text.value = "";
          } else {
            status.textContent =
              "Not sent: " + ((answer.error && answer.error.message) || response.status);
          }
        });
      })
      .catch(function () {
        status.textContent = "Not sent: the stand-in platform is not reachable.";
      })
      .then(function () {
        button.disabled = false;
      });
  });
})();
