/* triage.c - triage files: verdicts keyed by signature ID (triage.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "triage.h"

bool triage_is_id(const char *s)
{
	for (int i = 0; i < REPORT_SIG_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[REPORT_SIG_ID_LEN] == '\0';
}

void triage_add(struct triage *t, const char *id, enum verdict v, const char *note)
{
	struct triage_entry *e;

	ALLOC_GROW(t->e, t->n, t->cap);
	e = &t->e[t->n++];
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->verdict = v;
	e->note = note && *note ? xstrdup(note) : NULL;
}

static int triage_cmp(const void *a, const void *b)
{
	return strcmp(((const struct triage_entry *)a)->id, ((const struct triage_entry *)b)->id);
}

void triage_sort(struct triage *t)
{
	if (t->n)
		qsort(t->e, t->n, sizeof(t->e[0]), triage_cmp);
}

const struct triage_entry *triage_find(const struct triage *t, const char *id)
{
	struct triage_entry key;

	if (!t->n)
		return NULL;
	snprintf(key.id, sizeof(key.id), "%s", id);
	return bsearch(&key, t->e, t->n, sizeof(t->e[0]), triage_cmp);
}

void triage_release(struct triage *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->e[i].note);
	free(t->e);
	memset(t, 0, sizeof(*t));
}

static char *triage_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* One line: 0 (added or nothing), or an error message. */
static const char *triage_parse_line(struct triage *t, char *line)
{
	char *p = triage_trim(line), *id, *verdict, *note;
	int v;

	if (!*p || *p == '#')
		return NULL;
	id = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	if (!triage_is_id(id))
		return "expected a report ID (16 hex digits: see 'kcsan-triage list')";
	p = triage_trim(p);
	verdict = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	note = triage_trim(p);
	if (!strcmp(verdict, "-"))
		v = V_NONE;
	else if ((v = verdict_from_name(verdict)) < 0)
		return "expected a verdict (device-origin, real-race, unknown-origin) or '-' after the ID";
	triage_add(t, id, (enum verdict)v, note);
	return NULL;
}

static const char *triage_check_sorted(struct triage *t)
{
	triage_sort(t);
	for (size_t i = 1; i < t->n; i++)
		if (!strcmp(t->e[i - 1].id, t->e[i].id))
			return t->e[i].id;
	return NULL;
}

int triage_load(struct ctx *ctx, const char *path, struct triage *t)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	const char *dup;

	if (!fp) {
		kt_error(ctx, KT_EXIT_USAGE, path, "cannot read the triage file: %s", strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, fp) >= 0) {
		const char *err;

		lineno++;
		err = triage_parse_line(t, line);
		if (err) {
			char *pos = xasprintf("%s:%ld", path, lineno);

			kt_error(ctx, KT_EXIT_USAGE, pos, "%s", err);
			free(pos);
			free(line);
			fclose(fp);
			return -1;
		}
	}
	free(line);
	fclose(fp);
	dup = triage_check_sorted(t);
	if (dup) {
		kt_error(ctx, KT_EXIT_USAGE, path, "report %s is listed twice", dup);
		return -1;
	}
	return 0;
}

/* A note or a title on one line: control bytes become blanks. */
static void triage_put_line(FILE *fp, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < ' ' || *s == 0x7f ? ' ' : *s, fp);
}

void triage_write_entry(FILE *fp, const char *id, enum verdict v, const char *note, const char *title)
{
	if (title) {
		fputs("# ", fp);
		triage_put_line(fp, title);
		fputc('\n', fp);
	}
	fprintf(fp, "%s %s", id, v == V_NONE ? "-" : verdict_name(v));
	if (note && *note) {
		fputc(' ', fp);
		triage_put_line(fp, note);
	}
	fputc('\n', fp);
}
