// pool-checks.mjs — key checks in the KeyPool object: a job probes keys in batches (from the
// admin request, then from the object's alarm: key-pool.mjs), disables the keys the core
// finds dead and enables again those it finds working, and counts each group for the UI.
import { chunks, placeholders } from './pool-store.mjs';
import { probeKey } from './probe.mjs';

// The per-class summary of a check: the core put each outcome in its group (classify.h).
function summarise(rows) {
  const summary = { ok: 0, rate_limited: 0, dead: 0, error: 0, by_class: {} };
  for (const { outcome, outcome_group: group, n } of rows) {
    summary.by_class[outcome] = (summary.by_class[outcome] ?? 0) + n;
    if (group) summary[group] += n;
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

export const withChecks = (Base) =>
  class extends Base {
    currentJob() {
      return this.sql.exec('SELECT * FROM check_jobs ORDER BY id DESC LIMIT 1').toArray()[0] ?? null;
    }

    checkStatus() {
      const job = this.currentJob();
      if (!job) return { running: false, total: 0, checked: 0, summary: summarise([]), started_ms: null, finished_ms: null };
      const q = 'SELECT outcome, outcome_group, COUNT(*) AS n FROM check_items WHERE job_id = ? AND state = 2 GROUP BY 1, 2';
      const rows = this.sql.exec(q, job.id).toArray();
      return {
        job_id: job.id,
        running: job.finished_ms == null,
        total: job.total,
        checked: rows.reduce((s, r) => s + r.n, 0),
        summary: summarise(rows),
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
        if (ids == null) this.sql.exec('INSERT INTO check_items (job_id, key_id) SELECT ?, id FROM keys', jobId);
        for (const part of ids == null ? [] : chunks(ids)) {
          const q = `INSERT INTO check_items (job_id, key_id) SELECT ?, id FROM keys WHERE id IN (${placeholders(part.length)})`;
          this.sql.exec(q, jobId, ...part);
        }
        const total = this.sql.exec('SELECT COUNT(*) AS n FROM check_items WHERE job_id = ?', jobId).one().n;
        this.sql.exec('UPDATE check_jobs SET total = ?, finished_ms = CASE WHEN ? = 0 THEN ? END WHERE id = ?', total, total, now, jobId);
      });
      if (this.checkStatus().running) await this.storage.setAlarm(Date.now() + this.policy.CHECK_STEP_MS);
      return this.checkStatus();
    }

    // Claims and probes the next batch; returns the job status.
    async checkStep() {
      const job = this.currentJob();
      if (!job || job.finished_ms != null) return this.checkStatus();
      const now = Date.now();
      const batch = this.storage.transactionSync(() => {
        const q = `SELECT i.key_id, k.key FROM check_items i JOIN keys k ON k.id = i.key_id
                   WHERE i.job_id = ? AND (i.state = 0 OR (i.state = 1 AND i.claimed_ms < ?)) LIMIT ?`;
        const claimed = this.sql.exec(q, job.id, now - this.policy.CHECK_CLAIM_MS, this.policy.CHECK_BATCH).toArray();
        // One statement: a batch is within the bound-parameter limit.
        const claim = `UPDATE check_items SET state = 1, claimed_ms = ? WHERE job_id = ? AND key_id IN (${placeholders(claimed.length)})`;
        this.sql.exec(claim, now, job.id, ...claimed.map((b) => b.key_id));
        // Items whose key was deleted meanwhile are done.
        this.sql.exec(
          "UPDATE check_items SET state = 2, outcome = 'deleted' WHERE job_id = ? AND key_id NOT IN (SELECT id FROM keys)",
          job.id,
        );
        return claimed;
      });
      const verdicts = await mapLimit(batch, this.policy.CHECK_CONCURRENCY, (item) => probeKey(this.env, item.key));
      this.change((note) => {
        batch.forEach((item, i) => this.recordProbe(job.id, item.key_id, verdicts[i], note));
        const left = this.sql.exec('SELECT COUNT(*) AS n FROM check_items WHERE job_id = ? AND state != 2', job.id).one().n;
        if (left === 0) this.sql.exec('UPDATE check_jobs SET finished_ms = ? WHERE id = ?', Date.now(), job.id);
      });
      return this.checkStatus();
    }

    // Applies the core's verdict on a probe: a dead key is disabled with its outcome as the
    // reason; a key disabled as dead that works again comes back (a manual disable stays).
    recordProbe(jobId, keyId, verdict, note) {
      const now = Date.now();
      const q = 'UPDATE check_items SET state = 2, outcome = ?, outcome_group = ? WHERE job_id = ? AND key_id = ?';
      this.sql.exec(q, verdict.outcome, verdict.group, jobId, keyId);
      if (verdict.dead) {
        const q = `UPDATE keys SET disabled_reason = ?, disabled_ms = ?, last_error = ?, last_error_ms = ?
                   WHERE id = ? AND (disabled_reason IS NULL OR disabled_reason != ?) RETURNING id`;
        for (const r of this.sql.exec(q, verdict.outcome, now, verdict.message || verdict.outcome, now, keyId, verdict.outcome)) {
          note(`D ${r.id}\n`);
        }
      } else if (verdict.revive) {
        const q = `UPDATE keys SET disabled_reason = NULL, disabled_ms = NULL
                   WHERE id = ? AND disabled_reason IS NOT NULL AND disabled_reason != 'manual' RETURNING id, key`;
        for (const r of this.sql.exec(q, keyId)) note(this.keyLines(r.id, r.key, now), this.sliceId(r.id));
      }
    }
  };
