/*
 * What errata proxy and errata serve --inject found, through errata
 * check's report writers: on GET /__errata/report and when they stop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"
#include "../harness/passive.h"

/* GET /__errata/report: the findings through the report writers. */
char *findings_render(void *ctx, struct mock *m, const char *format, size_t *len, const char **type,
		    char *why, size_t size)
{
	struct findings_ctx *px = ctx;
	const struct report_format *rf = report_format_find(format);
	struct proxy_findings pf;
	struct passive_run p;
	char *buf = NULL, names[100];
	FILE *f;

	if (!rf) {
		report_formats_list(names, sizeof(names));
		snprintf(why, size, "format is one of %s", names);
		return NULL;
	}
	memset(&pf, 0, sizeof(pf));
	if (mock_proxy_findings(m, &pf) || passive_run_build(&p, px->contract, &pf, &px->red) ||
	    !(f = open_memstream(&buf, len))) {
		passive_run_release(&p);
		json_decref(pf.chaos);
		return NULL;
	}
	rf->write(f, &p.run, &px->meta);
	*type = rf->media_type;
	fclose(f);
	passive_run_release(&p);
	json_decref(pf.chaos);
	return buf;
}

int findings_finish(struct mock *m, struct findings_ctx *px, const struct report_opts *ro)
{
	struct proxy_findings f;
	struct passive_run p;
	int rc;

	memset(&f, 0, sizeof(f));
	if (mock_proxy_findings(m, &f) || passive_run_build(&p, px->contract, &f, &px->red)) {
		fprintf(stderr, "errata %s: out of memory writing the reports\n", px->meta.tool);
		json_decref(f.chaos);
		return 1;
	}
	rc = report_write_all(ro, &p.run, &px->meta) ? 1 : p.run.failed || p.run.errors ? 1 : 0;
	if (f.conformance)
		fprintf(stderr, "errata proxy: %llu forwarded, %llu injected, %llu upstream failures; "
			"%llu upstream error responses judged, %llu broke the contract\n",
			f.forwarded, f.injected, f.upstream_failed, f.observed, f.violating);
	if (f.chaos)
		fprintf(stderr, "errata %s: %lld injected errors judged: %lld passed, %lld failed, %lld waiting for a retry\n",
			px->meta.tool, (long long)json_integer_value(json_object_get(f.chaos, "judged")),
			(long long)json_integer_value(json_object_get(f.chaos, "passed")),
			(long long)json_integer_value(json_object_get(f.chaos, "failed")),
			(long long)json_integer_value(json_object_get(f.chaos, "waiting")));
	passive_run_release(&p);
	json_decref(f.chaos);
	return rc;
}

