// pool-store.mjs — the KeyPool object's store: keys and their state (active / cooling per
// model / disabled with a reason), written by the admin API and by the isolates' key events
// (the core's verdicts and rows, written as they are: events.h), each write noting what
// isolates must learn (the lines of cpp/include/balancer/pool.h; pool-slices.mjs sends
// them). Every read-modify-write runs inside one synchronous transaction.
import { DurableObject } from 'cloudflare:workers';
import { migrate } from './schema.mjs';
import { ChangeLog } from './pool-slices.mjs';
import { tables } from './core.mjs';

export const HOUR_MS = 3600 * 1000;
const MAX_IDS_PER_STATEMENT = 90; // SQLite's bound-parameter limit is 100
export const COUNTS = ['requests', 'successes', 'failures', 'prompt_tokens', 'completion_tokens'];

export function chunks(list, size = MAX_IDS_PER_STATEMENT) {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export const placeholders = (n) => new Array(n).fill('?').join(',');

// The rows of one table of the core's merged events, as a subquery `e`.
const rows = (table, columns) =>
  `(SELECT ${columns.map((c) => `value ->> '${c}' AS ${c}`).join(', ')} FROM json_each(?, '$.${table}')) AS e`;
const EXISTS = 'EXISTS (SELECT 1 FROM keys k WHERE k.id = e.id)';
const ADD_COUNTS = COUNTS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ');

// One statement per table of events.h, each binding the whole batch; `after` turns the rows
// it returns into the lines isolates must learn. (An upsert from a SELECT needs a WHERE.)
const WRITES = [
  ['keys', `UPDATE keys SET ${COUNTS.map((c) => `${c} = keys.${c} + e.${c}`).join(', ')},
     last_used_ms = CASE WHEN e.used_ms > 0 THEN MAX(COALESCE(keys.last_used_ms, 0), e.used_ms) ELSE keys.last_used_ms END,
     last_error = COALESCE(e.error, keys.last_error),
     last_error_ms = CASE WHEN e.error IS NULL THEN keys.last_error_ms ELSE e.error_ms END
     FROM ${rows('keys', ['id', ...COUNTS, 'used_ms', 'error', 'error_ms'])} WHERE keys.id = e.id`],
  ['hours', `INSERT INTO usage_hourly (key_id, hour_ms, ${COUNTS}) SELECT id, hour_ms, ${COUNTS}
     FROM ${rows('hours', ['id', 'hour_ms', ...COUNTS])} WHERE ${EXISTS}
     ON CONFLICT (key_id, hour_ms) DO UPDATE SET ${ADD_COUNTS}`],
  ['families', `INSERT INTO usage_family (family, hour_ms, ${COUNTS}) SELECT family, hour_ms, ${COUNTS}
     FROM ${rows('families', ['family', 'hour_ms', ...COUNTS])} WHERE true
     ON CONFLICT (family, hour_ms) DO UPDATE SET ${ADD_COUNTS}`],
  ['failures', `INSERT INTO failures_by_class (key_id, outcome, count) SELECT id, outcome, count
     FROM ${rows('failures', ['id', 'outcome', 'count'])} WHERE ${EXISTS}
     ON CONFLICT (key_id, outcome) DO UPDATE SET count = count + excluded.count`],
  ['disables', `UPDATE keys SET disabled_reason = e.reason, disabled_ms = e.at_ms FROM ${rows('disables', ['id', 'reason', 'at_ms'])}
     WHERE keys.id = e.id AND keys.disabled_reason IS NULL RETURNING keys.id AS id`,
    (r, note) => note(`D ${r.id}\n`)],
  ['cooldowns', `INSERT INTO cooldowns (key_id, model, until_ms, reason) SELECT id, scope, until_ms, reason
     FROM ${rows('cooldowns', ['id', 'scope', 'until_ms', 'reason'])} WHERE ${EXISTS}
     ON CONFLICT (key_id, model) DO UPDATE SET until_ms = MAX(until_ms, excluded.until_ms), reason = excluded.reason
     RETURNING key_id, model, until_ms`,
    (r, note) => note(`C ${r.key_id} ${r.model} ${r.until_ms}\n`, r.key_id)],
  ['created', `INSERT INTO affinity (resource, key_id, created_ms) SELECT resource, id, at_ms
     FROM ${rows('created', ['id', 'resource', 'at_ms'])} WHERE ${EXISTS}
     ON CONFLICT (resource) DO UPDATE SET key_id = excluded.key_id, created_ms = excluded.created_ms
     RETURNING key_id, resource, (SELECT key FROM keys WHERE id = key_id) AS key,
       (SELECT disabled_reason IS NOT NULL FROM keys WHERE id = key_id) AS off`,
    // Every isolate holds a key an affinity names: P first, then the name.
    (r, note) => note(`P ${r.key_id} ${r.key} ${r.off ? 'd' : 'a'}\nA ${r.key_id} ${r.resource}\n`)],
];

export class PoolStore extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.storage = ctx.storage;
    // How long what the object stores is kept, and how much of it: the core's (BAL_POLICIES).
    this.policy = tables().policy;
    migrate(this.sql, this.storage);
    this.version = this.sql.exec("SELECT value FROM meta WHERE name = 'version'").one().value;
    const { n, top } = this.sql.exec('SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS top FROM keys').one();
    this.total = n;
    this.log = new ChangeLog(this.version, this.policy);
    // Where the next slice starts: somewhere else after each start, so no key is favoured.
    this.cursor = Math.floor(Math.random() * (top + 1));
    this.prunedAt = 0;
  }

  // Runs fn(note) in one transaction. What it notes (pool.h lines) is the next version's
  // change; with a key id, only isolates whose slice holds that key are sent it.
  change(fn) {
    const notes = [];
    let version = this.version;
    const result = this.storage.transactionSync(() => {
      const r = fn((lines, id = 0) => notes.push([id, lines]));
      if (notes.length) version = this.sql.exec("UPDATE meta SET value = value + 1 WHERE name = 'version' RETURNING value").one().value;
      return r;
    });
    this.version = version;
    for (const [id, lines] of notes) this.log.add(version, id, lines);
    return result;
  }

  // A key an affinity names is kept by every isolate: whether it is enabled is news to all.
  sliceId(id) {
    return this.sql.exec('SELECT 1 FROM affinity WHERE key_id = ? LIMIT 1', id).toArray().length ? 0 : id;
  }

  // An enabled key as isolates take it: its K line, and the cooldowns that still hold.
  keyLines(id, key, now) {
    let out = `K ${id} ${key} a\n`;
    for (const c of this.sql.exec('SELECT model, until_ms FROM cooldowns WHERE key_id = ? AND until_ms > ?', id, now)) {
      out += `C ${id} ${c.model} ${c.until_ms}\n`;
    }
    return out;
  }

  addKeys(keys, masked) {
    const now = Date.now();
    const added = this.change((note) => {
      let n = 0;
      keys.forEach((key, i) => {
        const q = 'INSERT INTO keys (key, masked, added_ms) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING id';
        for (const r of this.sql.exec(q, key, masked[i], now)) {
          note(`K ${r.id} ${key} a\n`, r.id);
          n++;
        }
      });
      if (n) note(`T ${this.total + n}\n`);
      return n;
    });
    this.total += added;
    return { added, existing: keys.length - added, total: this.total };
  }

  deleteKeys(ids = [], keys = []) {
    const deleted = this.change((note) => {
      const all = [...ids];
      for (const part of chunks(keys)) {
        for (const r of this.sql.exec(`SELECT id FROM keys WHERE key IN (${placeholders(part.length)})`, ...part)) all.push(r.id);
      }
      let n = 0;
      for (const part of chunks(all)) {
        const list = placeholders(part.length);
        for (const r of this.sql.exec(`DELETE FROM affinity WHERE key_id IN (${list}) RETURNING resource`, ...part)) note(`F ${r.resource}\n`);
        this.sql.exec(`DELETE FROM cooldowns WHERE key_id IN (${list})`, ...part);
        for (const r of this.sql.exec(`DELETE FROM keys WHERE id IN (${list}) RETURNING id`, ...part)) {
          note(`R ${r.id}\n`);
          n++;
        }
      }
      if (n) note(`T ${this.total - n}\n`);
      return n;
    });
    this.total -= deleted;
    return { deleted, total: this.total };
  }

  // Disabled by hand, or enabled again (its cooldowns go: a fresh start).
  setDisabled(ids, disabled) {
    const now = Date.now();
    const updated = this.change((note) => {
      let n = 0;
      for (const part of chunks(ids)) {
        const list = placeholders(part.length);
        const hit = disabled
          ? this.sql.exec(`UPDATE keys SET disabled_reason = 'manual', disabled_ms = ? WHERE id IN (${list}) RETURNING id`, now, ...part)
          : this.sql.exec(`UPDATE keys SET disabled_reason = NULL, disabled_ms = NULL WHERE id IN (${list}) RETURNING id, key`, ...part);
        for (const r of hit.toArray()) {
          note(disabled ? `D ${r.id}\n` : `K ${r.id} ${r.key} a\n`, disabled ? 0 : this.sliceId(r.id));
          n++;
        }
        if (!disabled) this.sql.exec(`DELETE FROM cooldowns WHERE key_id IN (${list})`, ...part);
      }
      return n;
    });
    return { updated };
  }

  // Writes a batch of key events once: a batch id seen before is ignored, so an isolate that
  // retries a report after a lost answer never double-counts. `events` is the core's text
  // (events.h): each table is written with one statement. With pull()'s arguments the answer
  // is also pull()'s: an isolate reports and catches up in one call.
  report(batchId, events, ...pull) {
    const now = Date.now();
    const duplicate = this.change((note) => {
      const q = 'INSERT INTO reported_batches (batch_id, at_ms) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING 1';
      if (!this.sql.exec(q, batchId, now).toArray().length) return true;
      const merged = JSON.parse(events);
      for (const [table, sql, after] of WRITES) {
        if (!merged[table]?.length) continue;
        for (const r of this.sql.exec(sql, events)) after?.(r, note);
      }
      if (merged.created?.length) this.trimAffinity(note);
      if (now - this.prunedAt > this.policy.PRUNE_EVERY_MS) this.prune(now, note);
      return false;
    });
    return { ...(pull.length ? this.pull(...pull) : { version: this.version }), duplicate };
  }

  prune(now, note) {
    const p = this.policy;
    this.prunedAt = now;
    this.sql.exec('DELETE FROM reported_batches WHERE at_ms < ?', now - p.BATCH_KEEP_MS);
    this.sql.exec('DELETE FROM usage_hourly WHERE hour_ms < ?', now - p.USAGE_KEEP_MS);
    this.sql.exec('DELETE FROM usage_family WHERE hour_ms < ?', now - p.USAGE_KEEP_MS);
    this.sql.exec('DELETE FROM cooldowns WHERE until_ms < ?', now - p.COOLDOWN_KEEP_MS);
    const old = this.sql.exec('DELETE FROM affinity WHERE created_ms < ? RETURNING resource', now - p.AFFINITY_KEEP_MS);
    for (const r of old) note(`F ${r.resource}\n`);
  }

  // Keeps the newest AFFINITY_MAX_ROWS affinities; isolates forget the others too (a request
  // naming a forgotten file or cache goes to any key; Google answers 403 or 404 if that key's
  // project cannot see it).
  trimAffinity(note) {
    const excess = this.sql.exec('SELECT COUNT(*) AS n FROM affinity').one().n - this.policy.AFFINITY_MAX_ROWS;
    if (excess <= 0) return;
    const q = 'DELETE FROM affinity WHERE resource IN (SELECT resource FROM affinity ORDER BY created_ms LIMIT ?) RETURNING resource';
    for (const r of this.sql.exec(q, excess)) note(`F ${r.resource}\n`);
  }
}
