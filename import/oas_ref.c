/*
 * Reading the files of an OpenAPI description and following its $refs.
 */
#include "oas_ref.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "openapi.h"
#include "yaml.h"

#define ROOT_NAME "(root)"
#define MAX_HOPS  32

static void *fail(struct oas_files *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void *fail(struct oas_files *f, const char *fmt, ...)
{
	va_list ap;

	if (f->failed++ || !f->err)
		return NULL;
	f->err->line = f->err->column = 0;
	va_start(ap, fmt);
	vsnprintf(f->err->text, sizeof(f->err->text), fmt, ap);
	va_end(ap);
	return NULL;
}

/* A name for messages: the path below the root's directory. */
static const char *shown(const struct oas_files *f, const char *file)
{
	size_t n = strlen(f->dir);

	if (!strcmp(file, ROOT_NAME))
		return f->root_name;
	if (!strncmp(file, f->dir, n) && file[n] == '/')
		return file + n + 1;
	return file;
}

json_t *oas_files_init(struct oas_files *f, const char *text, size_t len, const char *path,
		       struct load_error *err)
{
	char buf[PATH_MAX], *slash;
	json_t *root;

	memset(f, 0, sizeof(*f));
	f->err = err;
	snprintf(f->root_name, sizeof(f->root_name), "%s",
		 !strcmp(path, "-") ? "standard input" : strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	if (len > OPENAPI_MAX_BYTES)
		return fail(f, "the description is %zu MiB; descriptions are bounded at %zu MiB",
			    len >> 20, OPENAPI_MAX_BYTES >> 20);
	if (!strcmp(path, "-") ? !getcwd(f->dir, sizeof(f->dir)) : !realpath(path, buf))
		return fail(f, "cannot find the directory of '%s': %s", path, strerror(errno));
	if (strcmp(path, "-")) {
		slash = strrchr(buf, '/');
		*slash = '\0';
		snprintf(f->dir, sizeof(f->dir), "%s", *buf ? buf : "/");
	}
	if (!(f->docs = json_object()))
		return fail(f, "out of memory");
	root = yaml_load(text, len, path, err);
	if (!root) {
		f->failed = 1;
		return NULL;
	}
	f->bytes = len;
	json_object_set_new(f->docs, ROOT_NAME, root);
	return root;
}

void oas_files_release(struct oas_files *f)
{
	json_decref(f->docs);
	f->docs = NULL;
}

const char *oas_root_name(struct oas_files *f)
{
	void *it = json_object_iter_at(f->docs, ROOT_NAME);

	return it ? json_object_iter_key(it) : ROOT_NAME;
}

/* The document at real path `real` (read on first use); *name its key. */
static json_t *load(struct oas_files *f, const char *real, const char **name)
{
	struct load_error e;
	struct stat st;
	json_t *doc = json_object_get(f->docs, real);
	char *text;
	FILE *in;
	size_t n;

	if (!doc) {
		errno = 0;
		if (stat(real, &st) || !S_ISREG(st.st_mode))
			return fail(f, "cannot read '%s': %s", shown(f, real), errno ? strerror(errno) : "not a file");
		if ((size_t)st.st_size > OPENAPI_MAX_BYTES - f->bytes)
			return fail(f, "'%s' takes the description past %zu MiB, the bound on the files read together",
				    shown(f, real), OPENAPI_MAX_BYTES >> 20);
		if (!(in = fopen(real, "rb")) || !(text = malloc((size_t)st.st_size + 1))) {
			if (in)
				fclose(in);
			return fail(f, "cannot read '%s': %s", shown(f, real), strerror(errno));
		}
		n = fread(text, 1, (size_t)st.st_size, in);
		fclose(in);
		text[n] = '\0';
		f->bytes += n;
		doc = yaml_load(text, n, shown(f, real), &e);
		free(text);
		if (!doc)
			return fail(f, "%s:%d:%d: %s", shown(f, real), e.line, e.column, e.text);
		json_object_set_new(f->docs, real, doc);
	}
	*name = json_object_iter_key(json_object_iter_at(f->docs, real));
	return doc;
}

/* JSON pointer `ptr` (percent-encoded, as in a URI fragment) in doc. */
static json_t *pointer(json_t *doc, const char *ptr)
{
	char tok[1024];
	size_t n;

	while (*ptr == '/') {
		ptr++;
		for (n = 0; *ptr && *ptr != '/'; ptr++) {
			char c = *ptr;
			unsigned hex;

			if (c == '%' && sscanf(ptr + 1, "%2x", &hex) == 1 && ptr[1] && ptr[2]) {
				c = (char)hex;
				ptr += 2;
			}
			if (c == '~' && (ptr[1] == '0' || ptr[1] == '1'))
				c = *++ptr == '0' ? '~' : '/';
			if (n + 1 >= sizeof(tok) || !c)
				return NULL;
			tok[n++] = c;
		}
		tok[n] = '\0';
		if (json_is_object(doc)) {
			doc = json_object_get(doc, tok);
		} else if (json_is_array(doc) && n && strspn(tok, "0123456789") == n && n < 10) {
			doc = json_array_get(doc, strtoul(tok, NULL, 10));
		} else {
			return NULL;
		}
		if (!doc)
			return NULL;
	}
	return *ptr ? NULL : doc;
}

/* One $ref from `file`: the target, and its document in *file. */
static json_t *follow(struct oas_files *f, const char *ref, const char **file, char *where, size_t size)
{
	const char *hash = strchr(ref, '#'), *frag = hash ? hash + 1 : "";
	size_t plen = hash ? (size_t)(hash - ref) : strlen(ref);
	char joined[PATH_MAX], real[PATH_MAX];
	json_t *doc, *node;
	size_t dl = strlen(f->dir);

	if (strstr(ref, "://") || !strncmp(ref, "//", 2))
		return fail(f, "$ref '%.200s' in '%s' is remote; errata reads local files only", ref, shown(f, *file));
	if (plen) {
		const char *base = strcmp(*file, ROOT_NAME) ? *file : NULL;
		const char *slash = base ? strrchr(base, '/') : NULL;

		const char *dir = ref[0] == '/' ? "" : slash ? base : f->dir;
		size_t dl2 = ref[0] == '/' ? 0 : slash ? (size_t)(slash - base) : strlen(f->dir), n = dl2;

		if (dl2 + 1 + plen >= sizeof(joined))
			return fail(f, "$ref '%.200s' in '%s' is a path too long to follow", ref, shown(f, *file));
		memcpy(joined, dir, dl2);
		if (ref[0] != '/')
			joined[n++] = '/';
		memcpy(joined + n, ref, plen);
		joined[n + plen] = '\0';
		if (!realpath(joined, real))
			return fail(f, "$ref '%.200s' in '%s': cannot open '%s': %s", ref, shown(f, *file),
				    shown(f, joined), strerror(errno));
		if (strncmp(real, f->dir, dl) || (real[dl] != '/' && dl > 1))
			return fail(f, "$ref '%.200s' in '%s' leaves the description's directory", ref, shown(f, *file));
		if (!(doc = load(f, real, file)))
			return NULL;
	} else {
		doc = json_object_get(f->docs, *file);
	}
	if (*frag && *frag != '/')
		return fail(f, "$ref '%.200s' in '%s': '#%.100s' is not a JSON pointer", ref, shown(f, *file), frag);
	if (!(node = pointer(doc, frag)))
		return fail(f, "$ref '%.200s': '%s' has nothing at '#%.200s'", ref, shown(f, *file), frag);
	snprintf(where, size, "%s#%s", shown(f, *file), frag);
	f->nr_refs++;
	return node;
}

json_t *oas_deref(struct oas_files *f, json_t *node, const char **file)
{
	char seen[MAX_HOPS][320], chain[1024];
	const char *ref;
	size_t n = 0, i, k;

	while (json_is_object(node) && (ref = json_string_value(json_object_get(node, "$ref")))) {
		if (n == MAX_HOPS)
			return fail(f, "$ref '%.200s' in '%s': more than %d $refs in a row", ref, shown(f, *file), MAX_HOPS);
		if (!(node = follow(f, ref, file, seen[n], sizeof(seen[n]))))
			return NULL;
		for (i = 0; i < n; i++) {
			if (strcmp(seen[i], seen[n]))
				continue;
			chain[0] = '\0';
			for (k = i; k <= n; k++)
				snprintf(chain + strlen(chain), sizeof(chain) - strlen(chain), "%s%s",
					 k > i ? " -> " : "", seen[k]);
			return fail(f, "a cycle of $refs: %s", chain);
		}
		n++;
	}
	return node;
}
