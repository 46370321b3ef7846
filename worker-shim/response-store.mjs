// response-store.mjs — stored Responses API answers (POST /v1/responses with store: true),
// kept in a Durable Object's SQLite storage for previous_response_id, item_reference and the
// GET / DELETE / input_items routes.
//
// A record is the core's bytes (responses.h: Stored) kept with its owner, a digest of the
// client token: every read and delete names the owner, so a token never sees another token's
// responses (a foreign id reads as missing). Records live RESPONSE_TTL_MS, at most
// RESPONSE_MAX_BYTES each and RESPONSES_MAX_BYTES in all (oldest first out); the alarm deletes
// what expired. Those numbers are the core's (`policy`: tables().policy, BAL_POLICIES). SQLite
// keeps a value under 2 MB, so a record is stored in chunks.
//
//   const store = new ResponseStore(sql, storage, tables().policy);
//   store.put(owner, { id, previous_id, created_ms, body }, Date.now());
//   const bytes = store.load(owner, ['resp_…'], Date.now());   // "[record, …]": each id's chain
//   store.remove(owner, id);  store.clean(Date.now());  store.stats();

import { joined } from './stream.mjs';

const CHUNK_BYTES = 1024 * 1024;

const encoder = new TextEncoder();
const OPEN = encoder.encode('[');
const COMMA = encoder.encode(',');
const CLOSE = encoder.encode(']');

export class ResponseStore {
  constructor(sql, storage, policy) {
    this.sql = sql;
    this.storage = storage;
    this.policy = policy;
  }

  /**
   * Stores one record for `owner`. `body` is the record's JSON text (or its UTF-8 bytes).
   * Returns { stored, reason? }: a record past RESPONSE_MAX_BYTES, or an id another owner
   * holds, is not stored (the answer the client got stays valid; continuing from it fails).
   */
  put(owner, { id, previous_id = '', created_ms, body }, now) {
    const bytes = typeof body === 'string' ? encoder.encode(body) : new Uint8Array(body);
    if (bytes.byteLength > this.policy.RESPONSE_MAX_BYTES) return { stored: false, reason: 'too_large' };
    let stored = true;
    this.storage.transactionSync(() => {
      const existing = this.sql.exec('SELECT owner FROM responses WHERE id = ?', id).toArray()[0];
      if (existing && existing.owner !== owner) {
        stored = false;
        return;
      }
      this.removeRow(id);
      this.sql.exec(
        'INSERT INTO responses (id, owner, previous_id, created_ms, expires_ms, size) VALUES (?, ?, ?, ?, ?, ?)',
        id,
        owner,
        previous_id || null,
        created_ms ?? now,
        now + this.policy.RESPONSE_TTL_MS,
        bytes.byteLength,
      );
      for (let seq = 0, at = 0; at < bytes.byteLength || seq === 0; seq++, at += CHUNK_BYTES) {
        this.sql.exec('INSERT INTO response_chunks (id, seq, data) VALUES (?, ?, ?)', id, seq, bytes.slice(at, at + CHUNK_BYTES));
      }
      this.evict(this.policy.RESPONSES_MAX_BYTES);
    });
    return stored ? { stored } : { stored, reason: 'foreign_id' };
  }

  /**
   * The records of `ids` and of every response they continue (previous_id), for `owner`,
   * as the bytes of one JSON array, ready for the core. Missing, expired or foreign ids are
   * left out: the core then answers "not found". One call per request.
   */
  load(owner, ids, now) {
    const seen = new Set();
    const parts = [];
    let total = 0;
    for (const start of ids) {
      let id = start;
      while (id && !seen.has(id)) {
        seen.add(id);
        const row = this.row(owner, id, now);
        if (!row || total + row.size > this.policy.RESPONSE_LOAD_MAX_BYTES) break;
        parts.push(this.bytes(id));
        total += row.size;
        id = row.previous_id;
      }
    }
    const framed = [OPEN];
    parts.forEach((p, i) => {
      if (i > 0) framed.push(COMMA);
      framed.push(p);
    });
    framed.push(CLOSE);
    return joined(framed);
  }

  /** One record (no chain) as a JSON array of at most one record. */
  get(owner, id, now) {
    const row = this.row(owner, id, now);
    return row ? joined([OPEN, this.bytes(id), CLOSE]) : joined([OPEN, CLOSE]);
  }

  /** Deletes `owner`'s record `id`; true when there was one. */
  remove(owner, id) {
    let removed = false;
    this.storage.transactionSync(() => {
      const row = this.sql.exec('SELECT id FROM responses WHERE id = ? AND owner = ?', id, owner).toArray()[0];
      if (row) removed = this.removeRow(id);
    });
    return removed;
  }

  /** Deletes expired records and keeps the total within RESPONSES_MAX_BYTES. */
  clean(now) {
    let deleted = 0;
    this.storage.transactionSync(() => {
      const expired = this.sql.exec('SELECT id FROM responses WHERE expires_ms <= ?', now).toArray();
      for (const { id } of expired) deleted += this.removeRow(id) ? 1 : 0;
      deleted += this.evict(this.policy.RESPONSES_MAX_BYTES);
    });
    return { deleted, ...this.stats() };
  }

  /** What is stored: { count, bytes, oldest_ms }. */
  stats() {
    const r = this.sql
      .exec('SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes, MIN(created_ms) AS oldest FROM responses')
      .one();
    return { count: r.count, bytes: r.bytes, oldest_ms: r.oldest ?? null };
  }

  /** When the alarm should next clean (null: nothing stored). */
  nextAlarm(now) {
    const r = this.sql.exec('SELECT MIN(expires_ms) AS at FROM responses').one();
    return r.at === null ? null : Math.max(r.at, now + this.policy.RESPONSE_CLEAN_GAP_MS);
  }

  // ---- internals ------------------------------------------------------------------------

  row(owner, id, now) {
    return this.sql
      .exec('SELECT previous_id, size FROM responses WHERE id = ? AND owner = ? AND expires_ms > ?', id, owner, now)
      .toArray()[0];
  }

  bytes(id) {
    const chunks = this.sql.exec('SELECT data FROM response_chunks WHERE id = ? ORDER BY seq', id).toArray();
    return joined(chunks.map((c) => new Uint8Array(c.data)));
  }

  removeRow(id) {
    const gone = this.sql.exec('DELETE FROM responses WHERE id = ? RETURNING id', id).toArray().length > 0;
    this.sql.exec('DELETE FROM response_chunks WHERE id = ?', id);
    return gone;
  }

  // Oldest first until the total fits; returns how many went.
  evict(limit) {
    let { bytes } = this.stats();
    let deleted = 0;
    while (bytes > limit) {
      const oldest = this.sql.exec('SELECT id, size FROM responses ORDER BY created_ms, id LIMIT 1').toArray()[0];
      if (!oldest) break;
      this.removeRow(oldest.id);
      bytes -= oldest.size;
      deleted++;
    }
    return deleted;
  }
}
