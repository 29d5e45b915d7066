// Types for Threadline's /embed.js (protocol "threadline/1", see docs/embedding.md).
// The script sets `window.Threadline`; declare it in your project with
//   /// <reference path="./threadline-embed.d.ts" />

export type Protocol = 'threadline/1';

/** A Chat channel status a portal may set. */
export type HostStatus = 'ready' | 'not_ready';

/** The error codes of the protocol, plus `timeout` and `destroyed` from embed.js itself. */
export type ErrorCode =
  | 'invalid'
  | 'not_logged_in'
  | 'not_allowed'
  | 'unknown_contact'
  | 'login_refused'
  | 'no_offer'
  | 'unknown_interaction'
  | 'no_interaction'
  | 'failed'
  | 'timeout'
  | 'destroyed';

/** Why a command's promise rejected. */
export interface ThreadlineError extends Error {
  readonly name: 'ThreadlineError';
  readonly code: ErrorCode | (string & {});
  readonly message: string;
}

/** What a command's promise resolves with. */
export interface CommandResult {
  ok: true;
  /** For `accept_offer` and `start_chat`: the interaction. */
  interaction_id?: number;
}

/** A contact: by Threadline's id, or by the portal's own customer id (a `web_customer` identity). */
export type ContactSelector = { contactId: number; customerId?: never } | { customerId: string; contactId?: never };

/** The channels, as the desktop names them. */
export type Channel = 'web_chat' | 'messenger' | 'facebook_post' | 'twitter_dm' | 'tweet' | (string & {});

/** Every event the desktop posts, by `type` (the `protocol` field is removed). */
export interface EventMap {
  ready: { type: 'ready' };
  logged_in: { type: 'logged_in'; agent_id: number; name: string };
  logged_out: { type: 'logged_out' };
  status_changed: { type: 'status_changed'; status: HostStatus; reason?: string };
  place_changed: { type: 'place_changed'; url: string };
  offer_received: {
    type: 'offer_received';
    interaction_id: number;
    contact_id: number;
    contact_name: string;
    channel: Channel;
    /** At most 100 characters. */
    first_words?: string;
    /** Milliseconds since the epoch. */
    expires_at: number;
  };
  offer_accepted: { type: 'offer_accepted'; interaction_id: number };
  offer_rejected: { type: 'offer_rejected'; interaction_id: number };
  offer_timed_out: { type: 'offer_timed_out'; interaction_id: number };
  offer_withdrawn: { type: 'offer_withdrawn'; interaction_id: number; reason: string };
  interaction_opened: {
    type: 'interaction_opened';
    interaction_id: number;
    contact_id: number;
    contact_name: string;
    channel: Channel;
  };
  interaction_ended: { type: 'interaction_ended'; interaction_id: number };
  interaction_done: { type: 'interaction_done'; interaction_id: number; disposition?: string };
  contact_responded: { type: 'contact_responded'; contact_id: number; contact_name: string; first_words?: string };
  /** `contact_id` no longer exists: everything of it is `into_contact_id`'s. */
  contact_linked: { type: 'contact_linked'; contact_id: number; into_contact_id: number };
  contact_unlinked: { type: 'contact_unlinked'; contact_id: number; new_contact_id: number };
  /** Erased at the person's request or at the end of retention: forget the id. */
  contact_erased: { type: 'contact_erased'; contact_id: number };
  unread_changed: { type: 'unread_changed'; count: number };
}

export type EventType = keyof EventMap;
export type AnyEvent = EventMap[EventType];

export interface EmbedOptions {
  /** The desktop's URL, e.g. "https://threadline.example.com/". */
  url: string;
  /** The desktop's origin; defaults to `new URL(url).origin`. Messages from any other are ignored. */
  origin?: string;
  /** A login token from your back end (POST /api/embed/login-token): logs in once `ready` arrives. */
  token?: string;
}

/** The framed desktop. Every command resolves with its result or rejects with a ThreadlineError
 * (also `timeout` after 30 s without a result, and `destroyed`). */
export interface Embedded {
  /** The iframe embed.js created (title "Threadline"). */
  readonly frame: HTMLIFrameElement;
  /** The desktop's origin: the only one commands go to and messages are read from. */
  readonly origin: string;
  login(token: string): Promise<CommandResult>;
  logout(): Promise<CommandResult>;
  setStatus(status: HostStatus, reason?: string): Promise<CommandResult>;
  acceptOffer(interactionId?: number): Promise<CommandResult>;
  rejectOffer(interactionId?: number): Promise<CommandResult>;
  openContact(contact: ContactSelector): Promise<CommandResult>;
  openInteraction(interactionId: number): Promise<CommandResult>;
  startChat(contact: ContactSelector): Promise<CommandResult>;
  /** Puts `text` into the composer (of that interaction, or the one shown) without sending it. */
  compose(text: string, interactionId?: number): Promise<CommandResult>;
  /** Subscribes to one event type; returns the unsubscribe function. */
  on<K extends EventType>(type: K, handler: (event: EventMap[K]) => void): () => void;
  /** Subscribes to every event. */
  on(type: '*', handler: (event: AnyEvent) => void): () => void;
  /** Removes the frame and the listeners; pending commands reject with `destroyed`. */
  destroy(): void;
}

export interface ThreadlineGlobal {
  readonly protocol: Protocol;
  readonly ThreadlineError: new (code: string, message: string) => ThreadlineError;
  /** Frames the desktop inside `element` (a container: the iframe is appended to it). */
  embed(element: Element, options: EmbedOptions): Embedded;
}

declare global {
  interface Window {
    Threadline: ThreadlineGlobal;
  }
  const Threadline: ThreadlineGlobal;
}
