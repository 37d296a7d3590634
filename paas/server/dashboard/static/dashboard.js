// paas dashboard: live parts, relative times and the log tail. Text from the server goes in
// either as HTML the server rendered (and escaped) or through textContent: never built here.
"use strict";

const REFRESH_MS = 3000;
const MAX_LOG_LINES = 2000;

function ago(date) {
  const s = Math.max(0, Math.round((Date.now() - date.getTime()) / 1000));
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return Math.floor(s / 3600) + " h ago";
  return Math.floor(s / 86400) + " d ago";
}

function showTimes(root) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    const when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) continue;
    el.title = when.toLocaleString();
    el.textContent = ago(when);
  }
}

// Each [data-live-url] element's [data-live=NAME] children are replaced by the NAME entry of
// the JSON that URL answers, when it changed.
function liveParts(root) {
  const last = new Map();
  async function refresh() {
    if (document.hidden) return;
    let resp;
    try {
      resp = await fetch(root.dataset.liveUrl, {credentials: "same-origin", redirect: "manual",
                                                headers: {"Accept": "application/json"}});
    } catch (e) {
      return;  // the server is restarting, or the network is down: try again next time
    }
    if (resp.type === "opaqueredirect" || resp.status === 404) {
      location.reload();  // signed out, expired or destroyed: the page itself says where to go
      return;
    }
    if (!resp.ok) return;
    const parts = await resp.json();
    for (const el of root.querySelectorAll("[data-live]")) {
      const html = parts[el.dataset.live];
      if (typeof html !== "string" || last.get(el) === html) continue;
      if (el.contains(document.activeElement) && document.activeElement !== document.body) continue;
      last.set(el, html);
      el.innerHTML = html;
      showTimes(el);
    }
  }
  setInterval(refresh, REFRESH_MS);
}

function logTail(pane) {
  const state = document.getElementById("stream-state");
  const source = new EventSource(pane.dataset.logStream);
  source.onopen = () => { state.textContent = "live"; state.className = "stream-state live"; };
  source.onerror = () => { state.textContent = "reconnecting…"; state.className = "stream-state"; };
  source.onmessage = (event) => {
    const atBottom = pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 4;
    const line = document.createElement("div");
    line.className = "line";
    line.textContent = event.data;
    pane.appendChild(line);
    while (pane.childElementCount > MAX_LOG_LINES) pane.firstElementChild.remove();
    if (atBottom) pane.scrollTop = pane.scrollHeight;
  };
}

document.addEventListener("DOMContentLoaded", () => {
  showTimes(document);
  setInterval(() => showTimes(document), 10000);
  for (const root of document.querySelectorAll("[data-live-url]")) liveParts(root);
  const pane = document.querySelector("[data-log-stream]");
  if (pane) logTail(pane);
});
