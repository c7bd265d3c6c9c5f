// A stand-in for Google's https://apis.google.com/js/api.js (its `gapi.iframes` module), served
// by the browser test in place of the real script because this machine cannot reach Google.
//
// The Firebase JS SDK's Google popup talks to an iframe of the Firebase Auth emulator through
// gapi.iframes, and the emulator's iframe page loads the same script; both sides are the
// unmodified SDK and emulator. This file implements only what they use: load(), getContext(),
// open() of a hidden iframe, getParentIframe(), ping/register/send over postMessage (messages
// for a type nobody registered yet wait until someone does, as gapi queues them).
(function () {
  "use strict";
  const TAG = "cryptopilot-gapi-iframes";

  function channel(target) {
    const handlers = new Map();
    const waiting = new Map();
    const replies = new Map();
    let sequence = 0;

    function answer(message) {
      const handler = handlers.get(message.type);
      Promise.resolve(handler(message.data)).then((response) => {
        target().postMessage({ tag: TAG, kind: "reply", id: message.id, responses: [response] }, "*");
      });
    }

    window.addEventListener("message", (event) => {
      const message = event.data;
      if (!message || message.tag !== TAG || event.source !== target()) return;
      if (message.kind === "send") {
        if (handlers.has(message.type)) answer(message);
        else waiting.set(message.type, [...(waiting.get(message.type) || []), message]);
      } else if (message.kind === "reply" && replies.has(message.id)) {
        const callback = replies.get(message.id);
        replies.delete(message.id);
        try {
          callback(message.responses);
        } catch {
          // gapi does not let a throwing callback break the channel (the SDK's
          // webStorageSupport callback throws on purpose after it has answered).
        }
      }
    });

    const api = {
      register(type, handler) {
        handlers.set(type, handler);
        for (const message of waiting.get(type) || []) answer(message);
        waiting.delete(type);
      },
      send(type, data, callback) {
        sequence += 1;
        const id = `${TAG}-${Date.now()}-${sequence}`;
        if (callback) replies.set(id, callback);
        target().postMessage({ tag: TAG, kind: "send", id, type, data }, "*");
      },
      restyle() {
        return Promise.resolve();
      },
      // Resolves once the other side has a channel (an iframe that is still loading misses
      // messages, so ask again until it answers).
      ping(callback) {
        return new Promise((resolve) => {
          let done = false;
          const ask = () => {
            if (done) return;
            api.send("__ping", null, () => {
              if (done) return;
              done = true;
              if (callback) callback();
              resolve();
            });
            setTimeout(ask, 100);
          };
          ask();
        });
      },
    };
    api.register("__ping", () => ({ status: "ACK" }));
    return api;
  }

  const context = {
    open(options, ready) {
      const frame = document.createElement("iframe");
      for (const [name, value] of Object.entries(options.attributes || {})) {
        if (name === "style") Object.assign(frame.style, value);
        else frame.setAttribute(name, value);
      }
      frame.src = options.url;
      (options.where || document.body).appendChild(frame);
      const handle = channel(() => frame.contentWindow);
      return Promise.resolve(ready ? ready(handle) : handle);
    },
    getParentIframe() {
      return channel(() => window.parent);
    },
  };

  window.gapi = {
    load(_module, options) {
      setTimeout(() => (typeof options === "function" ? options() : options.callback()), 0);
    },
    iframes: { getContext: () => context, CROSS_ORIGIN_IFRAMES_FILTER: "cross-origin-iframes" },
  };

  const script = document.currentScript;
  const onload = script ? new URL(script.src).searchParams.get("onload") : null;
  setTimeout(() => {
    if (onload && typeof window[onload] === "function") window[onload]();
    if (typeof window.gapi_onload === "function") window.gapi_onload();
  }, 0);
})();
