/*
 * regression_main.c - replays fuzz corpora without libFuzzer: every file
 * of every directory given on the command line goes through
 * LLVMFuzzerTestOneInput() once, so the normal (and sanitizer) builds run
 * the corpus as a test.  Exit 0 if all inputs ran, 1 on an unreadable input.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	/* An exact-size heap copy so ASan sees any read past the input. */
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int run_dir(const char *dir, unsigned *count)
{
	struct dirent *e;
	char path[4096];
	struct stat st;
	DIR *d = opendir(dir);

	if (!d)
		return run_file(dir) == 0 ? (++*count, 0) : -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) != 0) {
				fprintf(stderr, "regression: cannot read %s\n", path);
				closedir(d);
				return -1;
			}
			++*count;
		}
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned count = 0;

	for (int i = 1; i < argc; i++) {
		if (run_dir(argv[i], &count) != 0) {
			fprintf(stderr, "regression: cannot read %s\n", argv[i]);
			return 1;
		}
	}
	printf("regression: %u inputs ran\n", count);
	return count ? 0 : 1;
}
