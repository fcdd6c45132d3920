#ifndef ERRATA_IMPORT_LAYOUTS_H
#define ERRATA_IMPORT_LAYOUTS_H
/*
 * The readers of a page's layouts (import_layouts.c, terms.c) share these;
 * internal to the page importer.
 */
#include "import_doc.h"

/* "`code`" or "code" at s (and its length), then ':' or the end. */
int import_lead_code(const char *s, const char **code, size_t *n, const char **rest);
/* The n bytes at s without code ticks and emphasis, trimmed; a new string. */
char *import_untick(const char *s, size_t n);
/* An error status stated in a line of prose, or 0. */
int import_status_in_text(const char *l);
/* A heading or a line that is a code alone: the code, its length, ticked. */
int import_code_heading(const char *t, const char **code, size_t *n, int *ticked);
/* A definition list's term at line i (terms.c). */
void import_definition(struct doc *d, size_t i);
/* A bullet led by a code ("- `UNAVAILABLE`: ...") in a section on codes (terms.c). */
void import_code_bullet(struct doc *d, size_t i, const char *t);
/* Paragraphs led by a code alone on its line (terms.c). */
void import_read_terms(struct doc *d);

#endif
