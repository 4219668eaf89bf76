import type { AnyBlock, HomeView } from '@slack/types';

// Slack's Block Kit limits (platform-facts.md, "Slack"), checked by tests on every message the bot can
// build rather than hoped for. Slack answers `invalid_blocks` or `msg_blocks_too_long` for a message
// past them, and the card never appears: the builders in message.ts truncate so that cannot happen.

export const LIMITS = {
  messageBlocks: 50,
  homeBlocks: 100,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  /** Not in the facts: Slack documents 10 elements; 2,000 chars a text keeps well inside its text limit. */
  contextElements: 10,
  contextText: 2000,
  buttonText: 75,
  actionElements: 25,
  actionId: 255,
  blockId: 255,
  buttonValue: 2000,
  buttonUrl: 3000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** `msg_blocks_too_long` appears near 13k characters of blocks: stay under this. Messages only. */
  messageJson: 12_000,
  /** House rule: the fallback `text` is a short notification line, never the whole card. */
  fallbackText: 3000,
} as const;

type Checked = { text?: string; blocks: readonly AnyBlock[] } | HomeView;

/** Every limit the message (or Home view) breaks, one sentence each; [] when it is fine to send. */
export function blockKitProblems(message: Checked): string[] {
  const problems: string[] = [];
  const home = 'type' in message && message.type === 'home';
  const maxBlocks = home ? LIMITS.homeBlocks : LIMITS.messageBlocks;
  if (message.blocks.length === 0) problems.push('no blocks');
  if (message.blocks.length > maxBlocks) {
    problems.push(`${message.blocks.length} blocks, limit ${maxBlocks}`);
  }
  if (!home) {
    const size = JSON.stringify(message.blocks).length;
    if (size > LIMITS.messageJson)
      problems.push(`blocks are ${size} chars of JSON, limit ${LIMITS.messageJson}`);
    const text = 'text' in message ? message.text : undefined;
    if (!text) problems.push('no fallback text');
    else if (text.length > LIMITS.fallbackText) {
      problems.push(`fallback text is ${text.length} chars, limit ${LIMITS.fallbackText}`);
    }
  }
  const blockIds = new Set<string>();
  message.blocks.forEach((block, i) => {
    const where = `block ${i} (${block.type})`;
    if (block.block_id !== undefined) {
      if (block.block_id.length > LIMITS.blockId)
        problems.push(`${where}: block_id longer than ${LIMITS.blockId}`);
      if (blockIds.has(block.block_id)) problems.push(`${where}: block_id ${block.block_id} is used twice`);
      blockIds.add(block.block_id);
    }
    problems.push(...blockProblems(block as Shape, where));
  });
  return problems;
}

/** The parts of a block the checks read, whatever its type. */
interface Shape {
  type: string;
  text?: TextShape;
  fields?: TextShape[];
  elements?: ElementShape[];
  accessory?: ElementShape;
}
interface TextShape {
  type: string;
  text: string;
}
interface ElementShape {
  type: string;
  text?: TextShape;
  action_id?: string;
  value?: string;
  url?: string;
  confirm?: { title?: TextShape; text: TextShape; confirm?: TextShape; deny?: TextShape };
}

function blockProblems(block: Shape, where: string): string[] {
  const out: string[] = [];
  const text = (t: TextShape | undefined, what: string, max: number, plainOnly = false) => {
    if (t === undefined) return;
    if (plainOnly && t.type !== 'plain_text') out.push(`${where}: ${what} must be plain_text`);
    if (t.text.trim().length === 0) out.push(`${where}: ${what} is empty`);
    if (t.text.length > max) out.push(`${where}: ${what} is ${t.text.length} chars, limit ${max}`);
  };
  switch (block.type) {
    case 'header':
      if (block.text === undefined) out.push(`${where}: no text`);
      text(block.text, 'text', LIMITS.headerText, true);
      break;
    case 'section': {
      if (block.text === undefined && (block.fields?.length ?? 0) === 0)
        out.push(`${where}: neither text nor fields`);
      text(block.text, 'text', LIMITS.sectionText);
      const fields = block.fields ?? [];
      if (fields.length > LIMITS.fields)
        out.push(`${where}: ${fields.length} fields, limit ${LIMITS.fields}`);
      fields.forEach((f, j) => {
        text(f, `field ${j}`, LIMITS.fieldText);
      });
      if (block.accessory) out.push(...elementProblems(block.accessory, `${where} accessory`));
      break;
    }
    case 'context': {
      const elements = block.elements ?? [];
      if (elements.length === 0) out.push(`${where}: no elements`);
      if (elements.length > LIMITS.contextElements) {
        out.push(`${where}: ${elements.length} elements, limit ${LIMITS.contextElements}`);
      }
      elements.forEach((e, j) => {
        if (e.type === 'mrkdwn' || e.type === 'plain_text') {
          text(e as unknown as TextShape, `element ${j}`, LIMITS.contextText);
        }
      });
      break;
    }
    case 'actions': {
      const elements = block.elements ?? [];
      if (elements.length === 0) out.push(`${where}: no elements`);
      if (elements.length > LIMITS.actionElements) {
        out.push(`${where}: ${elements.length} elements, limit ${LIMITS.actionElements}`);
      }
      const ids = new Set<string>();
      elements.forEach((e, j) => {
        out.push(...elementProblems(e, `${where} element ${j}`));
        if (e.action_id !== undefined) {
          if (ids.has(e.action_id)) out.push(`${where}: action_id ${e.action_id} is used twice`);
          ids.add(e.action_id);
        }
      });
      break;
    }
  }
  return out;
}

function elementProblems(e: ElementShape, where: string): string[] {
  const out: string[] = [];
  const check = (t: TextShape | undefined, what: string, max: number) => {
    if (t === undefined) return;
    if (t.text.trim().length === 0) out.push(`${where}: ${what} is empty`);
    if (t.text.length > max) out.push(`${where}: ${what} is ${t.text.length} chars, limit ${max}`);
  };
  if (e.type === 'button') {
    if (e.text === undefined) out.push(`${where}: button without text`);
    else if (e.text.type !== 'plain_text') out.push(`${where}: button text must be plain_text`);
    check(e.text, 'button text', LIMITS.buttonText);
  }
  if (e.action_id !== undefined && e.action_id.length > LIMITS.actionId) {
    out.push(`${where}: action_id longer than ${LIMITS.actionId}`);
  }
  if (e.value !== undefined && e.value.length > LIMITS.buttonValue) {
    out.push(`${where}: value is ${e.value.length} chars, limit ${LIMITS.buttonValue}`);
  }
  if (e.url !== undefined && e.url.length > LIMITS.buttonUrl) {
    out.push(`${where}: url is ${e.url.length} chars, limit ${LIMITS.buttonUrl}`);
  }
  if (e.confirm) {
    check(e.confirm.title, 'confirm title', LIMITS.confirmTitle);
    check(e.confirm.text, 'confirm text', LIMITS.confirmText);
    check(e.confirm.confirm, 'confirm button', LIMITS.confirmButton);
    check(e.confirm.deny, 'deny button', LIMITS.confirmButton);
  }
  return out;
}
