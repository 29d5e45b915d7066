/*
 * Threadline chat launcher. Put one tag on the page:
 *   <script src="https://HOST/widget/loader.js" async></script>
 * (optionally with data-identity="<signed token>"; or later: window.Threadline.identify(token)).
 * It draws only the "Chat with us" button. The chat panel is an iframe (frame.html on the
 * widget's origin) created when the button is pressed; it is created earlier, hidden, only
 * when the badge needs it: the visitor started a chat on this site before, or the page gave
 * an identity. Messages between page and frame are JSON strings sent with postMessage to
 * the exact other origin, and accepted only from it. See docs/widget.md.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || (window.Threadline && window.Threadline.loaded)) return;
  var frameUrl = new URL('frame.html', script.src);
  var widgetOrigin = frameUrl.origin;
  frameUrl.searchParams.set('parent', location.origin);
  var identity = script.getAttribute('data-identity') || null;
  var FLAG = 'threadline.chat';
  var open = false, ready = false, unread = 0, frame = null;

  var host = document.createElement('threadline-widget');
  host.setAttribute('style', 'all:initial!important;display:block!important;position:fixed!important;' +
    'right:20px!important;bottom:20px!important;width:auto!important;height:auto!important;' +
    'z-index:2147483647!important;margin:0!important;padding:0!important;transform:none!important;' +
    'visibility:visible!important;opacity:1!important');
  var root = host.attachShadow ? host.attachShadow({ mode: 'closed' }) : host;
  var style = document.createElement('style');
  style.textContent =
    ':host{all:initial}' +
    '.launch{all:initial;box-sizing:border-box;display:flex;align-items:center;gap:8px;position:relative;' +
    'cursor:pointer;padding:12px 18px;border-radius:28px;background:#1f5fd1;color:#fff;' +
    'font:600 15px/1.2 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;box-shadow:0 4px 14px rgba(0,0,0,.25)}' +
    '.launch:focus-visible{outline:3px solid #f5a623;outline-offset:2px}' +
    '.badge{position:absolute;top:-6px;right:-6px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;' +
    'background:#d93025;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center;box-sizing:border-box}' +
    '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
    '[hidden]{display:none!important}' +
    '.panel{position:fixed;right:20px;bottom:84px;width:370px;height:600px;max-height:calc(100vh - 104px);' +
    'max-width:calc(100vw - 40px);border:0;border-radius:12px;background:#fff;' +
    'box-shadow:0 8px 32px rgba(0,0,0,.3);color-scheme:normal}' +
    '@media (max-width:480px){.panel{left:0;top:0;right:auto;bottom:auto;width:100%;height:100%;max-width:none;max-height:none;border-radius:0}}';
  root.appendChild(style);

  var button = document.createElement('button');
  button.type = 'button';
  button.className = 'launch';
  button.setAttribute('aria-label', 'Chat with us');
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-describedby', 'tl-unread');
  button.innerHTML = '<svg width="20" height="20" viewBox="0 0 24 24" aria-hidden="true" focusable="false">' +
    '<path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>' +
    '<span aria-hidden="true">Chat with us</span><span class="badge" aria-hidden="true" hidden></span>';
  var badge = button.querySelector('.badge');
  var described = document.createElement('span');
  described.id = 'tl-unread';
  described.className = 'sr';
  root.appendChild(button);
  root.appendChild(described);

  function remembered() {
    try { return window.localStorage.getItem(FLAG) === '1'; } catch (e) { return false; }
  }

  function post(message) {
    if (frame && ready && frame.contentWindow) {
      frame.contentWindow.postMessage(JSON.stringify(message), widgetOrigin);
    }
  }

  function drawBadge() {
    var show = !open && unread > 0;
    badge.hidden = !show;
    badge.textContent = unread > 99 ? '99+' : String(unread);
    described.textContent = show ? unread + (unread === 1 ? ' unread message' : ' unread messages') : '';
  }

  function ensureFrame() {
    if (frame) return;
    frame = document.createElement('iframe');
    frame.className = 'panel';
    frame.title = 'Chat';
    frame.hidden = !open;
    frame.src = frameUrl.href;
    root.appendChild(frame);
  }

  function setOpen(value) {
    open = !!value;
    if (open) ensureFrame();
    if (frame) frame.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    drawBadge();
    post({ t: open ? 'show' : 'hide' });
    if (open && frame) frame.focus();
  }

  window.addEventListener('message', function (event) {
    if (!frame || event.origin !== widgetOrigin || event.source !== frame.contentWindow) return;
    if (typeof event.data !== 'string') return;
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (!message || typeof message.t !== 'string') return;
    switch (message.t) {
      case 'ready':
        ready = true;
        post({ t: 'init', identity: identity, open: open, page: location.pathname.slice(0, 200) });
        break;
      case 'unread':
        unread = Math.max(0, message.n | 0);
        drawBadge();
        break;
      case 'started':
        try { window.localStorage.setItem(FLAG, '1'); } catch (e) { /* storage refused */ }
        break;
      case 'close':
        setOpen(false);
        button.focus();
        break;
    }
  });

  button.addEventListener('click', function () { setOpen(!open); });
  button.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && open) setOpen(false);
  });

  window.Threadline = {
    loaded: true,
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    identify: function (token) {
      identity = token || null;
      if (ready) post({ t: 'identify', identity: identity });
      else if (identity) ensureFrame();
    }
  };

  function mount() {
    (document.body || document.documentElement).appendChild(host);
    if (identity || remembered()) ensureFrame();
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
