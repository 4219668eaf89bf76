// Markdown pieces shared by the reports (SUMMARY.md of rollouts and validations, incident reports): text
// that stays inside its table cell, inline code that survives backticks, and tables.

/** Free text in a table cell or a line: a `|` would end the cell, a newline the row. */
export function text(value: string): string {
  return value.replaceAll('|', '\\|').replace(/\s*\r?\n\s*/g, ' ');
}

/** Inline code that survives backticks and pipes in the value. */
export function code(value: string): string {
  const body = text(value);
  return body.includes('`') ? `\`\` ${body} \`\`` : `\`${body}\``;
}

export function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map((c) => c || ' ').join(' | ')} |`),
  ];
}

/** A step's own log as a fenced block: time, who when a person did it, and what. */
export function logBlock(log: readonly { at: string; by?: string; what: string }[]): string[] {
  return [
    '```',
    ...(log.length ? log.map((l) => `${l.at} ${l.by ? `${l.by}: ` : ''}${l.what}`) : ['(nothing)']),
    '```',
    '',
  ];
}
