/* libFuzzer harness: the hook's log as `memsleuth hotspots --from DIR`
 * reads it (records/hotlog_read.c through findings/hotspots.c), from a
 * file in a private directory; then the sorted views the report makes. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "findings/hotspots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], file[300];

static void cleanup(void)
{
	unlink(file);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/memsleuth-fuzz-hotlog.%d.XXXXXX", tmp && *tmp ? tmp : "/tmp",
			 (int)getpid());
		if (!mkdtemp(dir))
			abort();
		snprintf(file, sizeof file, "%s/proc-1-0.msl", dir);
		atexit(cleanup);
	}
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	struct ms_hotspots h;
	struct ms_err e;
	memset(&h, 0, sizeof h);
	if (ms_hotspots_load_query(dir, NULL, &h, &e) == 0) {
		free(ms_hotspots_sites_sorted(&h, 0));
		free(ms_hotspots_threads_sorted(&h));
	}
	ms_hotspots_free(&h);
	return 0;
}
