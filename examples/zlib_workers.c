/* The case study's workload in miniature: worker threads inflating zlib
 * streams (the JVM decompressing JAR entries), each in its own glibc arena,
 * keeping some results alive (a class cache) and freeing the rest.  One
 * worker does far more than the others, like the case's tid 16342.
 *
 * zlib's allocations go through zalloc/zfree callbacks that call malloc and
 * free, so the counts are exact: per stream, inflateInit makes 1 malloc
 * (state) and the first inflate 1 more (window); inflateEnd frees both; the
 * worker mallocs the output buffer and frees it unless kept.
 *
 * --evict: at the end each worker evicts its cache but the newest entry
 * (classes unloaded, one still in use): the freed results lie below a live
 * chunk, so the arena cannot shrink -- the case study's pinned free memory.
 *
 * usage: zlib_workers [--threads N] [--rounds N] [--hot-factor N] [--keep-every K]
 *                     [--evict] [--hold] [--step] [--malloc-info FILE]
 * phases: compressed, inflated */
#include <pthread.h>
#include <stdint.h>
#include <zlib.h>
#include "example_common.h"

#define INPUT_BYTES (192 * 1024)

static unsigned char *packed;
static uLong packed_len;
static long rounds = 200, hot_factor = 10, keep_every = 8;
static int evict;

struct worker {
	pthread_t th;
	int       idx;
	long      rounds;
	long      mallocs, frees;  /* counted by the zlib callbacks and the loop */
	void    **kept;
	long      nkept;
};

static voidpf zalloc_cb(voidpf opaque, uInt items, uInt size)
{
	((struct worker *)opaque)->mallocs++;
	return malloc((size_t)items * size);
}

static void zfree_cb(voidpf opaque, voidpf p)
{
	((struct worker *)opaque)->frees++;
	free(p);
}

/* Inflate the packed stream into a buffer whose size varies per round, as
 * JAR entries do, so chunks of many sizes interleave in the arena. */
static void *inflate_one(struct worker *w, long round)
{
	size_t out_len = INPUT_BYTES / 4 + (size_t)((round * 7919 + w->idx * 104729) % (INPUT_BYTES / 2));
	unsigned char *out = malloc(out_len);
	w->mallocs++;
	if (!out)
		return NULL;
	z_stream zs = { 0 };
	zs.zalloc = zalloc_cb;
	zs.zfree = zfree_cb;
	zs.opaque = w;
	if (inflateInit(&zs) != Z_OK) {
		free(out);
		w->frees++;
		return NULL;
	}
	zs.next_in = packed;
	zs.avail_in = (uInt)packed_len;
	zs.next_out = out;
	zs.avail_out = (uInt)out_len;
	inflate(&zs, Z_NO_FLUSH);   /* output is deliberately short: partial inflate */
	inflateEnd(&zs);
	return out;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	char name[16];
	snprintf(name, sizeof name, "inflater-%d", w->idx);
	pthread_setname_np(pthread_self(), name);
	for (long r = 0; r < w->rounds; r++) {
		void *out = inflate_one(w, r);
		if (out && r % keep_every == 0) {
			w->kept[w->nkept++] = out;
		} else {
			free(out);
			w->frees++;
		}
	}
	for (long k = 0; evict && k + 1 < w->nkept; k++) {
		free(w->kept[k]);
		w->frees++;
	}
	if (evict && w->nkept > 1) {
		w->kept[0] = w->kept[w->nkept - 1];
		w->nkept = 1;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long threads = 8;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = ex_num(argv[++i], "threads");
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = ex_num(argv[++i], "rounds");
		else if (!strcmp(argv[i], "--hot-factor") && i + 1 < argc)
			hot_factor = ex_num(argv[++i], "hot-factor");
		else if (!strcmp(argv[i], "--keep-every") && i + 1 < argc)
			keep_every = ex_num(argv[++i], "keep-every");
		else if (!strcmp(argv[i], "--evict"))
			evict = 1;
		else {
			fprintf(stderr, "usage: zlib_workers [--threads N] [--rounds N] [--hot-factor N] [--keep-every K] [--evict] [--hold] [--step] [--malloc-info FILE]\n");
			return 2;
		}
	}
	if (threads < 1 || threads > 1024 || keep_every < 1) {
		fprintf(stderr, "zlib_workers: --threads must be 1..1024, --keep-every >= 1\n");
		return 2;
	}
	/* Compressible input: text-like bytes from a fixed LCG. */
	unsigned char *input = malloc(INPUT_BYTES);
	uint32_t x = 12345;
	for (size_t i = 0; i < INPUT_BYTES; i++) {
		x = x * 1103515245u + 12345u;
		input[i] = (unsigned char)("abcdefghij klmnop\n"[(x >> 16) % 18]);
	}
	packed_len = compressBound(INPUT_BYTES);
	packed = malloc(packed_len);
	compress2(packed, &packed_len, input, INPUT_BYTES, 6);
	free(input);
	ex_phase(&o, "compressed", 0);

	struct worker *w = calloc((size_t)threads, sizeof *w);
	for (long t = 0; t < threads; t++) {
		w[t].idx = (int)t;
		w[t].rounds = t == 0 ? rounds * hot_factor : rounds;
		w[t].kept = calloc((size_t)(w[t].rounds / keep_every + 1), sizeof(void *));
		pthread_create(&w[t].th, NULL, run, &w[t]);
	}
	long total_m = 0, total_f = 0;
	for (long t = 0; t < threads; t++) {
		pthread_join(w[t].th, NULL);
		char line[160];
		snprintf(line, sizeof line, "memsleuth-example: worker=%ld name=inflater-%ld mallocs=%ld frees=%ld kept=%ld\n",
			 t, t, w[t].mallocs, w[t].frees, w[t].nkept);
		ex_say(line);
		total_m += w[t].mallocs;
		total_f += w[t].frees;
	}
	char line[120];
	snprintf(line, sizeof line, "memsleuth-example: total mallocs=%ld frees=%ld\n", total_m, total_f);
	ex_say(line);
	ex_phase(&o, "inflated", 1);
	return 0;
}
