// pool-slices.mjs — what the KeyPool object sends isolates (the lines of
// cpp/include/balancer/pool.h). Each isolate holds a slice: SLICE_KEYS enabled keys, a range
// of ids handed out in turn, so that isolates together sweep the whole pool while each one
// holds little; once it has used them it asks for the next. It is kept current from the
// object's recent changes, held in memory in version order, so an isolate at version v is
// sent what changed since v in its slice in time proportional to that, not to the pool. The
// log is bounded: an isolate further behind than it reaches (or whose object was evicted,
// which empties it) gets a snapshot of its slice instead. The sizes (SLICE_KEYS, the log's
// CHANGES_MAX_ENTRIES and CHANGES_MAX_CHARS, PULL_CHANGES_MAX_CHARS for one pull,
// SNAPSHOT_AFFINITY_MAX_BYTES) are the core's policies (BAL_POLICIES).

export class ChangeLog {
  // The log starts empty at `version`: it can serve isolates at `version` or later.
  constructor(version, policy) {
    this.policy = policy;
    this.floor = version;
    this.entries = []; // { version, id, lines }; from index `head` on
    this.head = 0;
    this.chars = 0;
  }

  // Lines that happened at `version`. `id` names the key they are about when only isolates
  // whose slice holds it need them (0: every isolate).
  add(version, id, lines) {
    this.entries.push({ version, id, lines });
    this.chars += lines.length;
    const { CHANGES_MAX_ENTRIES, CHANGES_MAX_CHARS } = this.policy;
    while (this.entries.length - this.head > CHANGES_MAX_ENTRIES || this.chars > CHANGES_MAX_CHARS) {
      const dropped = this.entries[this.head++];
      this.chars -= dropped.lines.length;
      this.floor = dropped.version;
    }
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }

  // The lines after version `since` an isolate with `slice` needs, or null when the log does
  // not reach back that far or they would come to more than `maxChars`.
  since(since, slice, maxChars) {
    if (since < this.floor) return null;
    let lo = this.head;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].version <= since) lo = mid + 1;
      else hi = mid;
    }
    let out = '';
    for (let i = lo; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e.id && !inSlice(slice, e.id)) continue;
      out += e.lines;
      if (out.length > maxChars) return null;
    }
    return out;
  }
}

// pool.h's slice: ids lo <= id < hi, wrapping round when lo >= hi.
function inSlice({ lo, hi }, id) {
  return lo < hi ? id >= lo && id < hi : id >= lo || id < hi;
}

// The SQL condition (on column `col`) and arguments for pool.h's slice.
function sliceWhere({ lo, hi }, col) {
  if (lo === hi) return ['1', []];
  return lo < hi ? [`${col} >= ? AND ${col} < ?`, [lo, hi]] : [`(${col} >= ? OR ${col} < ?)`, [lo, hi]];
}

export const withSlices = (Base) =>
  class extends Base {
    // What an isolate at version `since` holding `slice` needs: nothing, the changes since, or a
    // slice (on its first start, when it is too far behind, or when it asks for the next one,
    // having used its keys); and as `key`, the P line of key `want` (a request must use it,
    // outside the slice). Its cost follows what is sent, not the size of the pool.
    pull(since = -1, slice = null, next = false, want = 0) {
      const r = this.catchUp(since, slice, next);
      const k = want ? this.sql.exec('SELECT key, disabled_reason AS off FROM keys WHERE id = ?', want).toArray()[0] : null;
      return k ? { ...r, key: `P ${want} ${k.key} ${k.off ? 'd' : 'a'}\n` } : r;
    }

    catchUp(since, slice, next) {
      const version = this.version;
      const known = slice !== null && since <= version;
      if (known && !next) {
        if (since === version) return { version };
        const changes = this.log.since(since, slice, this.policy.PULL_CHANGES_MAX_CHARS);
        if (changes !== null) return { version, changes };
      }
      const now = Date.now();
      const fresh = known && !next ? this.sliceAt(now, slice.lo, slice) : this.sliceAt(now, this.cursor);
      if (!known || next) this.cursor = fresh.slice.lo === fresh.slice.hi ? 0 : fresh.slice.hi;
      const changes = known ? this.log.since(since, fresh.slice, this.policy.PULL_CHANGES_MAX_CHARS) : null;
      if (changes !== null) return { version, slice: fresh.slice, changes: changes + fresh.lines };
      return { version, slice: fresh.slice, snapshot: `T ${this.total}\n${fresh.lines}${this.affinityLines()}` };
    }

    // The enabled keys of `slice`, in id order (at most `limit`).
    keysIn({ lo, hi }, limit) {
      const q = 'SELECT id, key FROM keys WHERE id >= ? AND id < ? AND disabled_reason IS NULL ORDER BY id LIMIT ?';
      const rows = this.sql.exec(q, lo, lo < hi ? hi : Number.MAX_SAFE_INTEGER, limit).toArray();
      if (lo >= hi && rows.length < limit) rows.push(...this.sql.exec(q, 0, hi, limit - rows.length).toArray());
      return rows;
    }

    // A slice with its keys and their cooldowns: `range` again when it still holds a fair share,
    // else the next SLICE_KEYS enabled keys from id `start` on (wrapping round; every key when
    // the pool has fewer).
    sliceAt(now, start, range = null) {
      const { SLICE_KEYS } = this.policy;
      let slice = range;
      let rows = range && this.keysIn(range, 2 * SLICE_KEYS + 1);
      if (!rows || rows.length > 2 * SLICE_KEYS) {
        rows = this.keysIn({ lo: start, hi: start }, SLICE_KEYS);
        slice = rows.length < SLICE_KEYS ? { lo: 0, hi: 0 } : { lo: start, hi: rows.at(-1).id + 1 };
      }
      let lines = `W ${slice.lo} ${slice.hi}\n`;
      for (const r of rows) lines += `K ${r.id} ${r.key} a\n`;
      const [where, args] = sliceWhere(slice, 'c.key_id');
      for (const c of this.sql.exec(
        `SELECT c.key_id, c.model, c.until_ms FROM cooldowns c JOIN keys k ON k.id = c.key_id
         WHERE c.until_ms > ? AND k.disabled_reason IS NULL AND ${where}`,
        now,
        ...args,
      )) {
        lines += `C ${c.key_id} ${c.model} ${c.until_ms}\n`;
      }
      return { slice, lines };
    }

    // The affinities, newest first up to SNAPSHOT_AFFINITY_MAX_BYTES, and each key they name
    // with its state first.
    affinityLines() {
      const keys = new Map();
      let names = '';
      const q = `SELECT a.key_id, a.resource, k.key, k.disabled_reason AS off FROM affinity a
                 JOIN keys k ON k.id = a.key_id ORDER BY a.created_ms DESC`;
      for (const r of this.sql.exec(q)) {
        const line = `A ${r.key_id} ${r.resource}\n`;
        if (names.length + line.length > this.policy.SNAPSHOT_AFFINITY_MAX_BYTES) break;
        names += line;
        if (!keys.has(r.key_id)) keys.set(r.key_id, `P ${r.key_id} ${r.key} ${r.off ? 'd' : 'a'}\n`);
      }
      return [...keys.values()].join('') + names;
    }
  };
