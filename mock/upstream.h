#ifndef ERRATA_UPSTREAM_H
#define ERRATA_UPSTREAM_H
/*
 * errata proxy's side towards the real API: libcurl transfers driven by
 * threads of their own (a multi handle each), fed and drained through
 * small buffers, so that neither a slow client nor a slow upstream ever
 * holds one of the mock's worker threads, and memory per request stays
 * bounded however large the bodies are.
 *
 * A transfer is shared by two sides, each holding a reference: the server
 * side pushes the request body and pulls the response; the curl side moves
 * bytes. When one side cannot go on (a buffer full or empty, the head not
 * yet here) it says so with transfer_wait(), and the other side calls the
 * transfer's wake function once it can. Nothing here knows libmicrohttpd.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define UPSTREAM_BUF (64 * 1024)          /* each way, per transfer */
#define UPSTREAM_HEAD_MAX (64 * 1024)     /* response header bytes */
#define UPSTREAM_MAX_HEADERS 100
#define UPSTREAM_CAPTURE_MAX (64 * 1024)  /* an error body kept for conformance */

/*
 * The server whose requests a worker thread serves, in the same loop as
 * its transfers: one thread moves a request from client to upstream and
 * back, with no hand-over between threads.
 */
struct upstream_host {
	int fd;                       /* readable when the server has work */
	void (*run)(void *arg);       /* do it, without blocking */
	long (*timeout_ms)(void *arg);/* run() is due within this (-1: no need) */
	void *arg;
};

struct upstream_config {
	const char *url;        /* scheme://host[:port][/base], no query */
	const char *ca_file;    /* NULL: the system's CAs */
	int insecure;           /* no certificate verification */
	long connect_ms;        /* to connect (and the TLS handshake) */
	long timeout_ms;        /* to the response head, and between bytes */
	unsigned threads;       /* 0: one */
	const struct upstream_host *hosts; /* one per thread, or NULL */
};

struct upstream;

/* Start the transfer threads; NULL with a message in why. */
struct upstream *upstream_start(const struct upstream_config *cfg, char *why, size_t size);
/* From any thread: give every worker's server its turn at once (after it
 * resumed a connection from outside the worker's loop). */
void upstream_kick(struct upstream *up);

/* Stop the threads: every transfer still running fails ("the proxy is
 * stopping"), and one started later fails at once. */
void upstream_stop(struct upstream *up);
/* Stop, then free (after the last transfer is cancelled); accepts NULL. */
void upstream_free(struct upstream *up);

/* How a transfer ended, for the client's problem and the journal. */
enum upstream_failure {
	UPF_NONE,
	UPF_UNREACHABLE,   /* could not connect or resolve: 502 */
	UPF_TLS,           /* the certificate or handshake failed: 502 */
	UPF_TIMEOUT,       /* no head, or no byte, in time: 504 */
	UPF_PROTOCOL,      /* not HTTP, or headers past the bound: 502 */
	UPF_CLOSED,        /* closed before the response was whole: 502 */
	UPF_CANCELLED,     /* the client went away */
	UPF_INTERNAL,      /* out of memory, the proxy stopping */
};

struct upstream_header {
	char *name, *value;
};

struct transfer;

/* What the server side hands over to start a transfer; all copied. */
struct transfer_request {
	const char *method;
	const char *url;            /* the whole URL (framing_plan's) */
	const char *const *headers; /* "Name: value" lines, already filtered */
	size_t nr_headers;
	int has_body;
	long long body_size;        /* -1: unknown (chunked) */
	void (*wake)(void *arg);    /* called with the transfer's lock held */
	void *arg;
	/* a 2xx text/event-stream answer is read event by event as it passes,
	 * and the first event this says is an error kept as the capture (NULL:
	 * streams are passed unread) */
	int (*is_error_event)(void *ctx, const char *event, const char *data, size_t len);
	void *event_ctx;
};

/* The upstream's base URL, as given; its timeout. */
const char *upstream_url(const struct upstream *up);
long upstream_timeout_ms(const struct upstream *up);

/* A new transfer (two references: the caller's and the curl side's), or
 * NULL when out of memory. It starts at once. */
struct transfer *transfer_new(struct upstream *up, const struct transfer_request *rq);
void transfer_unref(struct transfer *t);

/*
 * Offer request body bytes: how many were taken. When none could be, and
 * `wait` is not NULL, wait(arg) is called under the transfer's lock (the
 * caller suspends) and the wake function will follow once there is room.
 */
size_t transfer_push(struct transfer *t, const char *data, size_t len,
		     void (*wait)(void *), void *arg);
/* The request body is complete. */
void transfer_push_end(struct transfer *t);

/* The state of the response, for the server side. */
enum transfer_state { TS_PENDING, TS_HEAD, TS_FAILED };

/* TS_HEAD when the head is here (status and headers readable until the
 * transfer is freed), TS_FAILED when it failed before, TS_PENDING with
 * wait(arg) called under the lock when neither yet. */
enum transfer_state transfer_head(struct transfer *t, void (*wait)(void *), void *arg);

/* The whole body, when the transfer is over and it is all still here
 * (taken: transfer_read() then has nothing more); NULL otherwise. Valid
 * until the transfer is freed. */
const char *transfer_body_whole(struct transfer *t, size_t *len);

int transfer_status(const struct transfer *t);
const struct upstream_header *transfer_headers(const struct transfer *t, size_t *n);

/*
 * Take up to `max` body bytes: how many; 0 at the end of the body, with
 * *failed set when it ended short (the connection should be cut); -2 after
 * calling wait(arg) under the lock when none are there yet.
 */
long transfer_read(struct transfer *t, char *out, size_t max, int *failed,
		   void (*wait)(void *), void *arg);

/* The client went away: stop the transfer. */
void transfer_cancel(struct transfer *t);

/* Once ended (or at any time, for what is known so far): */
enum upstream_failure transfer_failure(struct transfer *t, char *why, size_t size);
/* An error body (status >= 400) as received, up to UPSTREAM_CAPTURE_MAX;
 * *cut when it was longer (or memory ran short): not the whole body. For
 * a 2xx event stream, its first error event, written as a stream of one
 * event (NULL when none came). */
const char *transfer_capture(const struct transfer *t, size_t *len, int *cut);
/* A 2xx event stream whose error event was kept (transfer_capture). */
int transfer_event_kept(const struct transfer *t);
/* CLOCK_MONOTONIC microseconds when the head arrived (0: never). */
int64_t transfer_head_us(const struct transfer *t);

const char *upstream_failure_name(enum upstream_failure f);

/* A response header line "Name: value\r\n" as curl hands it over: the
 * name's length, and the value without its surrounding blanks. -1 for a
 * line that is not one header (no colon, an empty name, a folded line, a
 * NUL, CR or LF inside), which is then not passed on. */
int upstream_header_split(const char *b, size_t len, size_t *name_len, const char **value,
			  size_t *value_len);

#endif
