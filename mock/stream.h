#ifndef ERRATA_STREAM_H
#define ERRATA_STREAM_H
/*
 * A streamed answer: a 200 with Content-Type text/event-stream, N content
 * events in the contract's own event format (its "stream.events"), paced
 * by an interval, then one ending: a documented error event, the
 * connection reset mid-event, a stall with the connection open, or a
 * clean end. The body is chunked, so a client can tell a cut stream from
 * a finished one. Rendered once, when the step is read; served by the
 * timer thread with the connection suspended (mock/stream.c).
 */
#include <stddef.h>
#include <jansson.h>

#include "../model/contract.h"
#include "../model/jload.h"

enum stream_end { SE_ERROR, SE_RESET, SE_STALL, SE_END, SE__COUNT };

/* "error", "reset", "stall", "end"; the parse gives -1 for none. */
const char *stream_end_name(int e);
int stream_end_parse(const char *s);

/* The fault a stream's ending is journaled as: "STREAM_ERROR",
 * "STREAM_RESET", "STREAM_STALL"; "" for a clean end. The parse takes
 * those three (--inject's faults=) and gives -1 for anything else. */
const char *stream_fault_name(int e);
int stream_fault_parse(const char *s);

#define STREAM_MAX_EVENTS 10000
#define STREAM_MAX_BYTES (4u << 20)
#define STREAM_DEFAULT_EVENTS 3
#define STREAM_DEFAULT_INTERVAL_MS 20
#define STREAM_DEFAULT_STALL_MS 30000

struct stream_plan {
	enum stream_end then;
	const struct contract_code *code;  /* the error event's code (SE_ERROR) */
	long long events, interval_ms, stall_ms;
	char *wire;                        /* the chunked body, every segment */
	size_t len;
	size_t *ends;                      /* segment i is wire[ends[i-1] .. ends[i]) */
	size_t nr;                         /* segments: an event each, then the ending */
	size_t cut_of;                     /* SE_RESET: the bytes of the event cut */
	size_t cut_sent;                   /* ... and how many of them are sent */
	json_t *ev, *end;                  /* the contract's events it sends (borrowed) */
	int for_operation;                 /* made for a request's operation */
};

/* A plan for contract c; code NULL for the contract's first streamed one;
 * the events of operation (method, path below the mount), or with method
 * NULL the stream's own. NULL with why when it cannot be made (an error
 * event the contract does not document, out of memory). */
struct stream_plan *stream_plan_make(const struct contract *c, enum stream_end then,
				     const struct contract_code *code, long long events,
				     long long interval_ms, long long stall_ms, const char *method, const char *path,
				     char *why, size_t size);
void stream_plan_free(struct stream_plan *p);

/* A step's "stream": {"then", "events"?, "error"?, "interval_ms"?,
 * "stall_ms"?}; 0 with *out, or -1 with ld's error. */
int stream_plan_parse(struct jload *ld, json_t *v, const struct contract *c, struct stream_plan **out);

/* "stream": true in a JSON body, or Accept: text/event-stream: the client
 * asked for a stream. */
int stream_requested(const char *accept, const char *body, size_t len);

/* --- served (mock/stream.c, with the mock's internals) --- */
struct mock;
struct request;
struct reply;
struct MHD_Connection;

/* The plan to serve: the request's own (X-Errata-Stream), else a step's,
 * made anew for the request's operation where the contract gives that
 * operation events of its own (kept as the request's own). */
const struct stream_plan *stream_plan_for(struct request *rq, const struct stream_plan *step, const char *method,
					  const char *url);

/* Write the head (rp's status and headers) and the plan's segments to the
 * suspended connection from the timer thread; the request is journaled
 * with the stream's course when the connection closes (method and url
 * are kept for that). */
int stream_serve(struct mock *m, struct MHD_Connection *conn, struct request *rq, const struct stream_plan *sp,
		 const struct reply *rp, const char *method, const char *url);

/* The request is over (its connection closed, perhaps by libmicrohttpd on
 * the client's going, without a last call): journal the stream once. */
void stream_end(struct mock *m, struct MHD_Connection *conn, struct request *rq);

#endif
