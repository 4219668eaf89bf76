// Preloaded by `npm run lint:layers` (node --import): routes dependency-cruiser's imports of the
// `typescript` package to the stand-in in ./typescript/, so dependency-cruiser reads the .ts sources.
//
// Why: dependency-cruiser 18 parses TypeScript through the JavaScript compiler API of TypeScript 2 to 6
// (`transpileModule`), and refuses the .ts extension when it cannot load one. The project's TypeScript 7
// is the native compiler and has no such API (its main export is a version string), and no other parser
// dependency-cruiser accepts (@swc/core, @babel/core) is installed. Node itself strips TypeScript types
// (node:module stripTypeScriptTypes, the stripper that runs our sources), which is all dependency-cruiser
// needs to find the imports. Only modules inside dependency-cruiser see the stand-in; `tsc` and
// everything else still get the real TypeScript 7.
import { registerHooks } from 'node:module';

const standIn = new URL('./typescript/', import.meta.url);

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (context.parentURL?.includes('/node_modules/dependency-cruiser/')) {
      if (specifier === 'typescript') return { url: new URL('index.mjs', standIn).href, shortCircuit: true };
      if (specifier === 'typescript/package.json') {
        return { url: new URL('package.json', standIn).href, shortCircuit: true };
      }
    }
    return nextResolve(specifier, context);
  },
});
