#ifndef ERRATA_UPSTREAM_INT_H
#define ERRATA_UPSTREAM_INT_H
/*
 * What upstream.c (the worker threads and their loop) and transfer.c (one
 * transfer: curl's callbacks and the server side's calls) share. Not for
 * use outside them.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <curl/curl.h>

#include "upstream.h"

enum { CMD_ADD = 1, CMD_CANCEL = 2, CMD_UNPAUSE = 4 };

#define EASY_SPARES 256   /* curl_easy_init is dear: handles are reset and reused */

struct worker {
	struct upstream *up;
	pthread_t thread;
	int started;
	CURLM *multi;
	pthread_mutex_t qlock;
	struct transfer *queue;      /* commands, under qlock */
	struct transfer *active;     /* the worker's own list */
	atomic_int stop;
	int exited;                  /* under qlock: commands are no longer taken */
	struct upstream_host host;   /* fd -1: none */
	int ep, wake_fd;             /* the loop's epoll set; commands from other threads */
	CURL *spare[EASY_SPARES];    /* easy handles kept for the next transfers (qlock) */
	unsigned nr_spare;
	int64_t curl_due;            /* when curl wants its timeout action (-1: never) */
	int host_kick;               /* a transfer woke the server side: its turn next */
	atomic_int remote_kick;      /* the same, from another thread */
	unsigned char *watched;      /* per descriptor: the epoll events registered (0: none) */
	unsigned char *wanted;       /* ... and those curl asks for now */
	size_t nr_fds;
};

/* The worker whose thread this is, or NULL. */
extern __thread struct worker *upstream_self;

struct upstream {
	char *url, *ca_file;
	int insecure;
	long connect_ms, timeout_ms;
	struct worker *w;
	unsigned nr;
	atomic_uint next;
};

struct sse_parser;

struct transfer {
	pthread_mutex_t lock;
	atomic_int refs;
	struct worker *w;
	CURL *easy;
	struct curl_slist *hdrs;
	char *url;
	char err[CURL_ERROR_SIZE];
	/* the request body: [ub_off, ub_off + ub_len) of ub */
	char *ub;
	size_t ub_off, ub_len;
	int ub_end, read_paused;
	/* the response */
	int status, head_done;
	struct upstream_header h[UPSTREAM_MAX_HEADERS];
	size_t nh, head_bytes;
	char *rb;
	size_t rb_off, rb_len, rb_cap;
	int write_paused;
	char *cap;
	size_t cap_len;
	int cap_cut;                 /* the error body did not fit in cap */
	int (*is_error_event)(void *ctx, const char *event, const char *data, size_t len);
	void *event_ctx;
	struct sse_parser *sse;      /* a 2xx event stream being read, or NULL */
	int event_kept;              /* its first error event is in cap */
	int done, cancelled, waiting;
	enum upstream_failure failure;
	char why[256];
	int64_t started_us, last_us, head_us;
	void (*wake)(void *arg);
	void *arg;
	/* the worker's */
	unsigned pending;            /* CMD_*, under the worker's qlock */
	int queued;
	struct transfer *qnext, *anext, *aprev;
	int active;
};

/* CLOCK_MONOTONIC microseconds. */
int64_t upstream_now_us(void);

/* --- transfer.c --- */

/* Call the server side's wake function if it waits (the lock held). */
void transfer_wake(struct transfer *t);
/* Say why it failed, once (the lock held). */
void transfer_fail(struct transfer *t, enum upstream_failure f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- upstream.c --- */

/* Hand a command (CMD_*) to the transfer's worker. */
void worker_post(struct transfer *t, unsigned cmd);
/* The transfer is over on the curl side (on the worker's thread). */
void worker_finish(struct worker *w, struct transfer *t, CURLcode rc);
/* An easy handle, reset, from the worker's spares or new; and back. */
CURL *worker_easy_get(struct worker *w);
void worker_easy_put(struct worker *w, CURL *e);

#endif
