/* The ELF core image (probe/core.h) on small cores written here: notes
 * (NT_PRPSINFO, NT_PRSTATUS, NT_AUXV, NT_FILE) read into the threads and
 * the mappings, reads through PT_LOAD, holes as residency; then every
 * prefix of the core and thousands of corrupted copies, read under
 * ASan/UBSan: a clear error or a partial image, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/core.h"
#include "probe/resmap.h"
#include "probe/tasks.h"
#include "records/maps.h"

#define STACK 0x10000ull
#define LIBC  0x7f0000000000ull
#define NOTES_OFF 0x200
#define SEG1_OFF  0x1000   /* 2 pages of stack */
#define SEG2_OFF  0x3000   /* libc's first page */
#define CORE_LEN  0x4000

static unsigned char img[CORE_LEN];
static char dir[64], path[96];

static size_t note(unsigned char *p, const char *name, uint32_t type, const void *desc, uint32_t dsz)
{
	uint32_t nsz = (uint32_t)strlen(name) + 1, h[3] = { nsz, dsz, type };
	size_t off = 0;
	memcpy(p, h, 12);
	off = 12;
	memcpy(p + off, name, nsz);
	off += (nsz + 3) & ~3u;
	memcpy(p + off, desc, dsz);
	off += (dsz + 3) & ~3u;
	return off;
}

static void phdr(int i, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr, uint64_t filesz,
		 uint64_t memsz)
{
	Elf64_Phdr ph = { .p_type = type, .p_flags = flags, .p_offset = off, .p_vaddr = vaddr,
			  .p_filesz = filesz, .p_memsz = memsz, .p_align = type == PT_LOAD ? 4096 : 4 };
	memcpy(img + 64 + (size_t)i * sizeof ph, &ph, sizeof ph);
}

static void build(void)
{
	memset(img, 0, sizeof img);
	Elf64_Ehdr eh = { .e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_phoff = 64, .e_ehsize = sizeof eh, .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 3 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(img, &eh, sizeof eh);
	unsigned char *n = img + NOTES_OFF;
	size_t len = 0;
	unsigned char ps[136] = { 0 };
	int32_t pid = 4242;
	memcpy(ps + 24, &pid, 4);
	memcpy(ps + 40, "heapy", 6);
	memcpy(ps + 56, "heapy --hold", 13);
	len += note(n + len, "CORE", NT_PRPSINFO, ps, sizeof ps);
	unsigned char st[336] = { 0 };
	uint64_t rsp = STACK + 0x1800, fs = STACK + 0x1f00;
	memcpy(st + 32, &pid, 4);
	memcpy(st + 112 + 19 * 8, &rsp, 8);
	memcpy(st + 112 + 21 * 8, &fs, 8);
	len += note(n + len, "CORE", NT_PRSTATUS, st, sizeof st);
	uint64_t aux[] = { AT_PAGESZ, 4096, AT_ENTRY, LIBC + 0x100, AT_NULL, 0 };
	len += note(n + len, "CORE", NT_AUXV, aux, sizeof aux);
	unsigned char f[16 + 24 + 16] = { 0 };
	uint64_t fv[5] = { 1, 4096, LIBC, LIBC + 0x1000, 0 };
	memcpy(f, fv, sizeof fv);
	memcpy(f + 40, "/lib/libc.so.6", 15);
	len += note(n + len, "CORE", 0x46494c45, f, sizeof f);
	phdr(0, PT_NOTE, 0, NOTES_OFF, 0, len, 0);
	phdr(1, PT_LOAD, PF_R | PF_W, SEG1_OFF, STACK, 0x2000, 0x2000);
	phdr(2, PT_LOAD, PF_R, SEG2_OFF, LIBC, 0x1000, 0x1000);
	memset(img + SEG1_OFF, 0xab, 0x2000);
	memcpy(img + SEG2_OFF, ELFMAG, SELFMAG);
}

/* Write len bytes of img; with a hole where the stack's second page is. */
static void put(size_t len, int hole)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	if (hole && len > SEG1_OFF + 0x2000) {
		assert_int_equal(pwrite(fd, img, SEG1_OFF + 0x1000, 0), SEG1_OFF + 0x1000);
		assert_int_equal(pwrite(fd, img + SEG2_OFF, len - SEG2_OFF, SEG2_OFF), (ssize_t)(len - SEG2_OFF));
	} else if (len) {
		assert_int_equal(pwrite(fd, img, len, 0), (ssize_t)len);
	}
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "%s/ms-core-test.XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/core", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void whole_core(void **state)
{
	(void)state;
	build();
	put(CORE_LEN, 0);
	struct ms_remote r;
	struct ms_err e = { 0 };
	assert_int_equal(ms_core_open(&r, path, &e), 0);
	const struct ms_core_info *ci = ms_core_info(&r);
	assert_non_null(ci);
	assert_int_equal(ci->pid, 4242);
	assert_string_equal(ci->fname, "heapy");
	assert_int_equal(ci->threads, 1);
	assert_int_equal(ci->missing_ranges, 0);
	assert_int_equal(r.residency, MS_RES_UNKNOWN);   /* no holes: unknown */
	struct ms_threads th;
	assert_int_equal(ms_remote_threads(&r, 10, &th), 0);
	assert_int_equal(th.n, 1);
	assert_int_equal(th.v[0].tid, 4242);
	assert_int_equal(th.v[0].sp, STACK + 0x1800);
	assert_int_equal(th.v[0].fs_base, STACK + 0x1f00);
	ms_threads_free(&th);
	struct ms_maps m;
	assert_int_equal(ms_remote_maps(&r, &m, &e), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.v[0].path, "[stack]");
	assert_string_equal(m.v[0].perms, "rw-p");
	assert_string_equal(m.v[1].path, "/lib/libc.so.6");
	assert_string_equal(ms_core_file_at(&r, LIBC + 0x10), "/lib/libc.so.6");
	ms_maps_free(&m);
	unsigned char b[8];
	assert_int_equal(ms_remote_read(&r, STACK + 0x1ffc, b, 8), 4);   /* ends with the segment */
	assert_int_equal(b[0], 0xab);
	assert_int_equal(ms_remote_read_exact(&r, LIBC, b, 4), 0);
	assert_memory_equal(b, ELFMAG, 4);
	assert_int_equal(ms_remote_read(&r, 0x5000, b, 8), 0);
	ms_remote_close(&r);
}

/* [heap] put back on a core's anonymous mappings: the first read-write
 * one above the executable (here AT_ENTRY's libc) that does not touch
 * it, and those adjacent after it -- a forked child's brk heap is two
 * VMAs -- but not one past a gap. */
static void heap_labels(void **state)
{
	(void)state;
	build();
	uint16_t phnum = 6;
	memcpy(img + offsetof(Elf64_Ehdr, e_phnum), &phnum, 2);
	phdr(3, PT_LOAD, PF_R | PF_W, CORE_LEN, LIBC + 0x3000, 0, 0x1000);   /* inherited part */
	phdr(4, PT_LOAD, PF_R | PF_W, CORE_LEN, LIBC + 0x4000, 0, 0x2000);   /* the child's growth */
	phdr(5, PT_LOAD, PF_R | PF_W, CORE_LEN, LIBC + 0x8000, 0, 0x1000);   /* past a gap */
	put(CORE_LEN, 0);
	struct ms_remote r;
	struct ms_err e = { 0 };
	assert_int_equal(ms_core_open(&r, path, &e), 0);
	struct ms_maps m;
	assert_int_equal(ms_remote_maps(&r, &m, &e), 0);
	assert_int_equal(m.n, 5);
	assert_int_equal(m.v[2].start, LIBC + 0x3000);
	assert_string_equal(m.v[2].path, "[heap]");
	assert_string_equal(m.v[3].path, "[heap]");
	assert_int_equal(m.v[4].start, LIBC + 0x8000);
	assert_string_equal(m.v[4].path, "");
	ms_maps_free(&m);
	ms_remote_close(&r);
}

static void holes_and_cut(void **state)
{
	(void)state;
	build();
	put(CORE_LEN, 1);
	struct ms_remote r;
	struct ms_err e = { 0 };
	assert_int_equal(ms_core_open(&r, path, &e), 0);
	if (!ms_core_info(&r)->sparse) {
		ms_remote_close(&r);
		skip();   /* a file system without holes */
	}
	assert_int_equal(r.residency, MS_RES_CORE_HOLES);
	struct ms_resmap m = { 0 };
	assert_int_equal(ms_resmap_add(&m, &r, STACK, STACK + 0x2000), 0);
	ms_resmap_sort(&m);
	assert_int_equal(ms_resmap_resident(&m, STACK, STACK + 0x2000), 0x1000);
	ms_resmap_free(&m);
	ms_remote_close(&r);
	/* cut in the stack's second page */
	put(SEG1_OFF + 0x1800, 0);
	assert_int_equal(ms_core_open(&r, path, &e), 0);
	const struct ms_core_info *ci = ms_core_info(&r);
	assert_int_equal(ci->missing_ranges, 2);
	assert_int_equal(ci->missing[0].start, STACK + 0x800 + 0x1000);
	char text[512];
	ms_core_missing_text(ci, text, sizeof text);
	assert_non_null(strstr(text, "not in the core (cut: the file ends early): 0x11800-0x12000, 0x7f0000000000-0x7f0000001000"));
	unsigned char b[8];
	assert_int_equal(ms_remote_read(&r, STACK + 0x17fc, b, 8), 4);
	ms_remote_close(&r);
}

/* Whatever the core says, reading it ends: an error, or an image whose
 * every question has an answer. */
static void survive(void)
{
	struct ms_remote r;
	struct ms_err e = { 0 };
	if (ms_core_open(&r, path, &e) < 0) {
		assert_true(e.msg[0] != 0);
		return;
	}
	struct ms_maps m;
	if (ms_remote_maps(&r, &m, &e) == 0)
		ms_maps_free(&m);
	struct ms_threads th;
	if (ms_remote_threads(&r, 100, &th) == 0)
		ms_threads_free(&th);
	char text[512];
	ms_core_missing_text(ms_core_info(&r), text, sizeof text);
	unsigned char b[64];
	(void)ms_remote_read(&r, STACK, b, sizeof b);
	(void)ms_remote_read(&r, LIBC, b, sizeof b);
	struct ms_resmap rm = { 0 };
	(void)ms_resmap_add(&rm, &r, 0, 0x20000);
	ms_resmap_free(&rm);
	ms_remote_close(&r);
}

static void every_prefix(void **state)
{
	(void)state;
	build();
	for (size_t len = 0; len <= CORE_LEN; len += len < SEG1_OFF ? 3 : 256) {
		put(len, 0);
		survive();
	}
}

static void corrupted(void **state)
{
	(void)state;
	uint64_t x = 88172645463325252ull;   /* xorshift: the same run every time */
	for (int i = 0; i < 3000; i++) {
		build();
		for (int k = 0; k < 4; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			size_t at = (size_t)(x % SEG1_OFF);     /* headers and notes */
			img[at] = (unsigned char)(x >> 24);
		}
		put(CORE_LEN, 0);
		survive();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole_core),
		cmocka_unit_test(heap_labels),
		cmocka_unit_test(holes_and_cut),
		cmocka_unit_test(every_prefix),
		cmocka_unit_test(corrupted),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
