// client.js runs the real @rails/actioncable client against Baton's /cable
// for internal/realtime's tests, in Node (which has no browser WebSocket:
// the ws package stands in, as the client's adapters allow).
//
//   node client.js <6|8> <ws url> <identifier params JSON>...
//
// Each subscription's callbacks are printed as JSON lines on stdout:
// {"sub": i, "callback": "connected"|"rejected"|"received"|"disconnected", "data": …}.
// The process ends when stdin closes.
"use strict";
const WebSocket = require("ws");
globalThis.self = globalThis;
globalThis.WebSocket = WebSocket;
// The connection monitor listens for the page's visibility; there is no page.
globalThis.document = { visibilityState: "visible", addEventListener() {}, removeEventListener() {} };
globalThis.addEventListener = () => {}; // 6.1 listens on the window itself
globalThis.removeEventListener = () => {};

const [version, url, ...params] = process.argv.slice(2);
const ActionCable = require(version === "6" ? "actioncable6" : "actioncable8");
ActionCable.adapters.WebSocket = WebSocket;

const out = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const consumer = ActionCable.createConsumer(url);
params.forEach((p, sub) => {
  consumer.subscriptions.create(JSON.parse(p), {
    connected() { out({ sub, callback: "connected" }); },
    rejected() { out({ sub, callback: "rejected" }); },
    disconnected() { out({ sub, callback: "disconnected" }); },
    received(data) { out({ sub, callback: "received", data }); },
  });
});
process.stdin.resume();
process.stdin.on("end", () => { consumer.disconnect(); process.exit(0); });
