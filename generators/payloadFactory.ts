// Payload bodies for each kind, from a seeded faker (text, names) and the seeded structural RNG
// (text length, which conversation an event belongs to). Node only: scenarios read finished
// datasets through datasetFormat.ts and never load faker.
import { createRequire } from 'node:module';
import { base, en, Faker } from '@faker-js/faker';
import type { ChatBody, EventBody, PayloadBody, PayloadKind, PromptBody } from './datasetFormat.ts';
import { SeededRandom } from './seededRandom.ts';
import { sampleTextLength, type TextLengthDistribution } from './textLength.ts';

export const FAKER_VERSION: string = (
  createRequire(import.meta.url)('@faker-js/faker/package.json') as { version: string }
).version;

const SIZE_STREAM = 0x73697a65; // 'size'
const PICK_STREAM = 0x7069636b; // 'pick'
const CONVERSATION_STREAM = 0x636f6e76; // 'conv'
const USER_STREAM = 0x75736572; // 'user'
const SENTENCE_STREAM = 0x73656e74; // 'sent'
const SENTENCE_BANK = 4096;

// About eight messages a conversation and four conversations a user: enough repetition for
// per-conversation ordering and per-user fan-in to matter, without a pool held in memory.
const MESSAGES_PER_CONVERSATION = 8;
const CONVERSATIONS_PER_USER = 4;

const PROMPT_OPENERS = [
  'Summarize the following for a new teammate:',
  'Explain this like I am five:',
  'Translate this into plain English:',
  'List three risks in this plan:',
  'Write a short reply to this message:',
  'What is the main point here?',
  'Rewrite this more politely:',
] as const;

const EVENT_TYPES = [
  'message.created',
  'conversation.started',
  'conversation.renamed',
  'user.profile_updated',
  'fact.extracted',
] as const;

export interface PayloadFactoryOptions {
  kind: PayloadKind;
  seed: number;
  count: number;
  text: TextLengthDistribution;
}

export type PayloadFactory = (correlationId: string, poison: boolean) => PayloadBody;

/** A UUID (version 4 layout) from 32 random hex digits. */
function uuidFromHex(h: string): string {
  const variant = ((Number.parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Exactly `length` characters: `first`, then sentences from `more`, never ending in a space. */
function fillText(length: number, more: () => string, first: string): string {
  let text = first;
  while (text.length < length) text += ` ${more()}`;
  text = text.slice(0, length);
  return text.endsWith(' ') ? `${text.slice(0, -1)}.` : text;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function createPayloadFactory(options: PayloadFactoryOptions): PayloadFactory {
  const { kind, seed, count } = options;
  const faker = new Faker({ locale: [en, base] });
  // Both halves of the seed, so seeds that differ only above 2^32 write different text too.
  faker.seed([seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0]);
  const sizes = new SeededRandom(seed, SIZE_STREAM);
  const picks = new SeededRandom(seed, PICK_STREAM);
  const conversations = Math.max(1, Math.ceil(count / MESSAGES_PER_CONVERSATION));
  const users = Math.max(1, Math.ceil(conversations / CONVERSATIONS_PER_USER));

  // Texts are drawn from a bank of faker sentences rather than calling faker per sentence: faker's
  // template engine was most of the time per event, and thousands of sentences recombined per
  // text still make every text different.
  const bank = Array.from({ length: SENTENCE_BANK }, (): string => {
    switch (faker.number.int(2)) {
      case 0:
        return capitalize(faker.hacker.phrase());
      case 1:
        return `${faker.company.catchPhrase()}.`;
      default:
        return `${capitalize(faker.word.words({ count: { min: 3, max: 12 } }))}.`;
    }
  });
  const sentencePicks = new SeededRandom(seed, SENTENCE_STREAM);
  const sentence = (): string => bank[sentencePicks.int(SENTENCE_BANK)] ?? '';
  const text = (opener?: string): string =>
    fillText(sampleTextLength(options.text, sizes), sentence, opener ?? sentence());
  const participants = () => {
    // Ids depend only on (seed, index), so the pools need no table in memory; a conversation
    // always belongs to the same user.
    const conversation = new SeededRandom(seed, CONVERSATION_STREAM, picks.int(conversations));
    const conversationId = uuidFromHex(conversation.hex(32));
    const user = conversation.int(users);
    return { conversationId, userId: uuidFromHex(new SeededRandom(seed, USER_STREAM, user).hex(32)) };
  };

  const chat = (correlationId: string, poison: boolean): ChatBody => ({
    ...participants(),
    text: text(),
    correlationId,
    ...(poison ? { poison: true as const } : {}),
  });

  const prompt = (): PromptBody => ({
    ...participants(),
    text: text(faker.helpers.arrayElement(PROMPT_OPENERS)),
  });

  const event = (correlationId: string, poison: boolean): EventBody => {
    const { conversationId, userId } = participants();
    const eventType = EVENT_TYPES[picks.int(EVENT_TYPES.length)] ?? EVENT_TYPES[0];
    let aggregateType = 'conversation';
    let aggregateId = conversationId;
    let data: EventBody['data'];
    switch (eventType) {
      case 'message.created':
        data = { messageId: faker.string.uuid(), conversationId, userId, text: text() };
        break;
      case 'conversation.started':
        data = { conversationId, userId, title: text() };
        break;
      case 'conversation.renamed':
        data = { conversationId, title: text() };
        break;
      case 'user.profile_updated':
        aggregateType = 'user';
        aggregateId = userId;
        data = { userId, displayName: faker.person.fullName(), bio: text() };
        break;
      case 'fact.extracted':
        data = {
          conversationId,
          subject: faker.word.noun(),
          predicate: faker.word.verb(),
          object: text(),
          confidence: faker.number.float({ min: 0, max: 1, fractionDigits: 3 }),
        };
        break;
    }
    return {
      eventType,
      aggregateType,
      aggregateId,
      correlationId,
      data,
      ...(poison ? { poison: true as const } : {}),
    };
  };

  if (kind === 'chat') return chat;
  if (kind === 'prompt') return prompt;
  return event;
}
