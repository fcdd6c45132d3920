/*
 * posix_spawn, a pipe and poll: the client runs in its own process group so
 * that a timeout can kill everything it started.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

extern char **environ;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The environment with `extra` overriding names it repeats. */
static char **merged_env(char *const extra[])
{
	size_t n = 0, k = 0, i, j;
	char **envp;

	while (environ[n])
		n++;
	while (extra[k])
		k++;
	envp = calloc(n + k + 1, sizeof(char *));
	if (!envp)
		return NULL;
	for (i = 0, j = 0; i < n; i++) {
		size_t len = strcspn(environ[i], "="), x;

		for (x = 0; x < k; x++)
			if (!strncmp(extra[x], environ[i], len) && extra[x][len] == '=')
				break;
		if (x == k)
			envp[j++] = environ[i];
	}
	for (i = 0; i < k; i++)
		envp[j++] = extra[i];
	return envp;
}

#define HEAD_CAP (PROC_HEAD_MAX + PROC_MARGIN)
#define TAIL_CAP (PROC_TAIL_MAX + PROC_MARGIN)

/* Keep n more bytes: the head fills first, then a ring of the last TAIL_CAP. */
static void capture(struct proc_result *out, const char *buf, size_t n, size_t *ring_pos)
{
	size_t take = out->output_len < HEAD_CAP ? HEAD_CAP - out->output_len : 0;

	if (take > n)
		take = n;
	memcpy(out->output + out->output_len, buf, take);
	out->output_len += take;
	out->output[out->output_len] = '\0';
	out->total += n;
	for (buf += take, n -= take; n; ) {
		size_t k = TAIL_CAP - *ring_pos < n ? TAIL_CAP - *ring_pos : n;

		memcpy(out->tail + *ring_pos, buf, k);
		*ring_pos = (*ring_pos + k) % TAIL_CAP;
		if (out->tail_len < TAIL_CAP)
			out->tail_len = out->tail_len + k > TAIL_CAP ? TAIL_CAP : out->tail_len + k;
		buf += k;
		n -= k;
	}
}

/* The ring in order, NUL-terminated; truncated when bytes were dropped. */
static void finish_capture(struct proc_result *out, size_t ring_pos)
{
	char *lin;

	out->truncated = out->total > (unsigned long long)(out->output_len + out->tail_len);
	if (!out->tail_len) {
		free(out->tail);
		out->tail = NULL;
		return;
	}
	lin = malloc(out->tail_len + 1);
	if (!lin) {
		out->tail_len = 0;
		return;
	}
	if (out->tail_len < TAIL_CAP) {
		memcpy(lin, out->tail, out->tail_len);
	} else {
		memcpy(lin, out->tail + ring_pos, TAIL_CAP - ring_pos);
		memcpy(lin + TAIL_CAP - ring_pos, out->tail, ring_pos);
	}
	lin[out->tail_len] = '\0';
	free(out->tail);
	out->tail = lin;
}

int proc_run(char *const argv[], char *const env[], double timeout_s, struct proc_result *out)
{
	return proc_run_watch(argv, env, timeout_s, NULL, NULL, out);
}

int proc_run_watch(char *const argv[], char *const env[], double timeout_s, int (*watch)(void *),
		   void *arg, struct proc_result *out)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int fds[2], status = 0, rc, open_pipe = 1;
	char **envp = merged_env(env);
	double t0 = now_s(), deadline = t0 + timeout_s;
	pid_t pid;
	size_t ring_pos = 0;

	memset(out, 0, sizeof(*out));
	out->output = malloc(HEAD_CAP + 1);
	out->tail = malloc(TAIL_CAP);
	if (!out->output || !out->tail || !envp || pipe2(fds, O_CLOEXEC)) {
		free(envp);
		out->spawn_failed = 1;
		return -1;
	}
	out->output[0] = '\0';
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(envp);
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		out->spawn_failed = 1;
		out->output_len = (size_t)snprintf(out->output, HEAD_CAP, "cannot run '%s': %s",
						   argv[0], strerror(rc));
		return -1;
	}
	for (;;) {
		double left = deadline - now_s();
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		pid_t w;

		if (left <= 0 || (watch && watch(arg))) {
			kill(-pid, SIGKILL); /* the whole group: the client and what it started */
			waitpid(pid, &status, 0);
			*(left <= 0 ? &out->timed_out : &out->stopped) = 1;
			break;
		}
		if (open_pipe && poll(&pfd, 1, (int)(left * 1000 < 100 ? left * 1000 + 1 : 100)) > 0) {
			char buf[4096];
			ssize_t n = read(fds[0], buf, sizeof(buf));

			if (n > 0) {
				capture(out, buf, (size_t)n, &ring_pos);
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				open_pipe = 0;
			}
			continue;
		}
		if (!open_pipe) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };

			nanosleep(&ts, NULL); /* output closed; the process may still be running */
		}
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid && !open_pipe)
			break;
		if (w == pid) {
			/* exited: drain what is left in the pipe without blocking */
			struct pollfd d = { fds[0], POLLIN, 0 };
			char buf[4096];
			ssize_t n;

			while (poll(&d, 1, 0) > 0 && (n = read(fds[0], buf, sizeof(buf))) > 0)
				capture(out, buf, (size_t)n, &ring_pos);
			break;
		}
	}
	kill(-pid, SIGKILL); /* on every path: anything it left running in its group */
	close(fds[0]);
	finish_capture(out, ring_pos);
	out->seconds = now_s() - t0;
	if (out->stopped) {
		/* ended by the watcher, having shown what was to be seen */
	} else if (!out->timed_out && WIFEXITED(status)) {
		out->exited = 1;
		out->exit_code = WEXITSTATUS(status);
	} else if (!out->timed_out && WIFSIGNALED(status)) {
		out->signaled = 1;
		out->signal = WTERMSIG(status);
	}
	return 0;
}

void proc_result_release(struct proc_result *r)
{
	free(r->output);
	free(r->tail);
	memset(r, 0, sizeof(*r));
}
