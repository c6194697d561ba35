/*
 * fuzz.h - what every fuzz target shares: the libFuzzer entry point's
 * declaration and, without libFuzzer, a replay driver that runs the target
 * over saved inputs (files, or every file of a directory).
 *
 *   make fuzz FUZZ_SECONDS=N        each target under libFuzzer (clang) for N s
 *   build/<flavor>/fuzz/replay-T    the same code under cc, over saved inputs
 *
 * A target defines LLVMFuzzerTestOneInput() and fuzz_cleanup() (to free
 * what it keeps between inputs, so the replay driver's leak check is
 * clean), then includes this file last.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_LIBFUZZER
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kt.h"

/* Run the target over one file; 0, or -1 when it cannot be read. */
static int fuzz_replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct sbuf sb = SBUF_INIT;
	int rc;

	if (!f) {
		perror(path);
		return -1;
	}
	rc = sbuf_read_file(&sb, f);
	fclose(f);
	if (rc == 0)
		LLVMFuzzerTestOneInput((const uint8_t *)sbuf_str(&sb), sb.len);
	else
		perror(path);
	sbuf_release(&sb);
	return rc;
}

/* A directory: its regular files, in name order; anything else: itself. */
static int fuzz_replay_path(const char *path, int *n)
{
	struct dirent **ents;
	struct stat st;
	int bad = 0, k;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		(*n)++;
		return fuzz_replay_file(path) != 0;
	}
	if ((k = scandir(path, &ents, NULL, alphasort)) < 0) {
		perror(path);
		return 1;
	}
	for (int i = 0; i < k; i++) {
		char *p = xasprintf("%s/%s", path, ents[i]->d_name);

		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			(*n)++;
			bad |= fuzz_replay_file(p) != 0;
		}
		free(p);
		free(ents[i]);
	}
	free(ents);
	return bad;
}

int main(int argc, char **argv)
{
	int bad = 0, n = 0;

	for (int i = 1; i < argc; i++)
		bad |= fuzz_replay_path(argv[i], &n);
	fuzz_cleanup();
	printf("replayed %d inputs\n", n);
	return bad ? 2 : 0;
}
#endif

#endif
