/* libFuzzer harness: the ptmalloc2 walk (findings/arena*.c) over a memory
 * image held in a buffer (probe/remote.h ms_remote_open_buf) -- the target's
 * memory is the most hostile input memsleuth reads.  The image starts as a
 * small, valid glibc 2.36 heap laid out by hand (libc's data with
 * main_arena and mp_, a [heap] with tcache, fastbin, unsorted and top
 * chunks; tests/unit/heap_image.h); the fuzzer's input
 * is a list of patches to it, 12 bytes each: a little-endian u32 offset into
 * data+heap and the u64 written there.  So every mutation is a corrupted
 * heap that is still mostly a heap. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "findings/arenas.h"

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size);

#define HEAP_IMAGE_REQUIRE(cond) do { if (!(cond)) abort(); } while (0)
#include "../unit/heap_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
	lay_out();
	for (size_t i = 0; i + 12 <= size; i += 12) {
		uint32_t off;
		uint64_t v;
		memcpy(&off, input + i, 4);
		memcpy(&v, input + i + 4, 8);
		off %= DATA_LEN + HEAP_LEN;
		unsigned char *p = off < DATA_LEN ? data + off : heap + (off - DATA_LEN);
		size_t room = off < DATA_LEN ? DATA_LEN - off : DATA_LEN + HEAP_LEN - off;
		memcpy(p, &v, room < 8 ? room : 8);
	}
	struct ms_remote r;
	static struct ms_libc lc;
	open_image(&r, &lc);
	struct ms_arenas a;
	struct ms_err e;
	struct ms_arenas_opts o = { .no_debuginfo = 1, .retries = 1 };
	if (ms_arenas_collect_image(&r, &lc, &o, &a, &e) == 0)
		ms_arenas_free(&a);
	ms_remote_close(&r);
	return 0;
}
