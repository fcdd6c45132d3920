/*
 * A binary min-heap of deadlines and a thread that sleeps on a condition
 * variable until the earliest one.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timer.h"

int64_t timer_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void swap(struct timer_event *a, struct timer_event *b)
{
	struct timer_event t = *a;

	*a = *b;
	*b = t;
}

static void push(struct timer *t, struct timer_event e)
{
	size_t i = t->nr++;

	t->heap[i] = e;
	while (i && t->heap[(i - 1) / 2].due_us > t->heap[i].due_us) {
		swap(&t->heap[(i - 1) / 2], &t->heap[i]);
		i = (i - 1) / 2;
	}
}

static struct timer_event pop(struct timer *t)
{
	struct timer_event top = t->heap[0];
	size_t i = 0;

	t->heap[0] = t->heap[--t->nr];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->nr && t->heap[l].due_us < t->heap[m].due_us)
			m = l;
		if (r < t->nr && t->heap[r].due_us < t->heap[m].due_us)
			m = r;
		if (m == i)
			break;
		swap(&t->heap[m], &t->heap[i]);
		i = m;
	}
	return top;
}

static void *run(void *arg)
{
	struct timer *t = arg;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		int64_t now = timer_now_us();

		if (t->nr && (t->stopping || t->heap[0].due_us <= now)) {
			struct timer_event e = pop(t);

			pthread_mutex_unlock(&t->lock);
			e.fn(e.arg);
			pthread_mutex_lock(&t->lock);
			continue;
		}
		if (t->stopping)
			break;
		if (t->nr) {
			struct timespec ts;
			int64_t due = t->heap[0].due_us;

			ts.tv_sec = due / 1000000;
			ts.tv_nsec = (due % 1000000) * 1000;
			pthread_cond_timedwait(&t->cond, &t->lock, &ts);
		} else {
			pthread_cond_wait(&t->cond, &t->lock);
		}
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int timer_start(struct timer *t)
{
	pthread_condattr_t attr;

	memset(t, 0, sizeof(*t));
	if (pthread_mutex_init(&t->lock, NULL) || pthread_condattr_init(&attr) ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) || pthread_cond_init(&t->cond, &attr))
		return -1;
	pthread_condattr_destroy(&attr);
	if (pthread_create(&t->thread, NULL, run, t))
		return -1;
	t->started = 1;
	return 0;
}

int timer_add(struct timer *t, int64_t due_us, timer_fn fn, void *arg)
{
	struct timer_event e = { due_us, fn, arg };

	pthread_mutex_lock(&t->lock);
	if (t->nr == t->alloc) {
		size_t alloc = t->alloc ? 2 * t->alloc : 64;
		struct timer_event *h = realloc(t->heap, alloc * sizeof(*h));

		if (!h) {
			pthread_mutex_unlock(&t->lock);
			return -1;
		}
		t->heap = h;
		t->alloc = alloc;
	}
	push(t, e);
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

void timer_stop(struct timer *t)
{
	if (!t->started)
		return;
	pthread_mutex_lock(&t->lock);
	t->stopping = 1;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	free(t->heap);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	t->started = 0;
}
