// What the import and export machines share: the inputs a link session classifies its raw events into
// (its channel, the peer's control messages, failures, the time-out, cancel) and the outputs its base performs.

import type { ControlMessage } from './control-messages.js';
import type { LinkFailureWord } from './link-state.js';

/** What happens to any link, whichever its side. */
export type LinkEventInput =
  | { readonly type: 'channelOpen' } // the transport's data channel to the peer is open
  | { readonly type: 'transportFailed'; readonly error: LinkFailureWord } // the transport gave up, or the channel closed
  | { readonly type: 'timedOut' } // the whole-operation limit passed
  | { readonly type: 'cancel' } // our user ends the operation
  | { readonly type: 'unexpectedEvent' }; // the transport or an effect broke its contract

/** Every message the peer may send, each named once (a machine rows only those its side may receive). */
export type PeerMessageInput =
  | { readonly type: 'authNone' } // auth{scheme:'none'}
  | { readonly type: 'authPassword' } // auth{scheme:'password'}
  | { readonly type: 'badPassword' } // bad_password
  | { readonly type: 'transfer'; readonly size: number } // transfer{size}
  | { readonly type: 'archive'; readonly archive: Buffer } // the archive bytes
  | { readonly type: 'password'; readonly password: string } // password{password}
  | { readonly type: 'stored'; readonly device: string } // stored{device}
  | { readonly type: 'peerAborted'; readonly error: LinkFailureWord } // abort{error}
  | { readonly type: 'unexpectedMessage' }; // malformed, or not the peer's to send now

export type LinkInput = LinkEventInput | PeerMessageInput;

export const PEER_MESSAGES: readonly PeerMessageInput['type'][] = [
  'authNone', 'authPassword', 'badPassword', 'transfer', 'archive', 'password', 'stored', 'peerAborted', 'unexpectedMessage',
];

/** The outputs every link performs the same way (the session base). */
export type LinkOutput =
  | 'sendAbort' // abort{error of this DONE}, when a channel is up
  | 'teardown' // close the channel, then the transport's rendezvous or connection; stop the timer
  | 'finish'; // state 5 {error}: exactly once

/** The control message read from the peer, as the input both machines know it by. */
export function peerInputOf(message: ControlMessage | 'malformed'): PeerMessageInput {
  if (message === 'malformed') return { type: 'unexpectedMessage' };
  switch (message.t) {
    case 'auth':
      return { type: message.scheme === 'password' ? 'authPassword' : 'authNone' };
    case 'password':
      return { type: 'password', password: message.password };
    case 'bad_password':
      return { type: 'badPassword' };
    case 'transfer':
      return { type: 'transfer', size: message.size };
    case 'stored':
      return { type: 'stored', device: message.device };
    case 'abort':
      return { type: 'peerAborted', error: message.error };
  }
}

