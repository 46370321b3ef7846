// provider.mjs — libFuzzer's FuzzedDataProvider (clang 14) in JavaScript, both ways.
//
// The fuzz targets in cpp/fuzz/ read their input with FuzzedDataProvider: strings and bodies
// from the front, numbers from the back. `Provider` reads a corpus file exactly as the C++
// target does (so the Wasm replay drives the same calls), and `Writer` builds a file that the
// C++ target will read back as the given values (so seeds can be made from the fixtures).

// Bytes the provider reads for a number in [min, max]: one per 8 bits of the range.
function widthOf(range) {
  let n = 0;
  while (n < 8 && range >> BigInt(8 * n) > 0n) n++;
  return n;
}

export class Provider {
  constructor(bytes) {
    this.data = bytes;
    this.front = 0;
    this.remaining = bytes.length;
  }

  // ConsumeIntegralInRange: big-endian from the last byte backwards, then modulo the range.
  int(min, max) {
    const lo = BigInt(min);
    const range = BigInt(max) - lo;
    let result = 0n;
    for (let i = 0, n = widthOf(range); i < n && this.remaining > 0; i++) {
      this.remaining--;
      result = (result << 8n) | BigInt(this.data[this.front + this.remaining]);
    }
    return Number(lo + (result % (range + 1n)));
  }

  u8() {
    return this.int(0, 255);
  }

  u32() {
    return this.int(0, 0xffffffff);
  }

  // ConsumeIntegral<uint64_t>, as a BigInt (a Number would lose the low bits).
  u64() {
    let result = 0n;
    for (let i = 0; i < 8 && this.remaining > 0; i++) {
      this.remaining--;
      result = (result << 8n) | BigInt(this.data[this.front + this.remaining]);
    }
    return result;
  }

  bool() {
    return (this.u8() & 1) === 1;
  }

  pick(list) {
    return list[this.int(0, list.length - 1)];
  }

  bytes(n) {
    const take = Math.min(n, this.remaining);
    const out = this.data.subarray(this.front, this.front + take);
    this.front += take;
    this.remaining -= take;
    return out;
  }

  // ConsumeRandomLengthString: "\\" is a backslash, "\" and any other byte ends the string.
  randomString(maxLength) {
    const out = [];
    while (out.length < maxLength && this.remaining > 0) {
      let c = this.data[this.front];
      this.front++;
      this.remaining--;
      if (c === 0x5c && this.remaining > 0) {
        c = this.data[this.front];
        this.front++;
        this.remaining--;
        if (c !== 0x5c) break;
      }
      out.push(c);
    }
    return Uint8Array.from(out);
  }

  rest() {
    return this.bytes(this.remaining);
  }
}

const encoder = new TextEncoder();
const asBytes = (v) => (typeof v === 'string' ? encoder.encode(v) : v);

// Writes values in the order the target consumes them; build() lays the numbers out backwards.
export class Writer {
  constructor() {
    this.front = [];
    this.back = []; // bytes in the order the provider will read them
  }

  int(value, min, max) {
    if (value < min || value > max) throw new RangeError(`${value} is outside [${min}, ${max}]`);
    const r = BigInt(value) - BigInt(min);
    const n = widthOf(BigInt(max) - BigInt(min));
    for (let i = n - 1; i >= 0; i--) this.back.push(Number((r >> BigInt(8 * i)) & 0xffn));
    return this;
  }

  u8(v) {
    return this.int(v, 0, 255);
  }

  u32(v) {
    return this.int(v, 0, 0xffffffff);
  }

  u64(v) {
    for (let i = 7; i >= 0; i--) this.back.push(Number((BigInt(v) >> BigInt(8 * i)) & 0xffn));
    return this;
  }

  bool(v) {
    return this.u8(v ? 1 : 0);
  }

  pick(list, value) {
    const i = list.indexOf(value);
    if (i < 0) throw new RangeError(`${value} is not in the list`);
    return this.int(i, 0, list.length - 1);
  }

  bytes(v) {
    this.front.push(...asBytes(v));
    return this;
  }

  randomString(v, maxLength) {
    const b = asBytes(v);
    if (b.length > maxLength) throw new RangeError(`string of ${b.length} bytes, at most ${maxLength}`);
    for (const c of b) {
      this.front.push(c);
      if (c === 0x5c) this.front.push(c);
    }
    // A lone backslash then any other byte ends the string (only needed before more input).
    this.front.push(0x5c, 0x20);
    return this;
  }

  build() {
    return Uint8Array.from([...this.front, ...this.back.slice().reverse()]);
  }
}
