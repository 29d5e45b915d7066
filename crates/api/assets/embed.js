/*
 * Threadline embed.js: frames the Threadline agent desktop in a portal page and drives it with
 * the postMessage protocol "threadline/1" (docs/embedding.md). Types: /embed.d.ts.
 *
 *   <script src="https://threadline.example.com/embed.js"></script>
 *   const desk = Threadline.embed(document.getElementById('desk'),
 *                                 { url: 'https://threadline.example.com/' });
 *   desk.on('logged_in', (e) => console.log(e.name));
 *   await desk.login(tokenFromYourBackEnd);
 *
 * Security: messages are read only when they come from this frame's window AND from the
 * desktop's origin; commands are posted to that exact origin, never "*".
 */
(function (global) {
  'use strict';

  var PROTOCOL = 'threadline/1';
  /** How long a command waits for its result. */
  var TIMEOUT_MS = 30000;
  /** Where a browser posts no `ready` (Firefox): how long after the frame loads commands wait. */
  var NO_READY_GRACE_MS = 3000;

  /** A refused or unanswered command: `code` is the protocol's error code, or `timeout` / `destroyed`. */
  class ThreadlineError extends Error {
    constructor(code, message) {
      super(message);
      this.name = 'ThreadlineError';
      this.code = code;
    }
  }

  function originOf(url, base) {
    var parsed = new URL(url, base);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new TypeError('Threadline.embed: the url must be http(s), not ' + parsed.protocol);
    }
    return parsed.origin;
  }

  /** One contact selector: `{contactId}` or `{customerId}`, exactly one. */
  function contactFields(command, which) {
    var w = which || {};
    var byId = w.contactId !== undefined && w.contactId !== null;
    var byCustomer = w.customerId !== undefined && w.customerId !== null;
    if (byId === byCustomer) {
      throw new TypeError(command + ' takes exactly one of {contactId} and {customerId}');
    }
    return byId ? { contact_id: w.contactId } : { customer_id: String(w.customerId) };
  }

  /** Fields with `undefined` values left out (the desktop treats a missing field as absent). */
  function defined(fields) {
    var out = {};
    Object.keys(fields).forEach(function (k) {
      if (fields[k] !== undefined && fields[k] !== null) out[k] = fields[k];
    });
    return out;
  }

  function report(error) {
    if (typeof global.reportError === 'function') global.reportError(error);
    else if (global.console) global.console.error(error);
  }

  var instances = 0;

  class Embedded {
    constructor(element, options) {
      if (!element || typeof element.appendChild !== 'function') {
        throw new TypeError('Threadline.embed: the first argument must be an element to put the frame in');
      }
      var opts = options || {};
      if (typeof opts.url !== 'string' || opts.url === '') {
        throw new TypeError('Threadline.embed: options.url (the desktop\'s URL) is required');
      }
      var url = new URL(opts.url, global.location.href).href;
      this.origin = opts.origin ? originOf(opts.origin) : originOf(url);
      if (originOf(url) !== this.origin) {
        throw new TypeError('Threadline.embed: the url is not on the origin ' + this.origin);
      }
      instances += 1;
      // Unique per instance, and between instances on one page.
      this._prefix = 'tl' + instances + '-' + Math.random().toString(36).slice(2, 10) + '-';
      this._next = 0;
      this._pending = new Map();
      this._handlers = new Map();
      this._queue = [];
      this._open = false;
      this._destroyed = false;
      this._grace = null;

      var frame = element.ownerDocument.createElement('iframe');
      frame.title = 'Threadline';
      frame.src = url;
      frame.style.border = '0';
      frame.style.width = '100%';
      frame.style.height = '100%';
      this.frame = frame;

      var self = this;
      this._onMessage = function (event) { self._receive(event); };
      this._onLoad = function () {
        // A browser that never posts `ready` still gets the commands, a little later.
        if (self._open || self._grace !== null) return;
        self._grace = global.setTimeout(function () { self._flush(); }, NO_READY_GRACE_MS);
      };
      global.addEventListener('message', this._onMessage);
      frame.addEventListener('load', this._onLoad);
      element.appendChild(frame);

      if (typeof opts.token === 'string' && opts.token !== '') {
        // Queued until `ready`: sent once the desktop listens.
        this.login(opts.token).catch(function (error) {
          if (global.console) global.console.warn('Threadline: the login with options.token failed:', error);
        });
      }
    }

    login(token) { return this._send('login', { token: String(token) }); }
    logout() { return this._send('logout', {}); }
    setStatus(status, reason) { return this._send('set_status', defined({ status: status, reason: reason })); }
    acceptOffer(interactionId) { return this._send('accept_offer', defined({ interaction_id: interactionId })); }
    rejectOffer(interactionId) { return this._send('reject_offer', defined({ interaction_id: interactionId })); }
    openContact(which) { return this._guard(function () { return contactFields('openContact', which); }, 'open_contact'); }
    openInteraction(interactionId) { return this._send('open_interaction', { interaction_id: interactionId }); }
    startChat(which) { return this._guard(function () { return contactFields('startChat', which); }, 'start_chat'); }
    compose(text, interactionId) { return this._send('compose', defined({ text: text, interaction_id: interactionId })); }

    /** Calls `handler(event)` for every event of `type` (`"*"`: every event); returns the unsubscribe function. */
    on(type, handler) {
      if (typeof handler !== 'function') throw new TypeError('on: the handler must be a function');
      var set = this._handlers.get(type);
      if (!set) {
        set = new Set();
        this._handlers.set(type, set);
      }
      // A wrapper, so the same function subscribed twice is two subscriptions.
      var entry = function (event) { handler(event); };
      set.add(entry);
      return function () { set.delete(entry); };
    }

    /** Removes the frame and the listeners; pending commands reject with `destroyed`. */
    destroy() {
      if (this._destroyed) return;
      this._destroyed = true;
      global.removeEventListener('message', this._onMessage);
      this.frame.removeEventListener('load', this._onLoad);
      if (this._grace !== null) global.clearTimeout(this._grace);
      this._pending.forEach(function (p) {
        global.clearTimeout(p.timer);
        p.reject(new ThreadlineError('destroyed', 'the embedded desktop was destroyed'));
      });
      this._pending.clear();
      this._queue = [];
      this._handlers.clear();
      if (this.frame.parentNode) this.frame.parentNode.removeChild(this.frame);
    }

    _guard(fields, type) {
      var body;
      try {
        body = fields();
      } catch (error) {
        return Promise.reject(error);
      }
      return this._send(type, body);
    }

    _send(type, fields) {
      if (this._destroyed) {
        return Promise.reject(new ThreadlineError('destroyed', 'the embedded desktop was destroyed'));
      }
      this._next += 1;
      var id = this._prefix + this._next;
      var message = Object.assign({}, fields, { protocol: PROTOCOL, id: id, type: type });
      var self = this;
      return new Promise(function (resolve, reject) {
        var timer = global.setTimeout(function () {
          self._pending.delete(id);
          reject(new ThreadlineError('timeout', type + ': no result within ' + TIMEOUT_MS / 1000 + ' s'));
        }, TIMEOUT_MS);
        self._pending.set(id, { resolve: resolve, reject: reject, timer: timer });
        if (self._open) self._post(message);
        else self._queue.push(message);
      });
    }

    _post(message) {
      var target = this.frame.contentWindow;
      if (target) target.postMessage(message, this.origin);
    }

    _flush() {
      if (this._grace !== null) {
        global.clearTimeout(this._grace);
        this._grace = null;
      }
      this._open = true;
      var queue = this._queue;
      this._queue = [];
      for (var i = 0; i < queue.length; i += 1) this._post(queue[i]);
    }

    _receive(event) {
      if (this._destroyed) return;
      // Only this frame's desktop: the window AND the origin must both match.
      if (event.source !== this.frame.contentWindow || event.origin !== this.origin) return;
      var data = event.data;
      if (!data || typeof data !== 'object' || data.protocol !== PROTOCOL || typeof data.type !== 'string') return;
      if (data.type === 'result') {
        var pending = this._pending.get(data.id);
        if (!pending) return;
        this._pending.delete(data.id);
        global.clearTimeout(pending.timer);
        if (data.ok === true) {
          var value = { ok: true };
          if (data.interaction_id !== undefined) value.interaction_id = data.interaction_id;
          pending.resolve(value);
        } else {
          var error = data.error || {};
          pending.reject(new ThreadlineError(String(error.code || 'failed'), String(error.message || 'the command failed')));
        }
        return;
      }
      if (data.type === 'ready') this._flush();
      var copy = Object.assign({}, data);
      delete copy.protocol;
      this._emit(data.type, copy);
      this._emit('*', copy);
    }

    _emit(type, event) {
      var set = this._handlers.get(type);
      if (!set) return;
      Array.from(set).forEach(function (handler) {
        try {
          handler(event);
        } catch (error) {
          report(error);
        }
      });
    }
  }

  var Threadline = {
    protocol: PROTOCOL,
    ThreadlineError: ThreadlineError,
    /** Frames the desktop at `options.url` inside `element`; see /embed.d.ts. */
    embed: function (element, options) { return new Embedded(element, options); },
  };
  global.Threadline = Threadline;
})(typeof window !== 'undefined' ? window : globalThis);
