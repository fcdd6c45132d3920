/*
 * Retry-After and HTTP-date parsing and formatting, by hand rather than with
 * strptime(), so that neither the locale nor the time zone can change a
 * verdict.
 */
#include <stdio.h>
#include <string.h>

#include "retry_after.h"

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};
static const char *const days[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const long_days[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"
};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int days_in_month(long long y, int m)
{
	static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : n[m - 1];
}

/* Read exactly n digits. */
static int digits(const char **s, int n, int *out)
{
	int v = 0;

	while (n--) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (*(*s)++ - '0');
	}
	*out = v;
	return 0;
}

static int lit(const char **s, const char *want)
{
	size_t n = strlen(want);

	if (strncmp(*s, want, n))
		return -1;
	*s += n;
	return 0;
}

static int name(const char **s, const char *const *table, int count)
{
	int i;

	for (i = 0; i < count; i++)
		if (!lit(s, table[i]))
			return i;
	return -1;
}

/* "HH:MM:SS" */
static int time_of_day(const char **s, int *h, int *mi, int *sec)
{
	if (digits(s, 2, h) || lit(s, ":") || digits(s, 2, mi) || lit(s, ":") ||
	    digits(s, 2, sec))
		return -1;
	return *h > 23 || *mi > 59 || *sec > 60 ? -1 : 0;
}

static int parse_date(const char *s, time_t now, time_t *out, enum http_date_form *form)
{
	const char *p = s;
	int day = 0, mon, year = 0, h, mi, sec;
	long long y;

	if (name(&p, long_days, 7) >= 0 && !lit(&p, ", ")) {
		/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
		int yy;
		struct tm tm;
		long long cur;

		if (digits(&p, 2, &day) || lit(&p, "-") ||
		    (mon = name(&p, months, 12)) < 0 || lit(&p, "-") ||
		    digits(&p, 2, &yy) || lit(&p, " ") || time_of_day(&p, &h, &mi, &sec) ||
		    lit(&p, " GMT") || *p)
			return -1;
		/* RFC 9110 5.6.7: a year more than 50 years ahead is in the past */
		gmtime_r(&now, &tm);
		cur = 1900LL + tm.tm_year;
		y = cur - cur % 100 + yy;
		if (y > cur + 50)
			y -= 100;
		*form = HTTP_DATE_RFC850;
	} else {
		p = s;
		if (name(&p, days, 7) < 0)
			return -1;
		if (!lit(&p, ", ")) {
			/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
			if (digits(&p, 2, &day) || lit(&p, " ") ||
			    (mon = name(&p, months, 12)) < 0 || lit(&p, " ") ||
			    digits(&p, 4, &year) || lit(&p, " ") ||
			    time_of_day(&p, &h, &mi, &sec) || lit(&p, " GMT") || *p)
				return -1;
			*form = HTTP_DATE_IMF;
		} else if (!lit(&p, " ")) {
			/* asctime: Sun Nov  6 08:49:37 1994 */
			if ((mon = name(&p, months, 12)) < 0 || lit(&p, " "))
				return -1;
			if (*p == ' ') {
				p++;
				if (digits(&p, 1, &day))
					return -1;
			} else if (digits(&p, 2, &day)) {
				return -1;
			}
			if (lit(&p, " ") || time_of_day(&p, &h, &mi, &sec) || lit(&p, " ") ||
			    digits(&p, 4, &year) || *p)
				return -1;
			*form = HTTP_DATE_ASCTIME;
		} else {
			return -1;
		}
		y = year;
	}
	if (day < 1 || day > days_in_month(y, mon + 1))
		return -1;
	*out = (time_t)(days_from_civil(y, (unsigned)mon + 1, (unsigned)day) * 86400LL +
			h * 3600LL + mi * 60LL + sec);
	return 0;
}

int http_date_parse(const char *s, time_t *out, enum http_date_form *form)
{
	enum http_date_form f;

	return parse_date(s, time(NULL), out, form ? form : &f);
}

int retry_after_parse(const char *value, time_t now, struct retry_after *out,
		      const char **why)
{
	char buf[64];
	const char *s = value, *e;
	size_t n;
	const char *dummy;

	if (!why)
		why = &dummy;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	n = (size_t)(e - s);
	if (!n) {
		*why = "empty value";
		return -1;
	}
	memset(out, 0, sizeof(*out));
	if (*s >= '0' && *s <= '9') {
		long long v = 0;
		const char *p;

		for (p = s; p < e && *p >= '0' && *p <= '9'; p++) {
			v = v * 10 + (*p - '0');
			if (v > RETRY_AFTER_CLAMP) /* a huge value stays huge, never overflows */
				v = RETRY_AFTER_CLAMP;
		}
		if (p < e) {
			*why = *p == '.' || *p == ',' ?
			       "fractional seconds are not delay-seconds" :
			       "not delay-seconds (digits only) or an HTTP-date";
			return -1;
		}
		out->seconds = v;
		return 0;
	}
	if (*s == '-' || *s == '+') {
		*why = "a signed number is not delay-seconds";
		return -1;
	}
	if (n >= sizeof(buf)) {
		*why = "not delay-seconds or an HTTP-date";
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (parse_date(buf, now, &out->date, &out->form)) {
		*why = "not delay-seconds or an HTTP-date";
		return -1;
	}
	out->is_date = 1;
	out->seconds = (long long)out->date - (long long)now;
	return 0;
}

const char *retry_after_misread(const struct retry_after *ra)
{
	if (ra->is_date && ra->seconds < 0)
		return "a date in the past: clients retry at once or not at all";
	if (ra->seconds > RETRY_AFTER_HUGE)
		return "a delay over six hours: clients cap it or give up";
	if (ra->is_date && ra->form != HTTP_DATE_IMF)
		return "an obsolete date form: senders must generate IMF-fixdate";
	return NULL;
}

int http_date_format(time_t t, char buf[HTTP_DATE_SIZE])
{
	struct tm tm;

	buf[0] = '\0';
	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -1;
	snprintf(buf, HTTP_DATE_SIZE, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
		 tm.tm_mday, months[tm.tm_mon], 1900 + tm.tm_year, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	return 0;
}
