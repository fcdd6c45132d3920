/*
 * Streamed answers (stream.h): a plan rendered once from the contract's
 * event format, then written segment by segment from the timer thread,
 * the connection suspended: a stalled stream holds no thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "stream.h"
#include "../model/envelope.h"
#include "../model/sse.h"

/* Each ending: its name in a step and X-Errata-Stream, and the fault it
 * is journaled as (--inject's faults= name it so). A clean end is none. */
static const struct { const char *name, *fault; } endings[SE__COUNT] = {
	[SE_ERROR] = { "error", "STREAM_ERROR" }, [SE_RESET] = { "reset", "STREAM_RESET" },
	[SE_STALL] = { "stall", "STREAM_STALL" }, [SE_END] = { "end", "" },
};

const char *stream_end_name(int e)
{
	return e >= 0 && e < SE__COUNT ? endings[e].name : "?";
}

const char *stream_fault_name(int e)
{
	return e >= 0 && e < SE__COUNT ? endings[e].fault : "";
}

/* The ending named s in column `fault` (0: names, 1: faults), or -1. */
static int ending_of(const char *s, int fault)
{
	int i;

	for (i = 0; s && *s && i < SE__COUNT; i++)
		if (!strcmp(s, fault ? endings[i].fault : endings[i].name))
			return i;
	return -1;
}

int stream_end_parse(const char *s)
{
	return ending_of(s, 0);
}

int stream_fault_parse(const char *s)
{
	return ending_of(s, 1);
}

void stream_plan_free(struct stream_plan *p)
{
	if (p) {
		free(p->wire);
		free(p->ends);
		free(p);
	}
}

/* One event of the contract's form ({"event"?, "data"}) as SSE text. */
static char *event_text(json_t *ev, size_t *len)
{
	json_t *d = json_object_get(ev, "data");
	char *data = json_is_string(d) ? strdup(json_string_value(d)) : json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY);
	char *w = data ? sse_write(json_string_value(json_object_get(ev, "event")), data, strlen(data), len) : NULL;

	free(data);
	return w;
}

/* Content event i: the contract's events in order, then its last one
 * again (more deltas); {"index": i} for a contract without a stream. */
static char *content_event(const struct stream_plan *p, long long i, size_t *len)
{
	size_t nr = p->ev ? json_array_size(p->ev) : 0;
	json_t *ev;
	char *w;

	if (nr)
		return event_text(json_array_get(p->ev, (size_t)i < nr ? (size_t)i : nr - 1), len);
	ev = json_pack("{sn s{sI}}", "event", "data", "index", (json_int_t)i);
	w = ev ? event_text(ev, len) : NULL;
	json_decref(ev);
	return w;
}

static void chunk(FILE *f, const char *p, size_t n)
{
	fprintf(f, "%zx\r\n", n);
	fwrite(p, 1, n, f);
	fputs("\r\n", f);
}

/* The ending segment: the error event, the end events, or half an event. */
static int ending(FILE *f, struct stream_plan *p, const struct contract *c)
{
	size_t n, i;
	char *w = NULL;
	json_t *ev;

	switch (p->then) {
	case SE_ERROR: {
		json_t *data = envelope_render_in(c->stream.error_data, p->code, NULL, p->code->status, NULL);

		ev = data ? json_pack("{ss? so}", "event", c->stream.error_event, "data", data) : NULL;
		if (!ev || !(w = event_text(ev, &n))) {
			json_decref(ev);
			return -1;
		}
		chunk(f, w, n);
		json_decref(ev);
		fputs("0\r\n\r\n", f);
		break;
	}
	case SE_END:
		json_array_foreach(p->end, i, ev) {
			if (!(w = event_text(ev, &n)))
				return -1;
			chunk(f, w, n);
			free(w);
			w = NULL;
		}
		fputs("0\r\n\r\n", f);
		break;
	case SE_RESET: /* the next event's chunk, declared whole, half sent */
		if (!(w = content_event(p, p->events, &n)))
			return -1;
		p->cut_of = n;
		p->cut_sent = n / 2 ? n / 2 : 1;
		fprintf(f, "%zx\r\n", n);
		fwrite(w, 1, p->cut_sent, f);
		break;
	default:
		break;
	}
	free(w);
	return 0;
}

static int render(struct stream_plan *p, const struct contract *c)
{
	FILE *f = open_memstream(&p->wire, &p->len);
	long long i;
	char *w;
	size_t n;

	if (!f || !(p->ends = calloc((size_t)p->events + 1, sizeof(*p->ends)))) {
		if (f)
			fclose(f);
		return -1;
	}
	for (i = 0; i < p->events; i++) {
		if (!(w = content_event(p, i, &n))) {
			fclose(f);
			return -1;
		}
		chunk(f, w, n);
		free(w);
		fflush(f);
		p->ends[p->nr++] = p->len;
	}
	if (ending(f, p, c)) {
		fclose(f);
		return -1;
	}
	if (fclose(f))
		return -1;
	p->ends[p->nr++] = p->len;
	return 0;
}

struct stream_plan *stream_plan_make(const struct contract *c, enum stream_end then,
				     const struct contract_code *code, long long events,
				     long long interval_ms, long long stall_ms, const char *method, const char *path,
				     char *why, size_t size)
{
	struct stream_plan *p;
	size_t i;

	for (i = 0; !code && then == SE_ERROR && i < c->nr_codes; i++)
		if (c->codes[i].stream != STREAM_NO)
			code = &c->codes[i];
	if (then == SE_ERROR && (!c->stream.error_data || !code)) {
		snprintf(why, size, "%s documents no error event inside a stream (its \"stream\" has no error%s)",
			 c->id, c->stream.error_data ? " code: no code says \"stream\"" : "");
		return NULL;
	}
	if (!(p = calloc(1, sizeof(*p)))) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	*p = (struct stream_plan){ then, then == SE_ERROR ? code : NULL, events, interval_ms, stall_ms,
				   NULL, 0, NULL, 0, 0, 0, NULL, NULL, method != NULL };
	p->ev = contract_stream_events(c, method, path, &p->end);
	if (render(p, c)) {
		stream_plan_free(p);
		snprintf(why, size, "out of memory");
		return NULL;
	}
	if (p->len > STREAM_MAX_BYTES) {
		snprintf(why, size, "the stream would be %zu bytes, over the bound of %u", p->len, STREAM_MAX_BYTES);
		stream_plan_free(p);
		return NULL;
	}
	return p;
}

static const struct jkey stream_step_keys[] = {
	{ "then", JREQUIRED }, { "events", JOPTIONAL }, { "error", JOPTIONAL },
	{ "interval_ms", JOPTIONAL }, { "stall_ms", JOPTIONAL }, { NULL, 0 }
};

int stream_plan_parse(struct jload *ld, json_t *v, const struct contract *c, struct stream_plan **out)
{
	const char *then, *error;
	const struct contract_code *code = NULL;
	long long events, interval, stall;
	char why[300];
	int e;

	jpath_key(&ld->path, "stream");
	if (!json_is_object(v))
		return jload_fail(ld, 0, "stream must be an object {\"then\": \"error\"|\"reset\"|\"stall\"|\"end\", ...}");
	if (jload_keys(ld, v, "a stream", stream_step_keys))
		return -1;
	then = jload_string(ld, v, "then", 0);
	error = jload_string(ld, v, "error", 0);
	if (ld->failed || jload_int(ld, v, "events", 0, STREAM_MAX_EVENTS, STREAM_DEFAULT_EVENTS, &events) ||
	    jload_int(ld, v, "interval_ms", 0, 60000, STREAM_DEFAULT_INTERVAL_MS, &interval) ||
	    jload_int(ld, v, "stall_ms", 1, 600000, STREAM_DEFAULT_STALL_MS, &stall))
		return -1;
	if ((e = stream_end_parse(then)) < 0) {
		jpath_key(&ld->path, "then");
		return jload_fail(ld, 0, "then must be error, reset, stall or end, not '%s'", then);
	}
	if (error && !(code = contract_find(c, error))) {
		jpath_key(&ld->path, "error");
		return jload_fail(ld, 0, "'%s' is not a code of %s", error, c->id);
	}
	if (error && e != SE_ERROR) {
		jpath_key(&ld->path, "error");
		return jload_fail(ld, 0, "an error code goes with \"then\": \"error\", not '%s'", then);
	}
	if (!(*out = stream_plan_make(c, (enum stream_end)e, code, events, interval, stall, NULL, NULL, why, sizeof(why))))
		return jload_fail(ld, 0, "%s", why);
	jpath_pop(&ld->path);
	return 0;
}

/* Does the JSON body say "stream": true? Read by jansson, not by search. */
static int body_streams(const char *body, size_t len)
{
	json_t *v = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	int yes = json_is_true(json_object_get(v, "stream"));

	json_decref(v);
	return yes;
}

int stream_requested(const char *accept, const char *body, size_t len)
{
	return (accept && strcasestr(accept, "text/event-stream")) || body_streams(body, len);
}

/* --- serving --- */

static void stream_cb(void *arg);

/* What the stream did, for the journal, once it is over. */
static void course(struct request *rq, const char *gone)
{
	const struct stream_plan *sp = rq->sp;
	long long sent = rq->seg < (size_t)sp->events ? (long long)rq->seg : sp->events;
	char *b = rq->d.stream;
	size_t size = sizeof(rq->d.stream);

	if (gone && rq->stall_from)
		snprintf(b, size, "%lld events, then a stall; %s %.1f s into it", sent, gone,
			 (double)(timer_now_us() - rq->stall_from) / 1e6);
	else if (gone)
		snprintf(b, size, "%lld of %lld events, then %s", sent, sp->events, gone);
	else if (sp->then == SE_ERROR)
		snprintf(b, size, "%lld events, then error %s", sent, sp->code->code);
	else if (sp->then == SE_RESET)
		snprintf(b, size, "%lld events, then reset mid-event (%zu of its %zu bytes)", sent, sp->cut_sent,
			 sp->cut_of);
	else if (sp->then == SE_STALL)
		snprintf(b, size, "%lld events, then a stall of %lld ms, then closed unfinished", sent, sp->stall_ms);
	else
		snprintf(b, size, "%lld events, then a clean end", sent);
	rq->d.sv.stream = b;
}

static void stream_close(struct request *rq, const char *gone)
{
	course(rq, gone);
	rq->d.open = 0; /* the course is the journal's now */
	rq->phase = PH_CLOSE;
	resume_cb(rq);
}

/* Has the client closed its end (or reset it)? Bytes it sent are left. */
static int peer_gone(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

#define STALL_TICK_US 100000 /* a stalled client is looked at this often */

/* A stall: nothing sent, the connection watched, for stall_ms. 1 while it
 * goes on (the timer has the request), 0 once it is over. */
static int stall(struct request *rq, int fd)
{
	const struct stream_plan *sp = rq->sp;
	int64_t now = timer_now_us(), end;

	if (!rq->stall_from)
		rq->stall_from = now;
	end = rq->stall_from + sp->stall_ms * 1000;
	if (peer_gone(fd)) {
		stream_close(rq, "the client went away");
		return 1;
	}
	if (now < end && !timer_add(&rq->m->timer, now + STALL_TICK_US < end ? now + STALL_TICK_US : end, stream_cb, rq))
		return 1;
	return 0;
}

/* Timer callback: the rest of the current segment, then the next after
 * the interval; the ending once every segment is out. */
static void stream_cb(void *arg)
{
	struct request *rq = arg;
	struct mock *m = rq->m;
	const struct stream_plan *sp = rq->sp;
	int fd = mock_connection_fd(rq->conn);
	struct linger lg = { 1, 0 };

	if (atomic_load(&m->stopping) || fd < 0)
		return stream_close(rq, "the mock stopped");
	if (rq->seg < sp->nr) {
		size_t target = rq->head_len + sp->ends[rq->seg];
		ssize_t w = send(fd, rq->raw + rq->raw_off, target - rq->raw_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return stream_close(rq, "the client went away");
		if (w > 0)
			rq->raw_off += (size_t)w;
		if (rq->raw_off < target) { /* the socket is full: soon again */
			if (timer_add(&m->timer, timer_now_us() + 5000, stream_cb, rq))
				stream_close(rq, "the timer failed");
			return;
		}
		if (++rq->seg < sp->nr) {
			if (timer_add(&m->timer, timer_now_us() + sp->interval_ms * 1000, stream_cb, rq))
				stream_close(rq, "the timer failed");
			return;
		}
	}
	if (sp->then == SE_STALL && stall(rq, fd))
		return;
	if (sp->then == SE_RESET) /* the close becomes a reset (see transport_fault) */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	stream_close(rq, NULL);
}

const struct stream_plan *stream_plan_for(struct request *rq, const struct stream_plan *step, const char *method,
					  const char *url)
{
	const struct contract *c = rq->mt->c;
	const char *below = url;
	char why[300];

	if (rq->own_plan || !c->stream.per_operation)
		return rq->own_plan ? rq->own_plan : step;
	if (url[0] == '/' && !strncmp(url + 1, c->id, rq->mt->id_len) && url[1 + rq->mt->id_len] == '/')
		below = url + 1 + rq->mt->id_len;
	rq->own_plan = stream_plan_make(c, step->then, step->code, step->events, step->interval_ms, step->stall_ms,
					method, below, why, sizeof(why));
	return rq->own_plan ? rq->own_plan : step; /* out of memory: the stream's own events */
}

int stream_serve(struct mock *m, struct MHD_Connection *conn, struct request *rq, const struct stream_plan *sp,
		 const struct reply *rp, const char *method, const char *url)
{
	char *head = NULL;
	size_t head_len = 0;
	FILE *f = open_memstream(&head, &head_len);
	unsigned i;

	if (!f)
		return -1;
	fprintf(f, "HTTP/1.1 %d %s\r\n", rp->status, MHD_get_reason_phrase_for((unsigned)rp->status));
	for (i = 0; i < rp->nr; i++)
		if (strcasecmp(rp->names[i], "Content-Type") && strcasecmp(rp->names[i], "Content-Length"))
			fprintf(f, "%s: %s\r\n", rp->names[i], rp->values[i]);
	/* a stream that ends whole says the connection closes after it; one
	 * cut short says nothing (as a real API's would not): a client that
	 * reads to the close would otherwise take the cut as the end */
	fprintf(f, "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n%s\r\n",
		sp->then == SE_ERROR || sp->then == SE_END ? "Connection: close\r\n" : "");
	if (fclose(f) || !(rq->raw = malloc(head_len + sp->len)) || (!rq->method && !(rq->method = strdup(method))) ||
	    (!rq->url && !(rq->url = strdup(url)))) {
		free(head);
		return -1;
	}
	memcpy(rq->raw, head, head_len);
	memcpy(rq->raw + head_len, sp->wire, sp->len);
	free(head);
	rq->raw_len = head_len + sp->len;
	rq->head_len = head_len;
	rq->raw_off = 0;
	rq->sp = sp;
	rq->seg = 0;
	rq->phase = PH_WAITING;
	rq->d.open = 1;
	atomic_fetch_add(&m->streaming, 1);
	if (rq->idem_key) { /* a stream is never replayed: a retry is processed anew */
		mock_idem_abort(m, rq);
		free(rq->idem_key);
		rq->idem_key = NULL;
	}
	MHD_suspend_connection(conn);
	stream_cb(rq);
	return 0;
}

enum MHD_Result serve_stream(struct mock *m, struct MHD_Connection *conn, const struct mount *mt, struct request *rq,
			     const char *method, const char *url)
{
	struct served sv = { NULL, stream_fault_name(rq->own_plan->then), -1, 0, 0, NULL, NULL, 0, NULL, NULL, NULL };
	struct reply rp;
	enum MHD_Result ret;

	rq->conn = conn;
	rq->mt = mt;
	build_code(m, mt, NULL, -1, 0, rq, &rp);
	decide(m, rq, mt, NULL, 200, &sv);
	ret = atomic_load(&m->stopping) || stream_serve(m, conn, rq, rq->own_plan, &rp, method, url) ? MHD_NO : MHD_YES;
	reply_release(&rp);
	return ret;
}

void stream_end(struct mock *m, struct MHD_Connection *conn, struct request *rq)
{
	if (!rq->sp || !rq->d.decided || rq->d.journaled)
		return;
	if (rq->d.open) { /* gone before the timer saw it */
		rq->d.open = 0;
		course(rq, "the client went away");
	}
	conclude(m, conn, rq, rq->method ? rq->method : "", rq->url ? rq->url : "");
}
