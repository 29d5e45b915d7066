// Acme CRM's page script: frames the Threadline desktop with Threadline's /embed.js, wires the
// buttons to its commands, and lists every event and result in the Events log.
'use strict';

(function () {
  const threadline = document.querySelector('meta[name="threadline-url"]').content;
  const customerId = document.getElementById('customer').dataset.customerId;
  const events = document.getElementById('events');

  function log(text, failed) {
    const item = document.createElement('li');
    item.textContent = text;
    if (failed) item.className = 'failed';
    events.appendChild(item);
    events.scrollTop = events.scrollHeight;
  }

  if (!window.Threadline) {
    log('Threadline is not reachable at ' + threadline + ' (no /embed.js)', true);
    return;
  }

  const desk = Threadline.embed(document.getElementById('desk'), { url: threadline + '/' });

  // One line per event: its type, the words people read, then the other fields
  // (`logged_in Ann Archer agent_id=1`).
  const WORDS = ['name', 'contact_name', 'status', 'reason', 'url'];
  desk.on('*', (event) => {
    const parts = [event.type];
    for (const key of WORDS) {
      if (event[key] !== undefined) parts.push(String(event[key]));
    }
    for (const [key, value] of Object.entries(event)) {
      if (key !== 'type' && !WORDS.includes(key)) parts.push(key + '=' + JSON.stringify(value));
    }
    log(parts.join(' '));
    // The interaction an event names becomes the one the buttons act on.
    if (event.interaction_id !== undefined) {
      document.getElementById('interaction').value = String(event.interaction_id);
    }
  });

  function interactionId() {
    const text = document.getElementById('interaction').value.trim();
    if (text === '') return undefined;
    const n = Number(text);
    return Number.isSafeInteger(n) && n > 0 ? n : text;
  }

  // Runs a command; its result goes to the log (never an unhandled rejection).
  function run(label, command) {
    let promise;
    try {
      promise = command();
    } catch (error) {
      promise = Promise.reject(error);
    }
    return promise.then(
      (result) => {
        log(label + ': ok' + (result.interaction_id !== undefined ? ' interaction_id=' + result.interaction_id : ''));
        if (result.interaction_id !== undefined) {
          document.getElementById('interaction').value = String(result.interaction_id);
        }
      },
      (error) => log(label + ': failed: ' + (error.code || 'error') + ': ' + error.message, true),
    );
  }

  async function logIn() {
    const login = document.getElementById('agent').value;
    const answer = await fetch('/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ login }),
    });
    const body = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      const error = new Error((body.error && body.error.message) || 'no login token');
      error.code = (body.error && body.error.code) || 'token';
      throw error;
    }
    return desk.login(body.token);
  }

  const buttons = {
    login: ['Log in', logIn],
    logout: ['Log out', () => desk.logout()],
    ready: ['Ready', () => desk.setStatus('ready')],
    'not-ready': ['Not Ready', () => desk.setStatus('not_ready')],
    // The oldest open offer.
    accept: ['Accept offer', () => desk.acceptOffer()],
    reject: ['Reject offer', () => desk.rejectOffer()],
    'open-customer': ['Open customer', () => desk.openContact({ customerId })],
    'start-chat': ['Start chat', () => desk.startChat({ customerId })],
    'open-interaction': ['Open interaction', () => desk.openInteraction(interactionId())],
    compose: ['Put text in composer', () => desk.compose(document.getElementById('text').value, interactionId())],
  };
  for (const [id, [label, command]] of Object.entries(buttons)) {
    document.getElementById(id).addEventListener('click', () => run(label, command));
  }
})();
