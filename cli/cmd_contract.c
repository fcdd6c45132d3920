/*
 * errata contract lint|show: validate contract files and print their codes
 * as the documents show them, with inferred values marked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "../model/contract.h"
#include "../model/envelope.h"
#include "../model/version.h"

static const char usage[] =
	"usage: errata contract lint FILE...\n"
	"       errata contract show ID|FILE\n"
	"       errata contract import DOC [--id ID] [-o FILE]\n"
	"       errata contract diff OLD NEW\n"
	"       errata contract docs ID|FILE [--format md|html] [-o FILE]\n"
	"\n"
	"lint  validate each contract; errors are printed as file:line:col: message.\n"
	"      Exit 0 when all are valid, 1 when any is not, 2 on a usage error.\n"
	"show  print the codes of a bundled contract (by id) or of a file as a table;\n"
	"      values the document does not state are marked '*', with the reasons below.\n"
	"import  read an error reference (Markdown, text copied from a docs page, or\n"
	"      HTML) and write a contract; every value the document does not state is\n"
	"      marked inferred, and its inconsistencies are printed as warnings.\n"
	"      Exit 0 when written, 2 when the document holds no codes errata can read.\n"
	"diff  list added and removed codes and changes of status, retry safety,\n"
	"      message and envelope, each marked BREAKING or ok. Exit 1 when any\n"
	"      change is breaking, 0 when none is, 2 on an error.\n"
	"docs  render the reference table (code, status, domain, retry, message) and\n"
	"      the envelope as Markdown or HTML; import reads it back.\n";

static int lint(int argc, char **argv)
{
	int i, bad = 0;

	if (argc < 1)
		return usage_fail("contract", "lint needs at least one FILE");
	for (i = 0; i < argc; i++) {
		struct load_error err;
		struct contract *c = contract_load(argv[i], &err);
		char msg[600];

		if (!c) {
			load_error_format(&err, msg, sizeof(msg));
			fprintf(stderr, "%s\n", msg);
			bad = 1;
			continue;
		}
		printf("%s: ok (%s, %zu codes%s)\n", argv[i], c->id, c->nr_documented,
		       c->nr_codes > c->nr_documented ? ", plus status-only entries" : "");
		contract_free(c);
	}
	return bad;
}

/* A cell, marked '*' when the document does not state it. */
static void cell(char *buf, size_t size, const struct contract_code *cc,
		 const char *field, const char *text)
{
	snprintf(buf, size, "%s%s", text, contract_code_inferred(cc, field) ? "*" : "");
}

#define COLS 7

static void show_table(const struct contract *c)
{
	static const char *const heads[COLS] = {
		"Code", "Name", "Status", "Domain", "Retry?", "Role", "Message"
	};
	char cells[COLS][256];
	size_t width[COLS] = { 0 }, i;
	int col, has_name = 0, has_domain = 0, pass;

	for (i = 0; i < c->nr_codes; i++) {
		has_name |= c->codes[i].name != NULL;
		has_domain |= c->codes[i].domain || c->codes[i].category;
	}
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i <= c->nr_codes; i++) {
			const struct contract_code *cc = i ? &c->codes[i - 1] : NULL;
			char st[16];

			for (col = 0; col < COLS; col++)
				snprintf(cells[col], sizeof(cells[col]), "%s", heads[col]);
			if (cc) {
				snprintf(st, sizeof(st), "%d", cc->status);
				cell(cells[0], 256, cc, "code", cc->code);
				cell(cells[1], 256, cc, "name", cc->name ? cc->name : "");
				cell(cells[2], 256, cc, "status", st);
				snprintf(cells[3], 256, "%s", cc->domain ? cc->domain :
					 cc->category ? cc->category : "");
				cell(cells[4], 256, cc, "retryable", cc->retryable ? "Yes" : "No");
				snprintf(cells[5], 256, "%s", role_name(cc->role));
				cell(cells[6], 256, cc, "message", cc->message);
			} else if (!c->codes[0].domain && has_domain) {
				snprintf(cells[3], 256, "Category");
			}
			for (col = 0; col < COLS; col++) {
				size_t n = strlen(cells[col]);

				if ((col == 1 && !has_name) || (col == 3 && !has_domain))
					continue;
				if (pass == 0) {
					if (n > width[col])
						width[col] = n;
					continue;
				}
				if (col == COLS - 1)
					printf("%s\n", cells[col]);
				else
					printf("%-*s  ", (int)width[col], cells[col]);
			}
		}
	}
}

static int show(int argc, char **argv)
{
	struct load_error err;
	struct contract *c;
	char msg[600], *env;
	const char *key;
	json_t *v;
	size_t i;
	int n = 0;

	if (argc != 1)
		return usage_fail("contract", "show takes one ID or FILE");
	c = contract_open(argv[0], &err);
	if (!c) {
		load_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	env = json_dumps(c->error_envelope, JSON_COMPACT);
	printf("%s: %s\n", c->id, c->title);
	printf("source: %s\n", c->source);
	printf("codes: %zu documented", c->nr_documented);
	if (c->nr_codes > c->nr_documented)
		printf(", %zu status-only", c->nr_codes - c->nr_documented);
	printf("; content type %s; messages %s\n", c->content_type,
	       c->messages_fixed ? "fixed" : "may vary");
	printf("error envelope: %s\n", env ? env : "?");
	printf("retry: by %s, statuses", c->retry_basis_code ? "code" : "status");
	for (i = 0; i < c->nr_retry_statuses; i++)
		printf(" %d", c->retry_statuses[i]);
	printf("; Retry-After %s; idempotency header %s\n\n",
	       c->honour_retry_after ? "honoured" : "not honoured",
	       c->idempotency_header ? c->idempotency_header : "none");
	free(env);
	show_table(c);

	printf("\n* inferred (the document does not state it):\n");
	if (c->inferred)
		json_object_foreach(c->inferred, key, v) {
			printf("  %s: %s\n", key, json_string_value(v));
			n++;
		}
	for (i = 0; i < c->nr_codes; i++) {
		if (!c->codes[i].inferred)
			continue;
		json_object_foreach(c->codes[i].inferred, key, v) {
			printf("  %s %s: %s\n", c->codes[i].code, key, json_string_value(v));
			n++;
		}
	}
	if (!n)
		printf("  nothing\n");
	if (c->inconsistencies && json_array_size(c->inconsistencies)) {
		printf("\ninconsistencies in the document:\n");
		json_array_foreach(c->inconsistencies, i, v)
			printf("  - %s\n", json_string_value(v));
	}
	contract_free(c);
	return 0;
}

int cmd_contract(int argc, char **argv)
{
	if (argc < 2)
		return usage_fail("contract", "give a subcommand: lint, show, import, diff or docs");
	if (is_help(argv[1])) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("errata %s\n", ERRATA_VERSION);
		return 0;
	}
	if (argc > 2 && is_help(argv[2])) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "lint"))
		return lint(argc - 2, argv + 2);
	if (!strcmp(argv[1], "show"))
		return show(argc - 2, argv + 2);
	if (!strcmp(argv[1], "import"))
		return contract_import_cmd(argc - 2, argv + 2);
	if (!strcmp(argv[1], "diff"))
		return contract_diff_cmd(argc - 2, argv + 2);
	if (!strcmp(argv[1], "docs"))
		return contract_docs_cmd(argc - 2, argv + 2);
	return usage_fail("contract", "unknown subcommand '%s' (lint, show, import, diff or docs)", argv[1]);
}
