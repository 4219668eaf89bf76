// The cheap Block Kit limits Slack enforces, reported in Slack's own wording,
// e.g. "must be less than 151 characters [json-pointer:/blocks/0/text/text]". Block types the twin
// does not know pass unchecked: a twin that rejected valid blocks would be worse than a lenient one.

const MAX = {
  header: 150,
  sectionText: 3000,
  fields: 10,
  field: 2000,
  buttonText: 75,
  id: 255,
  value: 2000,
  url: 3000,
  actions: 25,
  context: 10,
};

type Report = (pointer: string, problem: string) => void;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const tooLong = (max: number) => `must be less than ${max + 1} characters`;
const tooMany = (max: number) => `must be less than ${max + 1} items`;

/** Problems with a blocks array; empty when Slack would accept it. `maxBlocks`: 50 messages, 100 views. */
export function blockProblems(blocks: unknown, maxBlocks: number, root = '/blocks'): string[] {
  const problems: string[] = [];
  const report: Report = (pointer, problem) => problems.push(`${problem} [json-pointer:${pointer}]`);
  if (!Array.isArray(blocks)) {
    report(root, 'must provide an array');
    return problems;
  }
  if (blocks.length > maxBlocks) report(root, tooMany(maxBlocks));
  blocks.forEach((block, i) => {
    checkBlock(block, `${root}/${i}`, report);
  });
  return problems;
}

function checkText(value: unknown, pointer: string, max: number, report: Report): void {
  if (!isObject(value) || typeof value.text !== 'string') {
    report(pointer, 'must provide an object');
    return;
  }
  if (value.text.length === 0) report(`${pointer}/text`, 'must be more than 0 characters');
  if (value.text.length > max) report(`${pointer}/text`, tooLong(max));
}

function checkLength(value: unknown, pointer: string, max: number, report: Report): void {
  if (typeof value === 'string' && value.length > max) report(pointer, tooLong(max));
}

function checkElement(element: unknown, pointer: string, report: Report): void {
  if (!isObject(element)) {
    report(pointer, 'must provide an object');
    return;
  }
  checkLength(element.action_id, `${pointer}/action_id`, MAX.id, report);
  if (element.type !== 'button') return;
  checkText(element.text, `${pointer}/text`, MAX.buttonText, report);
  checkLength(element.value, `${pointer}/value`, MAX.value, report);
  checkLength(element.url, `${pointer}/url`, MAX.url, report);
}

function checkBlock(block: unknown, pointer: string, report: Report): void {
  if (!isObject(block) || typeof block.type !== 'string') {
    report(pointer, 'must provide an object');
    return;
  }
  checkLength(block.block_id, `${pointer}/block_id`, MAX.id, report);
  switch (block.type) {
    case 'header':
      checkText(block.text, `${pointer}/text`, MAX.header, report);
      return;
    case 'section': {
      if (block.text === undefined && block.fields === undefined) {
        report(pointer, 'must contain either text or fields');
        return;
      }
      if (block.text !== undefined) checkText(block.text, `${pointer}/text`, MAX.sectionText, report);
      if (Array.isArray(block.fields)) {
        if (block.fields.length > MAX.fields) report(`${pointer}/fields`, tooMany(MAX.fields));
        block.fields.forEach((field, i) => {
          checkText(field, `${pointer}/fields/${i}`, MAX.field, report);
        });
      }
      if (block.accessory !== undefined) checkElement(block.accessory, `${pointer}/accessory`, report);
      return;
    }
    case 'actions':
    case 'context': {
      const max = block.type === 'actions' ? MAX.actions : MAX.context;
      if (!Array.isArray(block.elements)) {
        report(`${pointer}/elements`, 'must provide an array');
        return;
      }
      if (block.elements.length > max) report(`${pointer}/elements`, tooMany(max));
      if (block.type === 'actions') {
        block.elements.forEach((element, i) => {
          checkElement(element, `${pointer}/elements/${i}`, report);
        });
      }
      return;
    }
  }
}
