#ifndef ERRATA_SSE_H
#define ERRATA_SSE_H
/*
 * Server-sent events (the WHATWG HTML standard's event stream format),
 * both ways: a parser fed the bytes as they come, in pieces of any size,
 * and a writer of one event. Lines end in CRLF, LF or CR; a line "field:
 * value" loses one space after the colon; "data" lines are joined with
 * LF; a line starting with ':' is a comment; a blank line dispatches the
 * event. An event left without its blank line when the stream ends is
 * never dispatched: sse_partial() says one was under way.
 *
 * The parser holds one event at a time, bounded: an event over `max`
 * bytes is dropped whole and counted, never cut and dispatched.
 */
#include <stddef.h>

struct sse_event {
	const char *event;           /* its event type: "message" when none was named */
	const char *data;            /* NUL-terminated, the data lines joined by LF */
	size_t data_len;
	size_t index;                /* 0-based, among the events dispatched */
};

/* Called per event; returning non-zero stops the parser (sse_feed returns 1). */
typedef int (*sse_fn)(void *ctx, const struct sse_event *ev);

struct sse_parser {
	char *line;                  /* the line being read */
	size_t line_len, line_cap;
	char *data;                  /* the event's data so far */
	size_t data_len, data_cap;
	char event[128];             /* its event type ("" for none) */
	size_t max;                  /* bytes an event may hold */
	int cr;                      /* the last byte was a CR: an LF after it ends nothing */
	int skip_line;               /* the line grew over max: skipped to its end */
	int dropping;                /* the event grew over max: skipped to its blank line */
	int has_data;                /* a data line was read */
	int stopped;                 /* the callback said stop */
	size_t events, dropped;      /* dispatched, and dropped for their size */
	unsigned long long bytes;    /* fed so far */
};

/* max: the bytes one event may hold (0: 1 MiB). */
void sse_init(struct sse_parser *p, size_t max);
void sse_release(struct sse_parser *p);

/* Feed bytes. 0; 1 when the callback stopped it (later feeds do nothing);
 * -1 when out of memory. */
int sse_feed(struct sse_parser *p, const char *buf, size_t len, sse_fn fn, void *ctx);

/* 1 when the stream, ended now, would leave an event (or a line) unfinished. */
int sse_partial(const struct sse_parser *p);

/*
 * One event as written on the wire: "event: NAME\n" (when event is not
 * NULL), a "data: " line per line of data (CR, LF and CRLF each end one),
 * then a blank line. A new string to free(), its length in *out_len; NULL
 * when out of memory or when event holds a line break.
 */
char *sse_write(const char *event, const char *data, size_t len, size_t *out_len);

#endif
