#ifndef ERRATA_IMPORT_DOC_H
#define ERRATA_IMPORT_DOC_H
/*
 * What errata contract import reads from a page (import_read.c) and the
 * rules fill in (import.c): internal to the two.
 */
#include <jansson.h>

#include "../model/jload.h"

#define MAX_CODES 512
#define MAX_CELLS 12

struct icode {
	char *code, *name, *message, *description, *domain, *category, *resolution;
	char *type;              /* the body's type member (format 2), or NULL */
	json_t *body_code;       /* what the body carries as the code, when not the code */
	json_t *wire;            /* body, headers, forbidden_headers (a docs page's Wire column) */
	int retry_after;         /* 0 unknown, 1 not sent, 2 sent (a Retry-After column) */
	int status;              /* 0 until known */
	int retry;               /* -1 until known */
	int status_only;
	int category_col;        /* the category came from a Category column */
	int role_col;            /* the role came from a Role column */
	int table;               /* the table it came from (1, 2, ...), or 0 */
	size_t section;          /* the line after its table's top section heading ("## Gateway"), or 0 */
	int role;
	json_t *details, *extra; /* from an example */
	json_t *inferred;        /* field -> reason */
	json_t *why;             /* --explain: how each value was found */
};

struct istatus {
	int status;
	char *meaning;
};

struct doc {
	char *text;              /* the (converted) document, NUL-terminated */
	char **lines;            /* into a copy of text, one per line */
	size_t *offs;            /* each line's offset in text */
	size_t nr_lines;
	size_t *src_line;        /* line -> the page's line, or NULL (the same) */
	size_t nr_src_line;
	char *linebuf;
	char **owned;            /* lines rewritten (grid.c), freed with the doc */
	size_t nr_owned;
	struct icode codes[MAX_CODES];
	size_t nr_codes;
	size_t nr_dropped;       /* codes past MAX_CODES, not read */
	size_t nr_tables;
	size_t nr_seen_tables;   /* tables seen, read or not */
	size_t nr_status_tables; /* tables of error statuses without codes */
	size_t nr_terms;         /* codes as terms of a definition list */
	int has_retry_col, has_message_col, has_resolution_col;
	struct istatus statuses[200];  /* every status 100-599 fits */
	size_t nr_statuses;
	json_t *examples;        /* array of the JSON objects the page shows */
	json_t *example_status;  /* ... and the status of each (an HTTP/1.1 line above it), or 0 */
	json_t *warnings;        /* array of strings: the inconsistencies */
	json_t *notes;           /* what the importer could not read (warnings only) */
	json_t *found;           /* what the importer read, and what it set aside */
	json_t *envelope;        /* a template a structured source gives, or NULL */
	json_t *settings;        /* the settings block errata contract docs writes, or NULL */
	int structured;          /* codes come from a description, not from prose */
	int message_only;        /* the examples show a message and no code: the
				  * envelope carries none (entries told apart by status) */
	int xml;                 /* its error example is XML (S3, Azure) */
	int int_codes;           /* its examples carry the code as an integer (Discord's 50014) */
	size_t candidates;       /* error entries the page visibly shows */
	size_t nr_read;          /* ... and those the layouts read */
	size_t by_message;       /* entries the page names by heading and message */
};

/* A document over `text` (taken, even on failure), or NULL. */
struct doc *import_doc_new(char *text);
void import_doc_free(struct doc *d);
/* The contract from what was read into d, or NULL when it holds no code. */
json_t *import_build(struct doc *d, const char *source, const char *id);
void import_add_status(struct doc *d, int status, const char *meaning);
/* 0 when the contract *c loads; else -1, *c released, err set. */
int import_verify(json_t **c, struct load_error *err);
/* Into report: "warnings", "found" and "explain" (see import.h). */
void import_report(struct doc *d, json_t *report);

/* Formatting helpers; a new string, or NULL. */
char *import_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An inconsistency of the page: a warning, and a line of the contract's
 * inconsistencies (each once). */
void import_warn(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Something the importer could not read: a warning only. */
void import_note(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* What the importer read or set aside (printed before the summary). */
void import_found(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* How a code's values were found (--explain). */
void import_explain(struct icode *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Mark field of a code inferred, with the reason. */
void import_infer(struct icode *c, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

char *import_trim(char *s);
int import_has_word(const char *hay, const char *word);
int import_valid_code(const char *s);
int import_acronym_at(const char *s);
struct icode *import_find_code(struct doc *d, const char *code);
/* A new code at the end; NULL (with a note) for a duplicate or past MAX_CODES. */
struct icode *import_add_code(struct doc *d, const char *code);
const char *import_status_meaning(const struct doc *d, int status);

/* The code a value names: a code, or the words a code's body carries; NULL. */
struct icode *import_code_by_value(struct doc *d, const char *v);
/* The object of an example holding a member whose value is a documented code
 * (whatever its name), or a code-shaped error/reason beside a code table. */
json_t *import_example_by_value(struct doc *d, json_t *v, const char **code);
/* Examples: the object holding the code (and the code), problem details. */
json_t *import_example_error(json_t *v, const char **code);
/* The envelope of examples that show a message and no code, or NULL
 * (sets d->message_only). */
json_t *import_message_only(struct doc *d);
/* page.c: leave out names a page lists that are not codes: a type or a
 * format's name ("string", "json"), a member of its own error example
 * ("type", "link"); each said in a note. */
void import_drop_non_codes(struct doc *d);
/* page.c: a table whose names are the values of the examples' `type`
 * member, beside a code member holding other values, lists types, not
 * codes: its entries are left out (each said in a note). */
void import_drop_type_tables(struct doc *d);
/* page.c: where an example's code is listed in one table, code tables in
 * other top sections of the page whose headings do not say "error" (a
 * protocol's opcodes, another API's codes) are left out, each said. */
void import_drop_other_sections(struct doc *d);
/* 1 when an example's code value is a placeholder ("error_code", "<code>",
 * a member's own name), not a code. */
int import_placeholder_value(json_t *err, const char *v);
/* Leave out of an example what a template cannot hold as a constant (text
 * with "{{" in a key or a value); a list of errors keeps its first. */
void import_drop_braces(json_t *v);
int import_is_problem(json_t *v);
/* The JSON media type a response the page shows states ("Content-Type:
 * application/x-amz-json-1.0"), into out; NULL when none. */
const char *import_stated_media_type(const struct doc *d, char *out, size_t size);
const char *import_problem_code(json_t *v);
int import_in_every_example(json_t *examples, const char *key);
/* Is member k `norm` (lower case, no '_' or '-'), case and '_'/'-' aside? */
int import_key_is(const char *k, const char *norm);
int import_is_message_key(const char *k);
int import_is_status_key(const char *k);

/* Reading the page. */

/* The page in the normal form the readers know (import_norm.c): a new
 * string, or NULL when out of memory. */
char *import_html_to_text(const char *in, size_t len, size_t **map, size_t *nr_map);
char *import_markdown_to_text(const char *in, size_t len, size_t **map, size_t *nr_map);
/* The page's line (1-based) of line i of the normal form. */
size_t import_line(const struct doc *d, size_t i);
int import_split_lines(struct doc *d);
void import_read_tables(struct doc *d);
/* grid.c: reStructuredText grid tables rewritten as pipe rows, in place. */
void import_read_grid_tables(struct doc *d);
/* grid.c: line i rewritten as s (kept with the doc): 0, or -1 (s freed) when
 * out of memory; a separator row of n columns ("|---|---|"), or NULL. */
int import_own_line(struct doc *d, size_t i, char *s);
char *import_separator_line(int n);
/* grid.c: reStructuredText simple tables ("=====  =====" borders) in a page's
 * text as Markdown pipe tables, line for line, before md4c reads it (a new
 * string, or NULL when out of memory). */
char *import_rst_simple_tables(const char *text);
/* asciidoc.c: AsciiDoc headings as '#' headings, "|===" tables as pipe rows. */
void import_read_asciidoc(struct doc *d);
void import_read_examples(struct doc *d);
/* An example at line i shown: into d->examples, with the status its response
 * line gives ("HTTP/1.1 403 Forbidden" just above it). */
void import_add_example(struct doc *d, size_t i, json_t *v);
/* examples_xml.c: an XML example at line *i (then past it): 1, else 0; an
 * XML template pruned to code, message and request id; the request id
 * header the page names (into out), or NULL. */
int import_read_xml_example(struct doc *d, size_t *i);
void import_xml_envelope(json_t *tmpl, json_t *inferred);
const char *import_request_id_header(const struct doc *d, char *out, size_t size);
void import_read_prose_codes(struct doc *d);
/* import_layouts.c: status-led entries, a heading per code, glued summaries. */
void import_read_layouts(struct doc *d);
int import_retry_advice(const char *s);
int import_section_status(const struct doc *d, size_t table_line);
/* Is the section of line i about errors (its heading says "error" or "codes")? */
int import_about_errors(const struct doc *d, size_t i);

/* --- rules.c: what fills a value the document leaves out --- */
int import_in_list(int v, const int *list, size_t n);
/* A status for a code the document gives none (the reason into *why), or 0. */
int import_guess_status(const struct doc *d, const struct icode *c, const char **why);
/* A role (enum role) from a code's words and status, or -1. */
int import_guess_role(const char *code, int status);
int import_status_role(int status, const char *meaning);
int import_same_role_family(int a, int b);
/* Retry safety from a resolution's words: 1, 0, or -1 when they say nothing. */
int import_retry_from_resolution(const char *res, int status, const char **why);
/* The statuses commonly retried; prose bullets "Retry ..." naming others. */
extern const int import_conventional[];
#define IMPORT_NR_CONVENTIONAL 8
size_t import_retry_guidance(struct doc *d, int *out, size_t cap);
/* Retry advice in a description's words: 1, 0, or -1 (rules.c). */
int import_retry_in_words(const char *s);
/* The status a code is the name of ("not_found" 404, "created" 201), or 0. */
int import_status_of_name(const char *code);
/* RFC 9110's reason phrase of an error status, or NULL. */
const char *import_reason_phrase(int status);
/* "INVALID_URL" -> "Invalid URL." (a new string) */
char *import_message_from_code(const char *code);

#endif
