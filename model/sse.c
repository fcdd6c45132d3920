/*
 * Server-sent events: the incremental parser and the writer (sse.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"

#define SSE_DEFAULT_MAX (1u << 20)

void sse_init(struct sse_parser *p, size_t max)
{
	memset(p, 0, sizeof(*p));
	p->max = max ? max : SSE_DEFAULT_MAX;
}

void sse_release(struct sse_parser *p)
{
	free(p->line);
	free(p->data);
	p->line = p->data = NULL;
}

/* Room for n more bytes (and a NUL) in *buf; -1 when out of memory. */
static int room(char **buf, size_t *cap, size_t len, size_t n)
{
	size_t want = len + n + 1, c = *cap ? *cap : 256;
	char *b;

	if (want <= *cap)
		return 0;
	while (c < want)
		c *= 2;
	if (!(b = realloc(*buf, c)))
		return -1;
	*buf = b;
	*cap = c;
	return 0;
}

static void event_reset(struct sse_parser *p)
{
	p->data_len = 0;
	p->has_data = 0;
	p->event[0] = '\0';
	p->dropping = 0;
}

/* A blank line: dispatch the event, if it has data (the standard's rule). */
static int dispatch(struct sse_parser *p, sse_fn fn, void *ctx)
{
	struct sse_event ev;

	if (p->dropping) {
		p->dropped++;
		event_reset(p);
		return 0;
	}
	if (!p->has_data) {
		event_reset(p);
		return 0;
	}
	if (p->data_len && p->data[p->data_len - 1] == '\n') /* the last LF joined nothing */
		p->data_len--;
	p->data[p->data_len] = '\0';
	ev.event = p->event[0] ? p->event : "message";
	ev.data = p->data;
	ev.data_len = p->data_len;
	ev.index = p->events++;
	if (fn && fn(ctx, &ev))
		p->stopped = 1;
	event_reset(p);
	return 0;
}

/* One line, without its end: a field of the event, a comment, or its end. */
static int line(struct sse_parser *p, sse_fn fn, void *ctx)
{
	const char *l = p->line ? p->line : "", *colon, *value;
	size_t n = p->line_len, name_len, vlen;

	if (!n)
		return dispatch(p, fn, ctx);
	if (l[0] == ':' || p->dropping)
		return 0;
	colon = memchr(l, ':', n);
	name_len = colon ? (size_t)(colon - l) : n;
	value = colon ? colon + 1 : l + n;
	if (colon && value < l + n && *value == ' ')
		value++;
	vlen = (size_t)(l + n - value);
	if (name_len == 4 && !memcmp(l, "data", 4)) {
		if (p->data_len + vlen + 1 > p->max) {
			p->dropping = 1;
			return 0;
		}
		if (room(&p->data, &p->data_cap, p->data_len, vlen + 1))
			return -1;
		memcpy(p->data + p->data_len, value, vlen);
		p->data_len += vlen;
		p->data[p->data_len++] = '\n';
		p->has_data = 1;
	} else if (name_len == 5 && !memcmp(l, "event", 5)) {
		if (vlen >= sizeof(p->event) || memchr(value, '\0', vlen)) {
			p->dropping = 1; /* no event type that long is documented */
			return 0;
		}
		memcpy(p->event, value, vlen);
		p->event[vlen] = '\0';
	}
	return 0; /* id, retry and unknown fields: nothing the judge reads */
}

int sse_feed(struct sse_parser *p, const char *buf, size_t len, sse_fn fn, void *ctx)
{
	size_t i = 0;

	while (i < len && !p->stopped) {
		const char *end;
		size_t run;

		if (p->cr && buf[i] == '\n') { /* the LF of a CRLF */
			p->cr = 0;
			p->bytes++;
			i++;
			continue;
		}
		p->cr = 0;
		if (buf[i] == '\r' || buf[i] == '\n') {
			p->cr = buf[i] == '\r';
			p->bytes++;
			i++;
			if (p->skip_line) /* a line over the bound: its event is dropped */
				p->skip_line = 0;
			else if (line(p, fn, ctx))
				return -1;
			p->line_len = 0;
			continue;
		}
		/* the run up to the next line end, kept while the line fits */
		end = buf + i;
		while (end < buf + len && *end != '\r' && *end != '\n')
			end++;
		run = (size_t)(end - (buf + i));
		if (p->skip_line || p->line_len + run > p->max) {
			p->dropping = p->skip_line = 1;
			p->line_len = 0; /* the rest of the line is not kept */
		} else {
			if (room(&p->line, &p->line_cap, p->line_len, run))
				return -1;
			memcpy(p->line + p->line_len, buf + i, run);
			p->line_len += run;
		}
		p->bytes += run;
		i += run;
	}
	return p->stopped ? 1 : 0;
}

int sse_partial(const struct sse_parser *p)
{
	return p->line_len > 0 || p->skip_line || p->has_data || p->dropping || p->event[0];
}

char *sse_write(const char *event, const char *data, size_t len, size_t *out_len)
{
	char *buf = NULL;
	size_t size = 0, i = 0;
	FILE *f;

	if (event && strpbrk(event, "\r\n"))
		return NULL;
	if (!(f = open_memstream(&buf, &size)))
		return NULL;
	if (event)
		fprintf(f, "event: %s\n", event);
	for (;;) { /* a data line per line; an empty data still writes one */
		size_t n = 0;

		while (i + n < len && data[i + n] != '\r' && data[i + n] != '\n')
			n++;
		fputs("data: ", f);
		fwrite(data + i, 1, n, f);
		fputc('\n', f);
		i += n;
		if (i >= len)
			break;
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			i++;
		i++; /* past the line break: a line follows, empty at the end */
	}
	fputc('\n', f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	*out_len = size;
	return buf;
}
