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

int proc_run(char *const argv[], char *const env[], double timeout_s, struct proc_result *out)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int fds[2], status = 0, rc, open_pipe = 1;
	char **envp = merged_env(env);
	double t0 = now_s(), deadline = t0 + timeout_s;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	out->output = malloc(PROC_OUTPUT_MAX + 1);
	if (!out->output || !envp || pipe2(fds, O_CLOEXEC)) {
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
		out->output_len = (size_t)snprintf(out->output, PROC_OUTPUT_MAX, "cannot run '%s': %s",
						   argv[0], strerror(rc));
		return -1;
	}
	for (;;) {
		double left = deadline - now_s();
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		pid_t w;

		if (left <= 0) {
			kill(-pid, SIGKILL); /* the whole group: the client and what it started */
			waitpid(pid, &status, 0);
			out->timed_out = 1;
			break;
		}
		if (open_pipe && poll(&pfd, 1, (int)(left * 1000 < 100 ? left * 1000 + 1 : 100)) > 0) {
			char buf[4096];
			ssize_t n = read(fds[0], buf, sizeof(buf));

			if (n > 0) {
				size_t keep = out->output_len + (size_t)n > PROC_OUTPUT_MAX ?
					      PROC_OUTPUT_MAX - out->output_len : (size_t)n;

				memcpy(out->output + out->output_len, buf, keep);
				out->output_len += keep;
				out->output[out->output_len] = '\0';
				out->truncated |= keep < (size_t)n;
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

			while (poll(&d, 1, 0) > 0 && (n = read(fds[0], buf, sizeof(buf))) > 0) {
				size_t keep = out->output_len + (size_t)n > PROC_OUTPUT_MAX ?
					      PROC_OUTPUT_MAX - out->output_len : (size_t)n;

				memcpy(out->output + out->output_len, buf, keep);
				out->output_len += keep;
				out->output[out->output_len] = '\0';
			}
			kill(-pid, SIGKILL); /* anything it left running in its group */
			break;
		}
	}
	close(fds[0]);
	out->seconds = now_s() - t0;
	if (!out->timed_out && WIFEXITED(status)) {
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
	memset(r, 0, sizeof(*r));
}
