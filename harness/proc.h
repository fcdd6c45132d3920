#ifndef ERRATA_PROC_H
#define ERRATA_PROC_H
/*
 * Running a client command under a timeout, with its output captured
 * (stdout and stderr together, capped) and its end told apart: an exit
 * status, a signal, or killed at the timeout.
 */
#include <stddef.h>

#define PROC_OUTPUT_MAX 65536

struct proc_result {
	int exited, exit_code;
	int signaled, signal;
	int timed_out;
	int spawn_failed;        /* the command could not be started */
	double seconds;
	char *output;            /* NUL-terminated, at most PROC_OUTPUT_MAX bytes kept */
	size_t output_len;
	int truncated;
};

/* Run argv (searched in PATH) with the environment plus `env` ("K=V", NULL
 * terminated). Safe in a threaded program (posix_spawn). Returns 0, or -1
 * when it could not be started (then spawn_failed is set). */
int proc_run(char *const argv[], char *const env[], double timeout_s, struct proc_result *out);
void proc_result_release(struct proc_result *r);

#endif
