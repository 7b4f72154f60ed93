import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export const DELIMITER = '<IDS|MSG>';
export const PROTOCOL_VERSION = '5.3';

export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

export interface Message {
  identities: Buffer[];
  header: Header;
  parent_header: Partial<Header>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers: Buffer[];
}

/** HMAC-SHA256 of the four JSON frames, hex; '' when the connection has no key. */
export function sign(key: string, frames: Array<string | Buffer>): string {
  if (!key) return '';
  const hmac = createHmac('sha256', key);
  for (const f of frames) hmac.update(f);
  return hmac.digest('hex');
}

/**
 * Parse a multipart message; null when it is malformed or its signature does not match
 * (the caller logs and drops it — it is never executed).
 */
export function parseMessage(frames: Buffer[], key: string): { message: Message } | { error: string } {
  const at = frames.findIndex((f) => f.toString() === DELIMITER);
  if (at < 0 || frames.length < at + 6) return { error: 'malformed message (no delimiter or too few frames)' };
  const [signature, header, parent, metadata, content] = frames.slice(at + 1, at + 6);
  if (key) {
    const expected = Buffer.from(sign(key, [header, parent, metadata, content]));
    const got = Buffer.from(signature.toString());
    if (expected.length !== got.length || !timingSafeEqual(expected, got)) return { error: 'bad HMAC signature' };
  }
  try {
    return {
      message: {
        identities: frames.slice(0, at),
        header: JSON.parse(header.toString()),
        parent_header: JSON.parse(parent.toString()),
        metadata: JSON.parse(metadata.toString()),
        content: JSON.parse(content.toString()),
        buffers: frames.slice(at + 6),
      },
    };
  } catch (e) {
    return { error: `malformed JSON in message: ${(e as Error).message}` };
  }
}

/** A new message replying to (or caused by) `parent`. */
export function reply(parent: Message | null, msgType: string, content: Record<string, unknown>, session: string): Omit<Message, 'buffers'> {
  return {
    identities: parent?.identities ?? [],
    header: { msg_id: randomUUID(), session, username: 'gatebook', date: new Date().toISOString(), msg_type: msgType, version: PROTOCOL_VERSION },
    parent_header: parent?.header ?? {},
    metadata: {},
    content,
  };
}

export function serialize(message: Omit<Message, 'buffers'>, key: string, identities = message.identities): Array<Buffer | string> {
  const parts = [message.header, message.parent_header, message.metadata, message.content].map((p) => JSON.stringify(p));
  return [...identities, DELIMITER, sign(key, parts), ...parts];
}
