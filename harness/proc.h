#ifndef ERRATA_PROC_H
#define ERRATA_PROC_H
/*
 * Running a client command under a timeout, with its output captured
 * (stdout and stderr together, capped) and its end told apart: an exit
 * status, a signal, or killed at the timeout.
 */
#include <stddef.h>

/*
 * Output kept: the first PROC_HEAD_MAX bytes and the last PROC_TAIL_MAX,
 * each with PROC_MARGIN more, so that a secret of up to PROC_MARGIN bytes
 * that straddles a cut is whole in what is kept and can be redacted before
 * the margin is cut off (redact_evidence, redact_evidence_tail).
 */
#define PROC_HEAD_MAX (32 * 1024)
#define PROC_TAIL_MAX (32 * 1024)
#define PROC_MARGIN 4096

struct proc_result {
	int exited, exit_code;
	int signaled, signal;
	int timed_out;
	int stopped;             /* ended by the watcher: it had seen enough */
	int spawn_failed;        /* the command could not be started */
	double seconds;
	char *output;            /* the head: NUL-terminated, may hold NULs */
	size_t output_len;
	char *tail;              /* the bytes after the head, at most the tail's
				    bound (NULL when the head held it all) */
	size_t tail_len;
	unsigned long long total;   /* bytes the client wrote */
	int truncated;           /* bytes between head and tail were dropped */
};

/* Run argv (searched in PATH) with the environment plus `env` ("K=V", NULL
 * terminated). Safe in a threaded program (posix_spawn). Whatever the
 * client left running in its process group is killed when it ends, however
 * it ends. Returns 0, or -1 when it could not be started (then
 * spawn_failed is set). */
int proc_run(char *const argv[], char *const env[], double timeout_s, struct proc_result *out);
/* The same, asking watch(arg) about every 100 ms whether it has seen
 * enough: when it returns 1 the client is stopped (and `stopped` set). */
int proc_run_watch(char *const argv[], char *const env[], double timeout_s, int (*watch)(void *),
		   void *arg, struct proc_result *out);
void proc_result_release(struct proc_result *r);

#endif
