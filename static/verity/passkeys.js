// Passkeys and security keys: the browser's half of a WebAuthn ceremony, nothing more.
// A form marked data-passkey="create" (register) or "get" (log in, confirm) has a button
// [data-passkey-start]. Clicking it asks data-options-url for the options (POST, CSRF
// header), lets the browser create or use a credential, puts the answer as JSON into the
// form's hidden "passkey" field and submits the form. The server verifies everything.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function showError(form, message) {
    var box = form.querySelector("[data-passkey-error]");
    if (box) {
      box.textContent = message;
      box.hidden = false;
    }
  }

  function ceremony(form, options) {
    var kind = form.getAttribute("data-passkey");
    if (kind === "create") {
      return navigator.credentials.create({
        publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
      });
    }
    return navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
    });
  }

  function start(form, button) {
    if (!window.PublicKeyCredential || !PublicKeyCredential.parseRequestOptionsFromJSON) {
      showError(form, "This browser cannot use passkeys. Use a code instead, or a current browser.");
      return;
    }
    button.disabled = true;
    fetch(form.getAttribute("data-options-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.message || "The passkey could not be started.");
          return body;
        });
      })
      .then(function (options) {
        return ceremony(form, options);
      })
      .then(function (credential) {
        form.querySelector("input[name=passkey]").value = JSON.stringify(credential.toJSON());
        form.requestSubmit();
      })
      .catch(function (error) {
        button.disabled = false;
        var cancelled = error && error.name === "NotAllowedError";
        showError(form, cancelled ? "The passkey was cancelled or timed out. Try again." : error.message);
      });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-passkey-start]");
    if (!button) return;
    var form = button.closest("form[data-passkey]");
    if (form) start(form, button);
  });
})();
