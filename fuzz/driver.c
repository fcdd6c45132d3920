/*
 * Runs a fuzz target over files without libFuzzer, so the committed corpus
 * and every crash's regression input run in `make test` and, under the
 * sanitizers, in `make check`. Arguments: files or folders. Prints TAP.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f)
		return -1;
	buf = malloc(1 << 22);
	if (!buf) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, 1 << 22, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int i, t = 0, bad = 0;

	printf("TAP version 13\n");
	for (i = 1; i < argc; i++) {
		struct stat st;
		struct dirent **names;
		int n, k, ran = 0;

		if (stat(argv[i], &st)) {
			printf("not ok %d - %s: missing\n", ++t, argv[i]);
			bad++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			printf("%s %d - %s\n", run_file(argv[i]) ? "not ok" : "ok", ++t, argv[i]);
			continue;
		}
		n = scandir(argv[i], &names, NULL, alphasort);
		for (k = 0; k < n; k++) {
			char path[4096];

			if (names[k]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);
				if (!run_file(path))
					ran++;
			}
			free(names[k]);
		}
		if (n >= 0)
			free(names);
		printf("%s %d - %s: %d inputs, no crash, every property held\n", ran ? "ok" : "not ok", ++t, argv[i], ran);
		bad += !ran;
	}
	printf("1..%d\n", t);
	return bad ? 1 : 0;
}
