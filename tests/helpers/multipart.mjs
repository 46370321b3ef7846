// multipart/form-data bodies for tests, seeds and benchmarks, and incompressible file bytes.

// The body of `parts` ({ name, filename?, type?, data: string or bytes }) with `boundary`.
export function multipartBody(boundary, parts) {
  const chunks = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(p.data ?? ''), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

// `size` bytes that compress to nothing and repeat nowhere (xorshift from `seed`), behind a
// file's magic bytes `head`.
export function noise(size, head, seed = 0x9e3779b9) {
  const b = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  head.copy(b, 0);
  return b;
}
