/*
 * Layouts of real reference pages beyond the code table (import_read.c):
 *
 *   - entries led by a status, in a heading, a bullet or a table cell:
 *     "### 401 - Invalid Authentication", "* 429 - `rate_limit_error`: ...",
 *     "| 400 - Invalid `service_tier` argument | ... |". A code after the
 *     status ("`rate_limit_error`") makes a code with that status; a title
 *     makes a status-only entry, never a code named after the status;
 *   - a heading per code ("## `card_declined`"), its status and retry advice
 *     in the text below it;
 *   - a status summary glued together by a copy ("400Bad RequestThe request
 *     was unacceptable...401Unauthorized..."): status-only entries.
 *
 * Each entry seen counts as a candidate and each one read as read, so the
 * confidence summary can say when the page shows more than was imported.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_doc.h"
#include "layouts.h"
#include "../model/utf8.h"

/* Retry advice in prose: 1 retry, 0 do not, -1 nothing said. */
int import_retry_advice(const char *s)
{
	static const char *const no[] = { "do not retry", "don't retry", "not retry", "should not be retried",
					  "not be retried", "without retrying", "not safe to retry", NULL };
	static const char *const yes[] = { "safe to retry", "retry after", "retry the request", "retry your request",
					   "retried", "try again", "retry with", "retry later", "exponential backoff",
					   "brief wait", "retry it", NULL };
	size_t i;

	for (i = 0; no[i]; i++)
		if (strcasestr(s, no[i]))
			return 0;
	for (i = 0; yes[i]; i++)
		if (strcasestr(s, yes[i]))
			return 1;
	return -1;
}

/* A code as pages write one: `snake_case`, UPPER_CASE, kebab-case, no spaces. */
static int code_token(const char *s, size_t n)
{
	size_t i, lower = 0, sep = 0;

	if (n < 2 || n > 64 || !isalpha((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '_' || s[i] == '-' || s[i] == '.')
			sep++;
		else if (islower((unsigned char)s[i]))
			lower++;
		else if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return 0;
	}
	return sep > 0 || !lower || n <= 12;  /* "invalid_request" or "FORBIDDEN"; not "Unauthorized"? see caller */
}

/* "`code`" or "code" at s (and its length), then ':' or the end. */
int import_lead_code(const char *s, const char **code, size_t *n, const char **rest)
{
	int tick = *s == '`';
	const char *p = s + tick;
	size_t k = strcspn(p, tick ? "`" : " :\t");

	if (tick && p[k] != '`')
		return 0;
	if (!code_token(p, k) || (!tick && !strpbrk(p, "_")))  /* bare words are titles */
		return 0;
	*code = p;
	*n = k;
	p += k + tick;
	p += strspn(p, " ");
	if (*p && *p != ':' && *p != '-')
		return 0;
	p += *p ? 1 : 0;
	*rest = p + strspn(p, " ");
	return 1;
}

/* "400 - rest", "400: rest", "`400` rest": the status, and rest. */
static int status_lead(const char *s, int *status, const char **rest)
{
	const char *p = s + (*s == '`');

	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
	    isalnum((unsigned char)p[3]))
		return 0;
	*status = atoi(p);
	p += 3 + (p[3] == '`');
	p += strspn(p, " ");
	if (*p != '-' && *p != ':' && strncmp(p, "\xe2\x80\x93", 3))
		return 0;
	p += *p == '-' || *p == ':' ? 1 : 3;
	*rest = p + strspn(p, " ");
	return *status >= 100 && *status <= 599 && **rest;
}

/* A heading "404 not_found", "429 too many requests": an error status, a
 * space, then a code or words. */
static int heading_status(const char *s, int *status, const char **rest)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]) ||
	    s[3] != ' ' || (s[0] != '4' && s[0] != '5'))
		return 0;
	*status = atoi(s);
	*rest = s + 4 + strspn(s + 4, " ");
	return isalpha((unsigned char)**rest) || **rest == '`';
}

/* The n bytes at s without code ticks and emphasis, trimmed; a new string. */
char *import_untick(const char *s, size_t n)
{
	char *tmp = malloc(n + 1), *o = tmp, *out;
	size_t i;

	if (!tmp)
		return NULL;
	for (i = 0; i < n; i++)
		if (s[i] != '`' && s[i] != '*')
			*o++ = s[i];
	*o = '\0';
	out = strdup(import_trim(tmp));
	free(tmp);
	return out;
}

/* The one error status the text before table line t states, back to its
 * section's heading ("you may receive a `422 Unprocessable Entity`
 * response"), or 0 when it states none or several. */
int import_section_status(const struct doc *d, size_t t)
{
	int found = 0;
	size_t i = t;

	while (i-- > 0 && t - i < 40 && d->lines[i][0] != '#') {
		const char *p;

		for (p = d->lines[i]; *p; p++)
			if ((p[0] == '4' || p[0] == '5') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
			    (p == d->lines[i] || !isalnum((unsigned char)p[-1])) && (p[3] == ' ' || p[3] == '`') &&
			    (p == d->lines[i] || p[-1] == '`' || p[-1] == ' ')) {
				int st = atoi(p);

				if (found && found != st)
					return 0;
				found = st;
			}
	}
	return found;
}

/* Do the words around the number at p make it a status ("HTTP 400", "status
 * of 401", "`404`", "404 Not Found", "a 429 error")? "cannot exceed 500" does not. */
static int status_context(const char *l, const char *p)
{
	static const char *const before[] = { "HTTP ", "HTTP/1.1 ", "status ", "status of ", "status: ", "code ", "code: ",
						       "with ", "a ", "an ", "returns ", NULL };
	static const char *const after[] = { " HTTP", " status", " error", " response", " code", NULL };
	const char *reason = import_reason_phrase(atoi(p));
	size_t k, n;

	if ((p > l && p[-1] == '`') || p[3] == '`' || (p > l && p[-1] == '('))
		return 1;
	for (k = 0; before[k]; k++)
		if ((size_t)(p - l) >= (n = strlen(before[k])) && !strncasecmp(p - n, before[k], n))
			return 1;
	for (k = 0; after[k]; k++)
		if (!strncasecmp(p + 3, after[k], strlen(after[k])))
			return 1;
	n = strcspn(reason, " ");
	return p[3] == ' ' && !strncasecmp(p + 4, reason, n);
}

/* An error status stated in a line of prose ("returned with a 404 HTTP
 * status code"): a status with a reason phrase, not a digit group
 * ("65,536") or a decimal, not one another server answered; else 0. */
int import_status_in_text(const char *l)
{
	const char *p;

	if (strcasestr(l, "remote ") || strcasestr(l, "upstream") || strcasestr(l, "answered with"))
		return 0;
	for (p = l; *p; p++)
		if (isdigit((unsigned char)*p) && (p == l || !isalnum((unsigned char)p[-1])) &&
		    (p[0] == '4' || p[0] == '5') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
		    !isalnum((unsigned char)p[3]) && !((p[3] == '.' || p[3] == ',') && isdigit((unsigned char)p[4])) &&
		    !(p - l >= 2 && (p[-1] == '.' || p[-1] == ',') && isdigit((unsigned char)p[-2])) &&
		    import_reason_phrase(atoi(p)) && status_context(l, p))
			return atoi(p);
	return 0;
}

/* The text under heading line h, up to the next heading (at most 40 lines). */
static void below(struct doc *d, size_t h, int *status, int *retry)
{
	size_t i;

	for (i = h + 1; i < d->nr_lines && i < h + 40 && d->lines[i][0] != '#'; i++) {
		const char *l = d->lines[i];
		int r = import_retry_advice(l);

		if (*retry < 0)
			*retry = r;
		if (!*status)
			*status = import_status_in_text(l);
	}
}

static void add_entry(struct doc *d, size_t line, int st, const char *rest, const char *what)
{
	const char *code, *msg;
	size_t n;
	struct icode *ic;

	d->candidates++;
	if (st < 400) {
		d->candidates--;   /* a success or a redirect is no error entry */
		return;
	}
	if (import_lead_code(rest, &code, &n, &msg)) {
		char *c = strndup(code, n);

		ic = c ? import_find_code(d, c) : NULL;
		if (c && !ic && (ic = import_add_code(d, c))) {
			ic->status = st;
			ic->retry = *msg ? import_retry_advice(msg) : -1;
			if (*msg)
				ic->message = import_untick(msg, strlen(msg));
			import_explain(ic, "%s on line %zu: \"%d - %.60s\"", what, import_line(d, line), st, rest);
		}
		free(c);
		d->nr_read++;
		return;
	}
	{
		char *title = import_untick(rest, strcspn(rest, "|"));

		if (title && *title) {
			title[0] = (char)toupper((unsigned char)title[0]);
			import_add_status(d, st, title);
			d->nr_read++;
			import_found(d, "line %zu: %s \"%d - %.60s\" names no code: a status-only entry for %d",
				     import_line(d, line), what, st, title, st);
		}
		free(title);
	}
}

static char *first_text_below(const struct doc *d, size_t h);

/* A heading that is a code alone: "`card_declined`", "AccessDeniedException",
 * "account_closed {#account_closed}" (a kramdown anchor after it): the code
 * and its length, and whether it was ticked. */
int import_code_heading(const char *t, const char **code, size_t *n, int *ticked)
{
	const char *rest;
	size_t k = strcspn(t, " "), caps = 0, i;

	if (*t == '`')
		return (*ticked = 1) && import_lead_code(t, code, n, &rest) && (!*rest || !strncmp(rest, "{#", 2));
	*ticked = 0;
	if (t[k] && t[k + strspn(t + k, " ")] && strncmp(t + k + strspn(t + k, " "), "{#", 2))
		return 0;
	for (i = 0; i < k; i++) {
		if (!isalnum((unsigned char)t[i]) && t[i] != '_')
			return 0;
		caps += isupper((unsigned char)t[i]) != 0;
	}
	/* snake_case, or CamelCase with two capitals or more: no title word */
	if (k < 3 || k > 64 || !isalpha((unsigned char)t[0]) || (!memchr(t, '_', k) && (caps < 2 || caps == k)))
		return 0;
	*code = t;
	*n = k;
	return 1;
}

/* "-1000 UNKNOWN", "1003 TOO_MANY_REQUESTS": a numeric code leading a heading
 * and its name after it (the whole heading), or 0. */
static int numeric_heading(const char *t, size_t *n, const char **name, size_t *nn)
{
	const char *p = t + (*t == '-');
	size_t k = strspn(p, "0123456789");

	if (!k || k > 9 || p[k] != ' ')
		return 0;
	*n = (size_t)(p - t) + k;
	p += k + 1;
	*nn = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	*name = p;
	return *nn >= 3 && isupper((unsigned char)*p) && !p[*nn + strspn(p + *nn, " ")];
}

/* A numeric code heading: the number is the code, the word its name. */
static void heading_number(struct doc *d, size_t i, const char *t, size_t n, const char *name, size_t nn,
			   size_t series)
{
	int st = 0, retry = -1;
	struct icode *ic;
	char *c = strndup(t, n);

	below(d, i, &st, &retry);
	if (!c || (!st && !series) || import_find_code(d, c) || !(ic = import_add_code(d, c))) {
		free(c);
		return;
	}
	free(c);
	d->candidates++;
	d->nr_read++;
	ic->status = st;
	ic->retry = retry;
	ic->name = strndup(name, nn);
	ic->description = first_text_below(d, i);
	import_explain(ic, "the heading on line %zu, a number and its name", import_line(d, i));
}

/* snake_case or UPPER_CASE: no '.' (window.alert) and no Capital-Kebab (Cache-Control). */
static int snake(const char *s, size_t n)
{
	size_t i, lower = 0, upper = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '.' || s[i] == '-')
			return 0;
		lower += islower((unsigned char)s[i]) != 0;
		upper += isupper((unsigned char)s[i]) != 0;
	}
	return !lower || !upper;
}

/* A code heading, its status and retry advice below; with no status below,
 * an entry when it is one of a series of ticked code headings. */
static void heading_code(struct doc *d, size_t i, const char *code, size_t n, int ticked, size_t series)
{
	int st = 0, retry = -1;
	struct icode *ic;
	char *c;

	below(d, i, &st, &retry);
	if (!st && (!(ticked || memchr(code, '_', n)) || !snake(code, n)))
		return; /* a bare word, a header's or a function's name is a code only with a status below */
	if (!st && !series) {
		/* one code heading without a status: an entry missed only in a section on errors */
		d->candidates += import_about_errors(d, i);
		import_found(d, "line %zu: the heading `%.*s` gives no status in the text below it; not read",
			     import_line(d, i), (int)n, code);
		return;
	}
	d->candidates++;
	c = strndup(code, n);
	if (c && !import_find_code(d, c) && (ic = import_add_code(d, c))) {
		ic->status = st;
		ic->retry = retry;
		ic->description = first_text_below(d, i);
		if (st)
			import_explain(ic, "the heading on line %zu, with status %d in the text below it", import_line(d, i), st);
		else
			import_explain(ic, "the heading on line %zu, one of the page's %zu code headings", import_line(d, i), series);
		d->nr_read++;
	}
	free(c);
}

/* The first paragraph line under heading h, unticked (a new string), or NULL. */
static char *first_text_below(const struct doc *d, size_t h)
{
	size_t i;

	for (i = h + 1; i < d->nr_lines && i < h + 10 && d->lines[i][0] != '#'; i++) {
		const char *l = d->lines[i] + strspn(d->lines[i], " \t");

		if (*l && !strchr("|<{`", *l))
			return import_untick(l, strlen(l));
	}
	return NULL;
}

/* The code headings ("## `code`", "### account_closed {#account_closed}") of
 * the page: when there are three or more,
 * each is an entry even with no status below it (the rules infer one). */
static size_t code_headings(const struct doc *d)
{
	const char *code, *t;
	size_t i, k, n = 0, nn;
	int ticked;

	for (i = 0; i < d->nr_lines; i++) {
		if (d->lines[i][0] != '#')
			continue;
		t = d->lines[i] + strspn(d->lines[i], "#");
		t += strspn(t, " ");
		n += (import_code_heading(t, &code, &k, &ticked) && (ticked || memchr(code, '_', k)) && snake(code, k)) ||
		     numeric_heading(t, &k, &code, &nn);
	}
	return n >= 3 ? n : 0;
}

/* Where a glued status begins at s[i]: "400Bad", "504Server", "500, 502, 503, 504Server". */
static int glued_status_at(const char *s, size_t i, size_t *len)
{
	size_t k = i;

	if (i && isdigit((unsigned char)s[i - 1]))
		return 0;
	for (;;) {
		if (!isdigit((unsigned char)s[k]) || !isdigit((unsigned char)s[k + 1]) || !isdigit((unsigned char)s[k + 2]) ||
		    s[k] < '1' || s[k] > '5')
			return 0;
		k += 3;
		if (isupper((unsigned char)s[k])) {
			*len = k - i;
			return 1;
		}
		if (s[k] != ',' || s[k + 1] != ' ')
			return 0;
		k += 2;
	}
}

/* A paragraph that a copy glued into "200OKEverything worked...400Bad Request..." */
static void glued_summary(struct doc *d, size_t first, const char *p)
{
	size_t i, len, at[64], lens[64], n = 0;

	for (i = 0; p[i] && n < 64; i++)
		if (glued_status_at(p, i, &len)) {
			at[n] = i;
			lens[n++] = len;
			i += len - 1;
		}
	if (n < 3)
		return;
	for (i = 0; i < n; i++) {
		const char *seg = p + at[i] + lens[i], *end = i + 1 < n ? p + at[i + 1] : seg + strlen(seg);
		size_t r = 1, k;
		char reason[128];

		while (seg + r < end && !(islower((unsigned char)seg[r - 1]) && isupper((unsigned char)seg[r])) &&
		       seg[r] != '[' && seg[r] != '(')
			r++;
		if (!strncmp(seg, "OK", 2) && r > 2 && isupper((unsigned char)seg[2]))
			r = 2;
		r = utf8_cut(seg, r, sizeof(reason) - 1);  /* a whole character last */
		snprintf(reason, sizeof(reason), "%.*s", (int)r, seg);
		for (k = at[i]; k < at[i] + lens[i]; k += 5) {
			int st = atoi(p + k);

			if (st < 400)
				continue;
			d->candidates++;
			d->nr_read++;
			import_add_status(d, st, import_trim(reason));
		}
	}
	import_found(d, "line %zu: a status summary glued together (%zu statuses): status-only entries",
		     import_line(d, first), n);
}

static void glued_paragraphs(struct doc *d)
{
	size_t i = 0, k;

	while (i < d->nr_lines) {
		char *p;
		size_t len = 0;

		if (!d->lines[i][0] || d->lines[i][0] == '#' || d->lines[i][0] == '|' || d->lines[i][0] == '`') {
			i++;
			continue;
		}
		for (k = i; k < d->nr_lines && d->lines[k][0]; k++)
			len += strlen(d->lines[k]) + 1;
		if ((p = malloc(len + 1))) {
			p[0] = '\0';
			for (len = 0; i < k; i++) {
				len += (size_t)sprintf(p + len, "%s%s", len ? " " : "", d->lines[i]);
			}
			glued_summary(d, i, p);
			free(p);
		}
		i = k;
	}
}

/* The first quoted text followed by "error message" or "message" in the
 * section under heading h ("a \"Problems parsing JSON\" error message"). */
static char *quoted_message(const struct doc *d, size_t h)
{
	size_t i;

	for (i = h + 1; i < d->nr_lines && i < h + 40 && d->lines[i][0] != '#'; i++) {
		const char *p = d->lines[i], *q, *e;

		while ((q = strchr(p, '"')) && (e = strchr(q + 1, '"'))) {
			const char *after = e + 1 + strspn(e + 1, " ");

			if (e - q > 2 && e - q < 120 && (!strncmp(after, "error message", 13) || !strncmp(after, "message", 7)))
				return strndup(q + 1, (size_t)(e - q - 1));
			p = e + 1;
		}
	}
	return NULL;
}

/* An entry's name from its heading: "Problems parsing JSON" -> problems_parsing_json. */
static char *slug(const char *t)
{
	char *out = malloc(48), *o = out;

	if (!out)
		return NULL;
	for (; *t && o < out + 40; t++) {
		if (isalnum((unsigned char)*t))
			*o++ = (char)tolower((unsigned char)*t);
		else if (o > out && o[-1] != '_')
			*o++ = '_';
	}
	while (o > out && o[-1] == '_')
		o--;
	*o = '\0';
	return out;
}

/* "## Problems parsing JSON" over text that gives a status and the error's
 * message: an entry the page names by its message, not by a code. */
static void heading_title(struct doc *d, size_t i, const char *t)
{
	char *msg = quoted_message(d, i), *name, *clean = import_untick(t, strlen(t));
	int st = 0, retry = -1;
	const char *p;
	struct icode *ic;

	if (!clean) {
		free(msg);
		return;
	}
	/* a status in the heading itself: "`404 Not Found` for an existing resource" */
	for (p = clean; *p && !st; p++)
		if ((p[0] == '4' || p[0] == '5') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
		    p[3] == ' ' && isupper((unsigned char)p[4]) && (p == clean || p[-1] == ' ')) {
			st = atoi(p);
			if (!msg && import_status_meaning(d, st)) {
				/* a section on a status the page's table lists: no entry of its own */
				import_found(d, "line %zu: the heading '%.60s' is about %d, which the page lists; no entry of its own",
					     import_line(d, i), clean, st);
				free(clean);
				return;
			}
			if (!msg) {
				size_t n = 0;

				while (p[4 + n] && (isalpha((unsigned char)p[4 + n]) || (p[4 + n] == ' ' && isupper((unsigned char)p[5 + n]))))
					n++;
				msg = strndup(p + 4, n);
			}
		}
	{
		int under = 0;

		below(d, i, &under, &retry);
		if (!st)
			st = under;
	}
	/* the name leaves out a status the heading starts with */
	p = clean + (isdigit((unsigned char)clean[0]) ? strspn(clean, "0123456789 ") : 0);
	name = st && msg ? slug(p) : NULL;
	if (!name || !*name || !import_valid_code(name)) {
		free(name);
		free(msg);
		free(clean);
		return;
	}
	d->candidates++;
	if (!import_find_code(d, name) && (ic = import_add_code(d, name))) {
		ic->status = st;
		ic->retry = retry;
		ic->message = msg;
		msg = NULL;
		d->by_message++;
		import_infer(ic, "code", "the page names this error by its heading and message, not by a code; errata names the entry after the heading");
		import_explain(ic, "the heading on line %zu (\"%.60s\"), with status %d and the message in the text below it",
			       import_line(d, i), clean, st);
		d->nr_read++;
	}
	free(name);
	free(msg);
	free(clean);
}

/* A response shown as its status line, first in a code block ("```" then
 * "416 Requested Range Not Satisfiable"): a listed status. */
static void status_block(struct doc *d, size_t i)
{
	const char *l = i + 1 < d->nr_lines ? d->lines[i + 1] : "";
	int st = isdigit((unsigned char)l[0]) && isdigit((unsigned char)l[1]) && isdigit((unsigned char)l[2]) &&
		 l[3] == ' ' && isupper((unsigned char)l[4]) ? atoi(l) : 0;

	if (st >= 400 && st <= 599 && import_reason_phrase(st) && !import_status_meaning(d, st)) {
		import_add_status(d, st, l + 4);
		import_found(d, "line %zu: a response shown by its status line: %d", import_line(d, i + 1), st);
	}
}

/* Statuses named together as errors in prose ("If a 502, 503 or 504 error is
 * received"): listed statuses, at least two in one list. */
static void prose_statuses(struct doc *d, size_t i)
{
	const char *l = d->lines[i], *p = l, *q;
	int list[8], n;

	for (; *p; p++) {
		if (!isdigit((unsigned char)*p) || (p > l && isalnum((unsigned char)p[-1])))
			continue;
		for (n = 0, q = p; n < 8 && (q[0] == '4' || q[0] == '5') && isdigit((unsigned char)q[1]) &&
		     isdigit((unsigned char)q[2]) && !isalnum((unsigned char)q[3]);) {
			list[n++] = atoi(q);
			q += 3;
			q += strspn(q, ", /");
			if (!strncmp(q, "or ", 3) || !strncmp(q, "and ", 4))
				q += q[0] == 'o' ? 3 : 4;
		}
		if (n >= 2 && (!strncmp(q, "error", 5) || !strncmp(q, "response", 8))) {
			while (n--)
				if (import_reason_phrase(list[n]) && !import_status_meaning(d, list[n])) {
					import_add_status(d, list[n], import_reason_phrase(list[n]));
					import_found(d, "line %zu: %d named as an error in the text", import_line(d, i), list[n]);
				}
			return;
		}
		p = q > p ? q - 1 : p;
	}
}

void import_read_layouts(struct doc *d)
{
	size_t i, series = code_headings(d);

	for (i = 0; i < d->nr_lines; i++) {
		const char *l = d->lines[i], *rest, *t, *code;
		size_t n, nn;
		int st, k, ticked;

		if (l[0] == '#') {
			t = l + strspn(l, "#");
			t += strspn(t, " ");
			if (status_lead(t, &st, &rest) || heading_status(t, &st, &rest))
				add_entry(d, i, st, rest, "the heading");
			else if (import_code_heading(t, &code, &n, &ticked))
				heading_code(d, i, code, n, ticked, series);
			else if (numeric_heading(t, &n, &code, &nn))
				heading_number(d, i, t, n, code, nn, series);
			else if ((l[1] == '#' && l[2] == ' ') || (l[1] == '#' && l[2] == '#' && l[3] == ' '))
				heading_title(d, i, t);
		} else if ((l[strspn(l, " ")] == '-' || l[strspn(l, " ")] == '*') && l[strspn(l, " ") + 1] == ' ') {
			t = l + strspn(l, " ") + 2;
			if (status_lead(t, &st, &rest))
				add_entry(d, i, st, rest, "the bullet");
			else
				import_code_bullet(d, i, t);
		} else if (!strncmp(l, "```", 3)) {
			status_block(d, i);
		} else if (l[0] == '`' && i + 1 < d->nr_lines && !strncmp(d->lines[i + 1], ": ", 2)) {
			import_definition(d, i);
		} else if (l[0] == '|' && i > 1) {
			/* a table whose first column leads with a status, whatever its name */
			t = l + 1 + strspn(l + 1, " ");
			for (k = 0; t[k] && t[k] != '|'; k++)
				;
			if (status_lead(t, &st, &rest))
				add_entry(d, i, st, rest, "the table row");
		} else {
			prose_statuses(d, i);
		}
	}
	glued_paragraphs(d);
	import_read_terms(d);
}
