#ifndef ERRATA_TIMER_H
#define ERRATA_TIMER_H
/*
 * One thread that runs callbacks at deadlines: resuming a suspended
 * connection after a delay, pacing a dribble, ending a hang. Nothing that
 * waits ever holds one of the mock's worker threads.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*timer_fn)(void *arg);

struct timer_event {
	int64_t due_us;     /* CLOCK_MONOTONIC microseconds */
	timer_fn fn;
	void *arg;
};

struct timer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct timer_event *heap;
	size_t nr, alloc;
	int stopping, started;
};

int64_t timer_now_us(void);

int timer_start(struct timer *t);

/* Run fn(arg) at due_us (now or later). -1 when it cannot be queued. */
int timer_add(struct timer *t, int64_t due_us, timer_fn fn, void *arg);

/* Run every pending event at once (so suspended connections resume), then
 * stop the thread. Events added meanwhile also run. */
void timer_stop(struct timer *t);

#endif
