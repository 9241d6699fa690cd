/* Replays a harness's saved inputs without libFuzzer, as a unit test of
 * `make test`: every file under tests/fuzz/corpus/NAME/ and
 * tests/fuzz/crashes/NAME/ (NAME from -DFUZZ_NAME), or the files and
 * directories given as arguments, is fed to LLVMFuzzerTestOneInput once.
 * The binary is built with ASan+UBSan (abort on the first report), so an
 * input that ever crashed stays a failing test until it is fixed.  Prints
 * the cmocka summary line tests/run-all counts. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX (1u << 20)   /* libFuzzer's -max_len in make fuzz is far below */

static unsigned long replayed;

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	uint8_t *buf = malloc(REPLAY_MAX);
	size_t n = buf ? fread(buf, 1, REPLAY_MAX, f) : 0;
	fclose(f);
	if (!buf)
		return -1;
	/* an exact-size copy, so that ASan sees a read one past the input */
	uint8_t *exact = malloc(n ? n : 1);
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	replayed++;
	return 0;
}

static int replay_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return 0;   /* no crashes directory: nothing to replay */
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort), rc = 0;
	for (int i = 0; i < n; i++) {
		char p[4096];
		if (names[i]->d_name[0] != '.') {
			snprintf(p, sizeof p, "%s/%s", path, names[i]->d_name);
			if (replay_path(p) < 0)
				rc = -1;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			rc |= replay_path(argv[i]);
	} else {
		rc |= replay_path("tests/fuzz/corpus/" FUZZ_NAME);
		rc |= replay_path("tests/fuzz/crashes/" FUZZ_NAME);
	}
	if (rc || !replayed) {
		printf("[  FAILED  ] 1 test, listed below:\n%s: %s\n", FUZZ_NAME,
		       rc ? "an input could not be read" : "no saved inputs (tests/fuzz/corpus/" FUZZ_NAME ")");
		return 1;
	}
	printf("%s: %lu saved inputs replayed\n[  PASSED  ] 1 test.\n", FUZZ_NAME, replayed);
	return 0;
}
