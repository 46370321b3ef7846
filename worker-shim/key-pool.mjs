// key-pool.mjs — the KeyPool Durable Object: the one source of truth for keys, their
// state (active / cooling per model / disabled with a reason) and usage figures.
//
// It is off the hot path: isolates fetch a snapshot every few seconds and send batched key
// events; the admin API reads and writes here. Every read-modify-write runs inside one
// synchronous block (transactionSync), so no `await` can interleave with it.
import { DurableObject } from 'cloudflare:workers';
import { migrate } from './schema.mjs';
import { probeKey } from './probe.mjs';
import { ResponseStore } from './response-store.mjs';

const HOUR_MS = 3600 * 1000;
const USAGE_KEEP_MS = 7 * 24 * HOUR_MS;
const BATCH_KEEP_MS = 10 * 60 * 1000;
const CHECK_BATCH = 40;          // probes per step: within the free plan's 50 subrequests
const CHECK_CONCURRENCY = 6;     // and its 6 simultaneous connections
const CHECK_CLAIM_MS = 60 * 1000; // a claimed probe not answered by then is tried again
const MAX_IDS_PER_STATEMENT = 90; // SQLite bound-parameter limit is 100
const MAX_CREATED_PER_EVENT = 100;
// Files live 48 hours; cached contents as long as their TTL, which the pool does not see.
const AFFINITY_KEEP_MS = 7 * 24 * HOUR_MS;
// Past these bounds the oldest affinities are forgotten first: a request naming a forgotten
// file or cache goes to any key (Google answers 403 or 404 if that key's project cannot see it).
const MAX_AFFINITY_ROWS = 5000;
const MAX_AFFINITY_SNAPSHOT_BYTES = 256 * 1024;
// Sessions are made only with the admin token; this many at once is far beyond one admin's use.
const MAX_SESSIONS = 1000;

const SORT_COLUMNS = {
  id: 'id',
  requests: 'requests',
  last_used: 'COALESCE(last_used_ms, 0)',
  failures: 'failures',
  status: 'status_rank',
};

function chunks(list, size) {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function placeholders(n) {
  return new Array(n).fill('?').join(',');
}

export class KeyPool extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.storage = ctx.storage;
    migrate(this.sql, this.storage);
    this.snapshotCache = null; // { version, text }
    this.responses = new ResponseStore(this.sql, this.storage);
  }

  // ---- snapshot for isolates ----------------------------------------------------------

  version() {
    return this.sql.exec("SELECT value FROM meta WHERE name = 'version'").one().value;
  }

  bump() {
    this.sql.exec("UPDATE meta SET value = value + 1 WHERE name = 'version'");
  }

  // The pool as the core reads it (pool.h): unchanged since `since` -> { version } only.
  snapshot(since = -1) {
    const version = this.version();
    if (version === since) return { version };
    if (this.snapshotCache?.version !== version) {
      const now = Date.now();
      const lines = [];
      for (const r of this.sql.exec('SELECT id, key, disabled_reason FROM keys ORDER BY id')) {
        lines.push(`K ${r.id} ${r.key} ${r.disabled_reason ? 'd' : 'a'}`);
      }
      for (const r of this.sql.exec('SELECT key_id, model, until_ms FROM cooldowns WHERE until_ms > ?', now)) {
        lines.push(`C ${r.key_id} ${r.model} ${r.until_ms}`);
      }
      let affinityBytes = 0;
      // Newest first, so that the bytes bound drops the oldest.
      for (const r of this.sql.exec(
        'SELECT a.key_id, a.resource FROM affinity a JOIN keys k ON k.id = a.key_id ORDER BY a.created_ms DESC',
      )) {
        const line = `A ${r.key_id} ${r.resource}`;
        affinityBytes += line.length + 1;
        if (affinityBytes > MAX_AFFINITY_SNAPSHOT_BYTES) break;
        lines.push(line);
      }
      this.snapshotCache = { version, text: lines.join('\n') };
    }
    return this.snapshotCache;
  }

  // ---- admin: keys --------------------------------------------------------------------

  addKeys(keys, masked) {
    const now = Date.now();
    let added = 0;
    this.storage.transactionSync(() => {
      keys.forEach((key, i) => {
        const inserted = this.sql
          .exec(
            'INSERT INTO keys (key, masked, added_ms) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING id',
            key,
            masked[i],
            now,
          )
          .toArray().length;
        added += inserted;
      });
      if (added) this.bump();
    });
    return { added, existing: keys.length - added, total: this.count() };
  }

  deleteKeys(ids = [], keys = []) {
    let deleted = 0;
    this.storage.transactionSync(() => {
      for (const part of chunks(ids, MAX_IDS_PER_STATEMENT)) {
        deleted += this.sql.exec(`DELETE FROM keys WHERE id IN (${placeholders(part.length)}) RETURNING id`, ...part).toArray().length;
        this.sql.exec(`DELETE FROM cooldowns WHERE key_id IN (${placeholders(part.length)})`, ...part);
      }
      for (const part of chunks(keys, MAX_IDS_PER_STATEMENT)) {
        const found = this.sql
          .exec(`SELECT id FROM keys WHERE key IN (${placeholders(part.length)})`, ...part)
          .toArray()
          .map((r) => r.id);
        for (const idPart of chunks(found, MAX_IDS_PER_STATEMENT)) {
          deleted += this.sql
            .exec(`DELETE FROM keys WHERE id IN (${placeholders(idPart.length)}) RETURNING id`, ...idPart)
            .toArray().length;
          this.sql.exec(`DELETE FROM cooldowns WHERE key_id IN (${placeholders(idPart.length)})`, ...idPart);
        }
      }
      if (deleted) this.bump();
    });
    return { deleted, total: this.count() };
  }

  setDisabled(ids, disabled) {
    const now = Date.now();
    let updated = 0;
    this.storage.transactionSync(() => {
      for (const part of chunks(ids, MAX_IDS_PER_STATEMENT)) {
        updated += disabled
          ? this.sql.exec(
              `UPDATE keys SET disabled_reason = 'manual', disabled_ms = ? WHERE id IN (${placeholders(part.length)}) RETURNING id`,
              now,
              ...part,
            ).toArray().length
          : this.sql.exec(
              `UPDATE keys SET disabled_reason = NULL, disabled_ms = NULL WHERE id IN (${placeholders(part.length)}) RETURNING id`,
              ...part,
            ).toArray().length;
        if (!disabled) this.sql.exec(`DELETE FROM cooldowns WHERE key_id IN (${placeholders(part.length)})`, ...part);
      }
      if (updated) this.bump();
    });
    return { updated };
  }

  count() {
    return this.sql.exec('SELECT COUNT(*) AS n FROM keys').one().n;
  }

  counts(now = Date.now()) {
    return this.sql
      .exec(
        `SELECT COUNT(*) AS total,
                SUM(CASE WHEN disabled_reason IS NOT NULL THEN 1 ELSE 0 END) AS disabled,
                SUM(CASE WHEN disabled_reason IS NULL AND EXISTS
                      (SELECT 1 FROM cooldowns c WHERE c.key_id = keys.id AND c.until_ms > ?) THEN 1 ELSE 0 END) AS cooling
         FROM keys`,
        now,
      )
      .toArray()
      .map((r) => ({
        total: r.total,
        disabled: r.disabled ?? 0,
        cooling: r.cooling ?? 0,
        active: r.total - (r.disabled ?? 0) - (r.cooling ?? 0),
      }))[0];
  }

  listKeys({ offset = 0, limit = 100, status = 'all', q = '', sort = 'id', order = 'asc' } = {}) {
    const now = Date.now();
    const where = [];
    const args = [now];
    if (status === 'disabled') where.push('disabled_reason IS NOT NULL');
    if (status === 'active') where.push('disabled_reason IS NULL AND cooling = 0');
    if (status === 'cooling') where.push('disabled_reason IS NULL AND cooling = 1');
    if (q) {
      // Search the masked form only: a suffix search on the full key would reveal it. A plain
      // substring test: LIKE patterns have a length limit (past it SQLite fails) and wildcards.
      where.push('instr(lower(masked), lower(?)) > 0');
      args.push(q);
    }
    const base = `SELECT *, CASE WHEN disabled_reason IS NOT NULL THEN 2 WHEN cooling = 1 THEN 1 ELSE 0 END AS status_rank
                  FROM (SELECT id, masked, added_ms, disabled_reason, disabled_ms, requests, successes, failures,
                               prompt_tokens, completion_tokens, last_used_ms, last_error, last_error_ms,
                               EXISTS (SELECT 1 FROM cooldowns c WHERE c.key_id = keys.id AND c.until_ms > ?) AS cooling
                        FROM keys)
                  ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    const total = this.sql.exec(`SELECT COUNT(*) AS n FROM (${base})`, ...args).one().n;
    const column = SORT_COLUMNS[sort] ?? 'id';
    const dir = order === 'desc' ? 'DESC' : 'ASC';
    const rows = this.sql
      .exec(`${base} ORDER BY ${column} ${dir}, id ASC LIMIT ? OFFSET ?`, ...args, limit, offset)
      .toArray();
    const cooldowns = this.cooldownsFor(
      rows.map((r) => r.id),
      now,
    );
    const keys = rows.map((r) => ({
      id: r.id,
      masked: r.masked,
      status: r.disabled_reason ? 'disabled' : r.cooling ? 'cooling' : 'active',
      disabled_reason: r.disabled_reason,
      disabled_ms: r.disabled_ms,
      cooldowns: cooldowns.get(r.id) ?? [],
      requests: r.requests,
      successes: r.successes,
      failures: r.failures,
      prompt_tokens: r.prompt_tokens,
      completion_tokens: r.completion_tokens,
      last_used_ms: r.last_used_ms,
      last_error: r.last_error,
      last_error_ms: r.last_error_ms,
      added_ms: r.added_ms,
    }));
    return { keys, total, counts: this.counts(now) };
  }

  cooldownsFor(ids, now) {
    const out = new Map();
    for (const part of chunks(ids, MAX_IDS_PER_STATEMENT)) {
      const rows = this.sql.exec(
        `SELECT key_id, model, until_ms, reason FROM cooldowns
         WHERE until_ms > ? AND key_id IN (${placeholders(part.length)}) ORDER BY until_ms`,
        now,
        ...part,
      );
      for (const r of rows) {
        if (!out.has(r.key_id)) out.set(r.key_id, []);
        out.get(r.key_id).push({ model: r.model, until_ms: r.until_ms, reason: r.reason });
      }
    }
    return out;
  }

  // ---- key events from isolates -------------------------------------------------------

  // Applies a batch of key events once: a batch id seen before is ignored, so an isolate
  // that retries a report after a lost answer never double-counts.
  report(batchId, events) {
    const now = Date.now();
    let changed = false;
    let duplicate = false;
    this.storage.transactionSync(() => {
      const seen = this.sql.exec('SELECT 1 FROM reported_batches WHERE batch_id = ?', batchId).toArray().length > 0;
      if (seen) {
        duplicate = true;
        return;
      }
      this.sql.exec('INSERT INTO reported_batches (batch_id, at_ms) VALUES (?, ?)', batchId, now);
      for (const e of events) changed = this.applyMerged(e) || changed;
      if (changed) this.bump();
      this.sql.exec('DELETE FROM reported_batches WHERE at_ms < ?', now - BATCH_KEEP_MS);
      this.sql.exec('DELETE FROM usage_hourly WHERE hour_ms < ?', now - USAGE_KEEP_MS);
      this.sql.exec('DELETE FROM cooldowns WHERE until_ms < ?', now - HOUR_MS);
      this.sql.exec('DELETE FROM affinity WHERE created_ms < ?', now - AFFINITY_KEEP_MS);
      this.trimAffinity();
    });
    return { version: this.version(), duplicate };
  }

  // Applies one merged event (events.h: the isolate's core merges events per key, model,
  // family and hour, and says what each means for the key).
  // Returns true when it changes what isolates must know (disable, cooldown, affinity).
  applyMerged(e) {
    const failures = Object.values(e.failures).reduce((s, n) => s + n, 0);
    const exists = this.sql.exec(
      `UPDATE keys SET requests = requests + ?, successes = successes + ?, failures = failures + ?,
              prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ?,
              last_used_ms = CASE WHEN ? > 0 THEN MAX(COALESCE(last_used_ms, 0), ?) ELSE last_used_ms END,
              last_error = CASE WHEN ? IS NOT NULL THEN ? ELSE last_error END,
              last_error_ms = CASE WHEN ? IS NOT NULL THEN ? ELSE last_error_ms END
       WHERE id = ? RETURNING id`,
      e.requests,
      e.successes,
      failures,
      e.prompt_tokens,
      e.completion_tokens,
      e.requests,
      e.at_ms,
      e.error,
      e.error,
      e.error,
      e.error_ms,
      e.id,
    ).toArray().length;
    if (!exists) return false;
    this.sql.exec(
      `INSERT INTO usage_hourly (key_id, hour_ms, requests, successes, failures, prompt_tokens, completion_tokens)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (key_id, hour_ms) DO UPDATE SET requests = requests + excluded.requests,
         successes = successes + excluded.successes, failures = failures + excluded.failures,
         prompt_tokens = prompt_tokens + excluded.prompt_tokens,
         completion_tokens = completion_tokens + excluded.completion_tokens`,
      e.id,
      e.hour_ms,
      e.requests,
      e.successes,
      failures,
      e.prompt_tokens,
      e.completion_tokens,
    );
    for (const [outcome, n] of Object.entries(e.failures)) {
      this.sql.exec(
        `INSERT INTO failures_by_class (key_id, outcome, count) VALUES (?, ?, ?)
         ON CONFLICT (key_id, outcome) DO UPDATE SET count = count + excluded.count`,
        e.id,
        outcome,
        n,
      );
    }
    const changed = this.rememberCreated(e, e.at_ms || Date.now());
    if (e.action === 'disable') {
      const disabled = this.sql.exec(
        'UPDATE keys SET disabled_reason = ?, disabled_ms = ? WHERE id = ? AND disabled_reason IS NULL RETURNING id',
        e.reason,
        e.at_ms,
        e.id,
      ).toArray().length;
      return changed || disabled > 0;
    }
    if (e.action === 'cooldown' && e.until_ms > Date.now()) {
      const model = e.scope || '*';
      this.sql.exec(
        `INSERT INTO cooldowns (key_id, model, until_ms, reason) VALUES (?, ?, ?, ?)
         ON CONFLICT (key_id, model) DO UPDATE SET until_ms = MAX(until_ms, excluded.until_ms), reason = excluded.reason`,
        e.id,
        model,
        e.until_ms,
        e.reason,
      );
      return true;
    }
    return changed;
  }

  // Remembers resources an answer created (affinity.h); true when isolates must learn of them.
  rememberCreated(e, at) {
    let changed = false;
    for (const resource of (e.created ?? []).slice(0, MAX_CREATED_PER_EVENT)) {
      if (typeof resource !== 'string' || !/^(files|cachedContents)\/[A-Za-z0-9_-]{1,128}$/.test(resource)) continue;
      this.sql.exec(
        `INSERT INTO affinity (resource, key_id, created_ms) VALUES (?, ?, ?)
         ON CONFLICT (resource) DO UPDATE SET key_id = excluded.key_id, created_ms = excluded.created_ms`,
        resource,
        e.id,
        at,
      );
      changed = true;
    }
    return changed;
  }

  // Keeps the newest MAX_AFFINITY_ROWS affinities.
  trimAffinity() {
    const excess = this.sql.exec('SELECT COUNT(*) AS n FROM affinity').one().n - MAX_AFFINITY_ROWS;
    if (excess <= 0) return;
    this.sql.exec(
      'DELETE FROM affinity WHERE resource IN (SELECT resource FROM affinity ORDER BY created_ms ASC LIMIT ?)',
      excess,
    );
  }

  // ---- admin sessions (session.h: the core checks the cookie, the pool whether it lives) ---

  createSession(id, expiresMs) {
    this.storage.transactionSync(() => {
      this.sql.exec('DELETE FROM sessions WHERE expires_ms <= ?', Date.now());
      this.sql.exec('INSERT OR REPLACE INTO sessions (id, expires_ms) VALUES (?, ?)', id, expiresMs);
      this.sql.exec(
        'DELETE FROM sessions WHERE id IN (SELECT id FROM sessions ORDER BY expires_ms DESC LIMIT -1 OFFSET ?)',
        MAX_SESSIONS,
      );
    });
  }

  sessionLive(id) {
    return this.sql.exec('SELECT 1 FROM sessions WHERE id = ? AND expires_ms > ?', id, Date.now()).toArray().length > 0;
  }

  endSession(id) {
    this.sql.exec('DELETE FROM sessions WHERE id = ?', id);
  }

  // ---- statistics ----------------------------------------------------------------------

  stats({ hours = 24, keyId = null, dayStartMs = 0 } = {}) {
    const now = Date.now();
    const from = Math.floor(now / HOUR_MS) * HOUR_MS - (hours - 1) * HOUR_MS;
    const keyFilter = keyId ? 'AND key_id = ?' : '';
    const keyArgs = keyId ? [keyId] : [];
    const byHour = new Map(
      this.sql
        .exec(
          `SELECT hour_ms, SUM(requests) AS requests, SUM(successes) AS successes, SUM(failures) AS failures,
                  SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens
           FROM usage_hourly WHERE hour_ms >= ? ${keyFilter} GROUP BY hour_ms`,
          from,
          ...keyArgs,
        )
        .toArray()
        .map((r) => [r.hour_ms, r]),
    );
    const series = [];
    for (let h = from; h <= now; h += HOUR_MS) {
      const r = byHour.get(h);
      series.push({
        hour_ms: h,
        requests: r?.requests ?? 0,
        successes: r?.successes ?? 0,
        failures: r?.failures ?? 0,
        prompt_tokens: r?.prompt_tokens ?? 0,
        completion_tokens: r?.completion_tokens ?? 0,
      });
    }
    const totals = this.sql
      .exec(
        `SELECT COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(successes), 0) AS successes,
                COALESCE(SUM(failures), 0) AS failures, COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens,
                COALESCE(SUM(completion_tokens), 0) AS completion_tokens
         FROM keys ${keyId ? 'WHERE id = ?' : ''}`,
        ...keyArgs,
      )
      .one();
    const today = this.sql
      .exec(
        `SELECT COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(failures), 0) AS failures
         FROM usage_hourly WHERE hour_ms >= ? ${keyFilter}`,
        Math.floor(dayStartMs / HOUR_MS) * HOUR_MS,
        ...keyArgs,
      )
      .one();
    const failureClasses = {};
    for (const r of this.sql.exec(
      `SELECT outcome, SUM(count) AS n FROM failures_by_class ${keyId ? 'WHERE key_id = ?' : ''} GROUP BY outcome`,
      ...keyArgs,
    )) {
      failureClasses[r.outcome] = r.n;
    }
    return {
      totals: { ...totals, requests_today: today.requests, errors_today: today.failures },
      failures_by_class: failureClasses,
      hours: series,
      counts: this.counts(now),
    };
  }

  // ---- key checks ---------------------------------------------------------------------

  currentJob() {
    return this.sql.exec('SELECT * FROM check_jobs ORDER BY id DESC LIMIT 1').toArray()[0] ?? null;
  }

  checkStatus() {
    const job = this.currentJob();
    if (!job) return { running: false, total: 0, checked: 0, summary: summarise([]), started_ms: null, finished_ms: null };
    const outcomes = this.sql
      .exec('SELECT outcome, COUNT(*) AS n FROM check_items WHERE job_id = ? AND state = 2 GROUP BY outcome', job.id)
      .toArray();
    const checked = outcomes.reduce((s, r) => s + r.n, 0);
    return {
      job_id: job.id,
      running: job.finished_ms == null,
      total: job.total,
      checked,
      summary: summarise(outcomes),
      started_ms: job.started_ms,
      finished_ms: job.finished_ms,
    };
  }

  // Starts a check of `ids` (all keys when null), unless one is already running.
  async startCheck(ids = null) {
    const running = this.currentJob();
    if (running && running.finished_ms == null) return this.checkStatus();
    const now = Date.now();
    this.storage.transactionSync(() => {
      this.sql.exec('DELETE FROM check_items');
      this.sql.exec('DELETE FROM check_jobs');
      const jobId = this.sql.exec('INSERT INTO check_jobs (started_ms, total) VALUES (?, 0) RETURNING id', now).one().id;
      if (ids == null) {
        this.sql.exec('INSERT INTO check_items (job_id, key_id) SELECT ?, id FROM keys', jobId);
      } else {
        for (const part of chunks(ids, MAX_IDS_PER_STATEMENT)) {
          this.sql.exec(
            `INSERT INTO check_items (job_id, key_id) SELECT ?, id FROM keys WHERE id IN (${placeholders(part.length)})`,
            jobId,
            ...part,
          );
        }
      }
      const total = this.sql.exec('SELECT COUNT(*) AS n FROM check_items WHERE job_id = ?', jobId).one().n;
      this.sql.exec('UPDATE check_jobs SET total = ?, finished_ms = CASE WHEN ? = 0 THEN ? END WHERE id = ?', total, total, now, jobId);
    });
    if (this.checkStatus().running) await this.storage.setAlarm(Date.now() + 1000);
    return this.checkStatus();
  }

  // Claims and probes the next batch; returns the job status.
  async checkStep() {
    const job = this.currentJob();
    if (!job || job.finished_ms != null) return this.checkStatus();
    const now = Date.now();
    let batch = [];
    this.storage.transactionSync(() => {
      batch = this.sql
        .exec(
          `SELECT i.key_id, k.key FROM check_items i JOIN keys k ON k.id = i.key_id
           WHERE i.job_id = ? AND (i.state = 0 OR (i.state = 1 AND i.claimed_ms < ?)) LIMIT ?`,
          job.id,
          now - CHECK_CLAIM_MS,
          CHECK_BATCH,
        )
        .toArray();
      for (const part of chunks(
        batch.map((b) => b.key_id),
        MAX_IDS_PER_STATEMENT,
      )) {
        this.sql.exec(
          `UPDATE check_items SET state = 1, claimed_ms = ? WHERE job_id = ? AND key_id IN (${placeholders(part.length)})`,
          now,
          job.id,
          ...part,
        );
      }
      // Items whose key was deleted meanwhile are done.
      this.sql.exec(
        "UPDATE check_items SET state = 2, outcome = 'deleted' WHERE job_id = ? AND key_id NOT IN (SELECT id FROM keys)",
        job.id,
      );
    });
    const results = await mapLimit(batch, CHECK_CONCURRENCY, (item) => probeKey(this.env, item.key));
    this.storage.transactionSync(() => {
      batch.forEach((item, i) => this.recordProbe(job.id, item.key_id, results[i]));
      const left = this.sql.exec('SELECT COUNT(*) AS n FROM check_items WHERE job_id = ? AND state != 2', job.id).one().n;
      if (left === 0) this.sql.exec('UPDATE check_jobs SET finished_ms = ? WHERE id = ?', Date.now(), job.id);
    });
    return this.checkStatus();
  }

  recordProbe(jobId, keyId, verdict) {
    const outcome = verdict.outcome;
    this.sql.exec('UPDATE check_items SET state = 2, outcome = ? WHERE job_id = ? AND key_id = ?', outcome, jobId, keyId);
    if (verdict.dead) {
      const n = this.sql.exec(
        'UPDATE keys SET disabled_reason = ?, disabled_ms = ?, last_error = ?, last_error_ms = ? WHERE id = ? AND (disabled_reason IS NULL OR disabled_reason != ?) RETURNING id',
        outcome,
        Date.now(),
        verdict.message || outcome,
        Date.now(),
        keyId,
        outcome,
      ).toArray().length;
      if (n) this.bump();
    } else if (outcome === 'ok' || outcome.startsWith('quota_')) {
      // A key disabled as dead that now answers is alive again; a manual disable stays.
      const n = this.sql.exec(
        "UPDATE keys SET disabled_reason = NULL, disabled_ms = NULL WHERE id = ? AND disabled_reason IS NOT NULL AND disabled_reason != 'manual' RETURNING id",
        keyId,
      ).toArray().length;
      if (n) this.bump();
    }
  }

  // ---- stored Responses API answers (response-store.mjs) -------------------------------
  // `owner` is the digest of the client token the core computed; every call names it.

  async responsePut(owner, write) {
    const now = Date.now();
    const result = this.responses.put(owner, write, now);
    const next = this.responses.nextAlarm(now);
    const current = await this.storage.getAlarm();
    if (next !== null && (current === null || current > next)) await this.storage.setAlarm(next);
    return result;
  }

  responseLoad(owner, ids) {
    return this.responses.load(owner, ids, Date.now());
  }

  responseGet(owner, id) {
    return this.responses.get(owner, id, Date.now());
  }

  responseDelete(owner, id) {
    return this.responses.remove(owner, id);
  }

  responseStats() {
    return this.responses.stats();
  }

  // What the alarm runs; `now` is when to judge expiry.
  responseClean(now = Date.now()) {
    return this.responses.clean(now);
  }

  async alarm() {
    const started = Date.now();
    let status = this.checkStatus();
    // One batch per alarm invocation keeps each within the platform's subrequest limit.
    if (status.running) status = await this.checkStep();
    this.responseClean();
    const next = status.running ? Math.max(Date.now(), started + 500) : this.responses.nextAlarm(Date.now());
    if (next !== null) await this.storage.setAlarm(next);
  }
}

// The per-class summary of a check: what the UI and the API answer show.
export function summarise(outcomes) {
  const byClass = {};
  const summary = { ok: 0, rate_limited: 0, dead: 0, error: 0, by_class: byClass };
  for (const { outcome, n } of outcomes) {
    byClass[outcome] = (byClass[outcome] ?? 0) + n;
    if (outcome === 'ok') summary.ok += n;
    else if (outcome.startsWith('quota_')) summary.rate_limited += n;
    else if (['key_invalid', 'key_leaked', 'key_suspended', 'key_blocked'].includes(outcome)) summary.dead += n;
    else if (outcome !== 'deleted') summary.error += n;
  }
  summary.disabled = summary.dead;
  return summary;
}

async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return results;
}

