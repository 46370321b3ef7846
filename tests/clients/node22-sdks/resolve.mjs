// resolve.mjs — with `node --import ./tests/clients/node22-sdks/resolve.mjs`, the OpenAI SDK,
// the AI SDK and its providers, and zod are loaded from build/node22-sdks (this folder's
// manifest, which npm test installs there) instead of the project's node_modules, whoever
// imports them; everything else resolves as usual.
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const PACKAGES = /^(?:ai|openai|zod|@ai-sdk\/[a-z-]+)(?:\/|$)/;
const from = new URL('../../../build/node22-sdks/package.json', import.meta.url).href;
const installed = new URL('../../../build/node22-sdks/node_modules/', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (!PACKAGES.test(specifier)) return next(specifier, context);
  const found = await next(specifier, { ...context, parentURL: from });
  // Without the install, resolution would walk up to the project's own packages unnoticed.
  if (!found.url.startsWith(installed)) throw new Error(`${specifier} is not installed in build/node22-sdks (npm test installs it)`);
  return found;
}

// On the main thread this module registers itself; Node runs the hook above on its own thread.
if (isMainThread) register(import.meta.url);
