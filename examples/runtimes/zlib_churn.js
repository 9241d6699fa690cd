// Node: many concurrent zlib.deflate() calls churn zlib state through
// glibc malloc on the main thread and libuv's pool threads; the JS side
// keeps almost nothing.  The freed memory stays in glibc's *main* heap
// (malloc_trim returns it); the pool threads' arenas hold little, so an
// arena cap is no fix.  ROUNDS, CONCURRENT from the environment.
// usage: node --expose-gc zlib_churn.js
'use strict';
const zlib = require('zlib');
const ROUNDS = +(process.env.ROUNDS || 6);
const CONCURRENT = +(process.env.CONCURRENT || 3000);
const payload = Buffer.alloc(16 * 1024);
let s = 12345;
for (let i = 0; i < payload.length; i++) { s = (s * 1103515245 + 12345) & 0x7fffffff; payload[i] = (s >> 16) & 0x3f; }
const keep = [];
function round() {
  return new Promise((resolve) => {
    let left = CONCURRENT;
    for (let i = 0; i < CONCURRENT; i++) {
      zlib.deflate(payload, (err, out) => {
        if (err) throw err;
        if (i % 1000 === 0) keep.push(out);
        if (--left === 0) resolve();
      });
    }
  });
}
(async () => {
  for (let r = 0; r < ROUNDS; r++) await round();
  for (let i = 0; i < 3; i++) { if (global.gc) global.gc(); await new Promise((r) => setTimeout(r, 100)); }
  console.log(`memsleuth-example: pid=${process.pid} phase=churned kept=${keep.length} holding`);
  setInterval(() => {}, 1 << 30);
})();
