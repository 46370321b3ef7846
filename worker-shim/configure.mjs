// configure.mjs — the Worker's bindings, passed to the core (CONFIGURE) when they change.
import { callRemembered, tables } from './core.mjs';

let configured = null;
let configuredEnv = null;

// The bindings the core reads, as strings; the core keeps them until they change.
export function configure(env) {
  if (env === configuredEnv) return;
  configuredEnv = env;
  const bindings = {};
  for (const name of tables().config) if (typeof env[name] === 'string') bindings[name] = env[name];
  const text = JSON.stringify(bindings);
  if (text !== configured) {
    callRemembered('CONFIGURE', { BODY: text });
    configured = text;
  }
}
