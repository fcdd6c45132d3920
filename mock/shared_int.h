#ifndef ERRATA_SHARED_INT_H
#define ERRATA_SHARED_INT_H
/* What shared.c and shared_state.c share. Not for use outside them. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include <hiredis/hiredis.h>

#include "shared.h"

/* Journal entries on their way to the store: written by one thread, in
 * batches, in the order they were made. */
#define JOURNAL_QUEUE_MAX 65536
#define JOURNAL_BATCH 256

struct jqueue {
	pthread_mutex_t lock;
	pthread_cond_t more, drained;
	char *buf[JOURNAL_QUEUE_MAX];
	size_t len[JOURNAL_QUEUE_MAX];
	size_t head, n;
	unsigned long long queued, settled; /* entries queued; written or lost */
	int stop, failing;
	pthread_t thread;
};

struct shared {
	struct store *st;
	size_t journal_size;
	atomic_ullong lost;          /* journal entries the store did not take */
	struct jqueue *q;
};

int shared_journal_start(struct shared *sh, char *why, size_t size);
void shared_journal_stop(struct shared *sh);

#endif
