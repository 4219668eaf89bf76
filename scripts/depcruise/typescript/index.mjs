// Stand-in for the `typescript` package, seen only by dependency-cruiser (../register.mjs routes it
// here). dependency-cruiser 18 reads TypeScript through the JavaScript compiler API of TypeScript 2
// to 6; the project's TypeScript 7 is the native compiler and has no such API. Node's own type
// stripper gives the JavaScript that dependency-cruiser's acorn parser then reads for imports.
import { stripTypeScriptTypes } from 'node:module';

export const version = '6.0.0-node-strip-types';

// Read at load time by dependency-cruiser's tsc parser, which is never selected (no `parser: "tsc"`,
// no `tsPreCompilationDeps`): an empty table keeps that module loadable.
export const SyntaxKind = {};

// Type-only imports are imports too for the layering rules (a renderer importing a store type is
// coupled to the store), but stripping erases them. Turning `import type` and `export type {…} from`
// into plain ones first keeps them; "type" becomes four spaces so lines and columns do not move.
// (An inline `import { type X }` is already kept, as `import { } from …`.)
function keepTypeOnlyImports(source) {
  return source
    .replace(/^(\s*import\s+)type(?=\s+[\w${*])/gm, '$1    ')
    .replace(/^(\s*export\s+)type(?=\s*[{*])/gm, '$1    ');
}

export function transpileModule(source) {
  return { outputText: stripTypeScriptTypes(keepTypeOnlyImports(source), { mode: 'strip' }) };
}

export function createSourceFile() {
  throw new Error(
    'shiftgate: the typescript stand-in has no parser; do not use parser "tsc" or tsPreCompilationDeps',
  );
}

export default { version, SyntaxKind, transpileModule, createSourceFile };
