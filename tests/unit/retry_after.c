/*
 * Retry-After and HTTP-date: a table of inputs, the three date forms RFC 9110
 * asks recipients to accept, and the values clients misread.
 */
#include "test.h"
#include "../../model/retry_after.h"

#define NOW ((time_t)784111777) /* Sun, 06 Nov 1994 08:49:37 GMT */

enum { BAD = -1, SECS, DATE };

static const struct {
	const char *in;
	int kind;
	long long seconds;
	int misread;
} cases[] = {
	{ "0", SECS, 0, 0 },
	{ "120", SECS, 120, 0 },
	{ " 5\t", SECS, 5, 0 },
	{ "007", SECS, 7, 0 },
	{ "21600", SECS, 21600, 0 },
	{ "21601", SECS, 21601, 1 },
	{ "99999999999999999999999", SECS, 1000000000000000LL, 1 },
	{ "Sun, 06 Nov 1994 08:49:37 GMT", DATE, 0, 0 },
	{ "Sun, 06 Nov 1994 08:50:37 GMT", DATE, 60, 0 },
	{ "Sunday, 06-Nov-94 08:50:37 GMT", DATE, 60, 1 },
	{ "Sun Nov  6 08:50:37 1994", DATE, 60, 1 },
	{ "Sun Nov 16 08:49:37 1994", DATE, 864000, 1 },
	{ "Sat, 05 Nov 1994 08:49:37 GMT", DATE, -86400, 1 },
	{ "Thu, 29 Feb 1996 00:00:00 GMT", DATE, 41440223, 1 },
	{ "", BAD, 0, 0 },
	{ "   ", BAD, 0, 0 },
	{ "1.5", BAD, 0, 0 },
	{ "1,5", BAD, 0, 0 },
	{ "-1", BAD, 0, 0 },
	{ "+1", BAD, 0, 0 },
	{ "1e3", BAD, 0, 0 },
	{ "0x10", BAD, 0, 0 },
	{ "1 2", BAD, 0, 0 },
	{ "soon", BAD, 0, 0 },
	{ "sun, 06 Nov 1994 08:49:37 GMT", BAD, 0, 0 },
	{ "Sun, 06 nov 1994 08:49:37 GMT", BAD, 0, 0 },
	{ "Sun, 6 Nov 1994 08:49:37 GMT", BAD, 0, 0 },
	{ "Sun, 06 Nov 94 08:49:37 GMT", BAD, 0, 0 },
	{ "Sun, 06 Nov 1994 08:49:37 UTC", BAD, 0, 0 },
	{ "Sun, 06 Nov 1994 08:49:37", BAD, 0, 0 },
	{ "Sun, 06 Nov 1994 08:49:37 GMT junk", BAD, 0, 0 },
	{ "Sun, 31 Nov 1994 08:49:37 GMT", BAD, 0, 0 },
	{ "Thu, 29 Feb 2001 00:00:00 GMT", BAD, 0, 0 },
	{ "Sun, 06 Nov 1994 24:00:00 GMT", BAD, 0, 0 },
	{ "Sun, 06 Nov 1994 08:60:00 GMT", BAD, 0, 0 },
	{ "Sun, 00 Nov 1994 08:49:37 GMT", BAD, 0, 0 },
	{ "Sun Nov 6 08:49:37 1994", BAD, 0, 0 },
	{ "Sunday, 06-Nov-1994 08:49:37 GMT", BAD, 0, 0 },
	{ "Funday, 06-Nov-94 08:49:37 GMT", BAD, 0, 0 },
};

static void test_table(struct tap *t)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct retry_after ra;
		const char *why = NULL;
		int rc = retry_after_parse(cases[i].in, NOW, &ra, &why);

		if (cases[i].kind == BAD) {
			tap_ok(t, rc == -1 && why && *why, "'%s' is rejected (%s)", cases[i].in,
			       why ? why : "accepted");
			continue;
		}
		tap_ok(t, rc == 0 && ra.is_date == (cases[i].kind == DATE) &&
		       ra.seconds == cases[i].seconds &&
		       (retry_after_misread(&ra) != NULL) == cases[i].misread,
		       "'%s' is %s %lld s%s (got %s, %lld s, %s)", cases[i].in,
		       cases[i].kind == DATE ? "a date" : "delay", cases[i].seconds,
		       cases[i].misread ? ", misread" : "",
		       rc ? why : ra.is_date ? "date" : "delay", rc ? 0 : ra.seconds,
		       rc ? "-" : retry_after_misread(&ra) ? retry_after_misread(&ra) : "fine");
	}
}

/* RFC 9110 5.6.7: a two-digit year more than 50 years ahead is in the past. */
static void test_two_digit_year(struct tap *t)
{
	time_t now2026 = 1795305600; /* Sun, 22 Nov 2026 00:00:00 GMT */
	struct retry_after ra;
	char buf[HTTP_DATE_SIZE];

	tap_ok(t, !retry_after_parse("Thursday, 01-Jan-70 00:00:00 GMT", now2026, &ra, NULL) &&
	       (http_date_format(ra.date, buf), !strcmp(buf, "Wed, 01 Jan 2070 00:00:00 GMT")),
	       "RFC 850 '70' read in 2026 is 2070 (within 50 years)");
	tap_ok(t, !retry_after_parse("Saturday, 01-Jan-77 00:00:00 GMT", now2026, &ra, NULL) &&
	       (http_date_format(ra.date, buf), !strcmp(buf, "Sat, 01 Jan 1977 00:00:00 GMT")),
	       "RFC 850 '77' read in 2026 is 1977 (2077 is over 50 years ahead)");
}

static void test_format(struct tap *t)
{
	static const struct {
		time_t when;
		const char *text;
	} dates[] = {
		{ 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
		{ 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
		{ 951782400, "Tue, 29 Feb 2000 00:00:00 GMT" },
		{ 4102444799, "Thu, 31 Dec 2099 23:59:59 GMT" },
	};
	size_t i;

	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		char buf[HTTP_DATE_SIZE];
		time_t back = -1;
		enum http_date_form form = HTTP_DATE_ASCTIME;

		http_date_format(dates[i].when, buf);
		tap_ok(t, !strcmp(buf, dates[i].text) && !http_date_parse(buf, &back, &form) &&
		       back == dates[i].when && form == HTTP_DATE_IMF,
		       "%lld formats as '%s' and parses back", (long long)dates[i].when, dates[i].text);
	}
}

int main(void)
{
	struct tap t;

	tap_init(&t, stdout, TAP_VERSION_TESTS);
	test_table(&t);
	test_two_digit_year(&t);
	test_format(&t);
	return tap_done(&t) ? 1 : 0;
}
