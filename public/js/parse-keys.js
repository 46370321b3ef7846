// Finds Gemini keys in pasted text: a list (one per line, or separated by commas, semicolons
// or spaces) or any text with keys inside it (a .env file, a JSON array, a log line).
// A key is "AIza" followed by 35 characters of [A-Za-z0-9_-], not glued to more of them.

const KEY = /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g;
const SEPARATORS = /[\s,;]+/;
const WRAPPERS = /^["'`([{<]+|["'`)\]}>.:]+$/g;
// Tokens that look like a key attempt go to the server so it can report them as rejected;
// ordinary words around the keys are ignored instead of flooding the rejected list.
const KEY_LIKE = /AIza|^[A-Za-z0-9_-]{30,}$/;

// Returns the unique well-formed keys in order, how many repeats were dropped, and the
// unique key-like tokens that are malformed.
export function parseKeys(text) {
  const keys = [];
  const seen = new Set();
  const malformed = new Set();
  let repeated = 0;
  for (const raw of text.split(SEPARATORS)) {
    const token = raw.replace(WRAPPERS, '');
    if (!token) continue;
    const found = token.match(KEY);
    if (found) {
      for (const key of found) {
        if (seen.has(key)) repeated += 1;
        else {
          seen.add(key);
          keys.push(key);
        }
      }
    } else if (KEY_LIKE.test(token)) {
      malformed.add(token);
    }
  }
  return { keys, repeated, malformed: [...malformed] };
}

// Splits a long list into request-sized batches (the API refuses more than 20 000 entries).
export function batches(items, size = 5000) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
