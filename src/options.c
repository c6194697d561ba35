/* options.c - option tables: parsing, usage, help and the lists for completion. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define OPT_HELP_INDENT 4
#define OPT_HELP_COLUMN 26      /* where the meaning starts (git's parse-options) */
#define OPT_WIDTH 80

/* One option of a parse, with where its value goes and the heading it is shown under. */
struct opt_ref {
	const struct option_spec *s;
	const struct option_table *heading;     /* NULL: the command's own options */
	enum opt_base base;
	size_t off;                             /* of its group's struct in the base */
	int top;                                /* which of the parser's tables holds it */
};

struct opt_refs {
	struct opt_ref *v;
	size_t n, cap;
};

static void opt_collect_table(struct opt_refs *r, const struct option_table *t, const struct option_table *heading,
			      size_t off, int top)
{
	for (const struct option_spec *s = t->specs; s->kind != OPT_KIND_END; s++) {
		bool seen = false;

		if (s->kind == OPT_KIND_INCLUDE) {
			const struct option_table *in = s->include;

			opt_collect_table(r, in, heading ? heading : (in->title ? in : NULL),
					  in->base == OPT_BASE_MAIN ? 0 : off + s->offset, top);
			continue;
		}
		/* a group included twice (by the command and by the global options) counts once */
		for (size_t i = 0; i < r->n && !seen; i++)
			seen = r->v[i].s == s && r->v[i].base == t->base && r->v[i].off == off;
		if (seen)
			continue;
		ALLOC_GROW(r->v, r->n, r->cap);
		r->v[r->n++] = (struct opt_ref){ s, heading, t->base, off, top };
	}
}

/* Every option of p, each once, in table order. */
static struct opt_refs opt_collect(const struct opt_parser *p)
{
	struct opt_refs r = { NULL, 0, 0 };

	for (int i = 0; i < OPT_MAX_TABLES && p->tables[i]; i++)
		opt_collect_table(&r, p->tables[i], p->tables[i]->title ? p->tables[i] : NULL, 0, i);
	return r;
}

static void opt_choices_text(struct sbuf *sb, const struct opt_choice *c, const char *sep, const char *last)
{
	for (size_t i = 0; c[i].name; i++) {
		if (i)
			sbuf_adds(sb, c[i + 1].name ? sep : last);
		sbuf_adds(sb, c[i].name);
	}
}

/* What follows the option's name: its placeholder, or its choices. */
static void opt_arg_text(struct sbuf *sb, const struct option_spec *s)
{
	if (s->kind == OPT_KIND_ENUM)
		opt_choices_text(sb, s->choices, "|", "|");
	else if (s->argname)
		sbuf_adds(sb, s->argname);
}

static bool opt_takes_arg(const struct option_spec *s)
{
	return s->kind != OPT_KIND_FLAG;
}

/* ---------------------------------------------------------------------- */
/* storing values */

static int opt_parse_int(struct ctx *ctx, const struct option_spec *s, const char *arg, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < s->min) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "--%s takes a number of at least %ld, not '%s'", s->long_name, s->min,
			 arg);
		return -1;
	}
	*out = v;
	return 0;
}

static int opt_parse_enum(struct ctx *ctx, const struct option_spec *s, const char *arg, int *out)
{
	struct sbuf sb = SBUF_INIT;

	for (const struct opt_choice *c = s->choices; c->name; c++)
		if (!strcmp(c->name, arg)) {
			*out = c->value;
			return 0;
		}
	opt_choices_text(&sb, s->choices, ", ", " or ");
	kt_error(ctx, KT_EXIT_USAGE, NULL, "--%s takes %s, not '%s'", s->long_name, sbuf_str(&sb), arg);
	sbuf_release(&sb);
	return -1;
}

static int opt_store(struct ctx *ctx, const struct opt_parser *p, const struct opt_ref *r, const char *arg)
{
	const struct option_spec *s = r->s;
	void *v;
	int rc = 0;

	if (!p->base[r->base])
		kt_die("option --%s has nowhere to go", s->long_name);
	v = (char *)p->base[r->base] + r->off + s->offset;
	switch (s->kind) {
	case OPT_KIND_FLAG:
		*(bool *)v = true;
		break;
	case OPT_KIND_STRING:
		*(const char **)v = arg;
		break;
	case OPT_KIND_INT:
		rc = opt_parse_int(ctx, s, arg, v);
		break;
	case OPT_KIND_LIST: {
		struct opt_list *l = v;

		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = arg;
		break;
	}
	case OPT_KIND_ENUM:
		rc = opt_parse_enum(ctx, s, arg, v);
		break;
	case OPT_KIND_CALLBACK:
		rc = s->parse(ctx, arg, v);
		break;
	case OPT_KIND_END:
	case OPT_KIND_INCLUDE:
		break;
	}
	return rc;
}

int opt_defaults(struct ctx *ctx, const struct opt_parser *p)
{
	struct opt_refs r = opt_collect(p);
	int rc = 0;

	for (size_t i = 0; i < r.n && !rc; i++)
		if (r.v[i].s->def && r.v[i].top == 0)
			rc = opt_store(ctx, p, &r.v[i], r.v[i].s->def);
	free(r.v);
	return rc;
}

void opt_release(const struct opt_parser *p)
{
	struct opt_refs r = opt_collect(p);

	for (size_t i = 0; i < r.n; i++)
		if (r.v[i].s->kind == OPT_KIND_LIST && p->base[r.v[i].base]) {
			struct opt_list *l = (void *)((char *)p->base[r.v[i].base] + r.v[i].off + r.v[i].s->offset);

			free(l->v);
			l->v = NULL;
			l->n = 0;
		}
	free(r.v);
}

/* ---------------------------------------------------------------------- */
/* parsing */

/* "unknown option '--vmlin'; did you mean '--vmlinux'?" */
static void opt_unknown(struct ctx *ctx, const struct opt_refs *r, const char *name, size_t n)
{
	char *typed = xstrndup(name, n);
	const char *best = NULL;
	int bd = 1000;

	for (size_t i = 0; i < r->n; i++) {
		const char *l = r->v[i].s->long_name;
		int d = str_startswith(l, typed) ? 0 : opt_edit_distance(typed, l);

		if (d < bd) {
			bd = d;
			best = l;
		}
	}
	if (best && bd <= 2 && *typed)
		kt_error(ctx, KT_EXIT_USAGE, NULL, "unknown option '--%s'; did you mean '--%s'?", typed, best);
	else
		kt_error(ctx, KT_EXIT_USAGE, NULL, "unknown option '--%s'", typed);
	free(typed);
}

/* Its value: after "=", else the next word (which *i then skips). */
static const char *opt_value(struct ctx *ctx, const struct option_spec *s, const char *eq, int argc, char **argv, int *i)
{
	struct sbuf sb = SBUF_INIT;

	if (eq)
		return eq + 1;
	if (*i + 1 < argc)
		return argv[++*i];
	opt_arg_text(&sb, s);
	kt_error(ctx, KT_EXIT_USAGE, NULL, "--%s needs %s", s->long_name, sbuf_str(&sb));
	sbuf_release(&sb);
	return NULL;
}

static int opt_one(struct ctx *ctx, const struct opt_parser *p, const struct opt_ref *r, const char *value)
{
	if (opt_store(ctx, p, r, value) < 0)
		return OPT_ERROR;
	return r->s->stop ? OPT_STOPPED : OPT_PARSED;
}

static int opt_long(struct ctx *ctx, const struct opt_parser *p, const struct opt_refs *r, int argc, char **argv, int *i)
{
	const char *name = argv[*i] + 2, *eq = strchr(name, '=');
	size_t n = eq ? (size_t)(eq - name) : strlen(name);
	const char *value = NULL;

	for (size_t k = 0; k < r->n; k++) {
		const struct option_spec *s = r->v[k].s;

		if (!s->long_name || strlen(s->long_name) != n || memcmp(s->long_name, name, n))
			continue;
		if (!opt_takes_arg(s) && eq) {
			kt_error(ctx, KT_EXIT_USAGE, NULL, "--%s takes no value", s->long_name);
			return OPT_ERROR;
		}
		if (opt_takes_arg(s) && !(value = opt_value(ctx, s, eq, argc, argv, i)))
			return OPT_ERROR;
		return opt_one(ctx, p, &r->v[k], value);
	}
	opt_unknown(ctx, r, name, n);
	return OPT_ERROR;
}

/* -q, -qh, -Xvalue, -X value */
static int opt_short(struct ctx *ctx, const struct opt_parser *p, const struct opt_refs *r, int argc, char **argv, int *i)
{
	for (const char *c = argv[*i] + 1; *c; c++) {
		const struct opt_ref *ref = NULL;
		const char *value = NULL;
		int rc;

		for (size_t k = 0; k < r->n && !ref; k++)
			if (r->v[k].s->short_name == *c)
				ref = &r->v[k];
		if (!ref) {
			kt_error(ctx, KT_EXIT_USAGE, NULL, "unknown option '-%c'", *c);
			return OPT_ERROR;
		}
		if (opt_takes_arg(ref->s)) {
			value = c[1] ? c + 1 : opt_value(ctx, ref->s, NULL, argc, argv, i);
			if (!value)
				return OPT_ERROR;
		}
		rc = opt_one(ctx, p, ref, value);
		if (rc != OPT_PARSED || value)
			return rc;
	}
	return OPT_PARSED;
}

int opt_parse(struct ctx *ctx, const struct opt_parser *p, int *argc, char **argv)
{
	struct opt_refs r = opt_collect(p);
	char **ops = xcalloc((size_t)*argc + 1, sizeof(*ops));
	int nops = 0, i, rc = OPT_PARSED;

	for (i = 0; i < *argc && rc == OPT_PARSED; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1]) {
			if (p->stop_at_operand)
				break;
			ops[nops++] = argv[i];
			continue;
		}
		rc = a[1] == '-' ? opt_long(ctx, p, &r, *argc, argv, &i) : opt_short(ctx, p, &r, *argc, argv, &i);
	}
	if (rc == OPT_PARSED) {
		while (i < *argc)
			ops[nops++] = argv[i++];
		memcpy(argv, ops, (size_t)nops * sizeof(*argv));
		argv[nops] = NULL;
		*argc = nops;
	}
	free(ops);
	free(r.v);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* usage, help and lists */

/* One word of a usage line, on a new line when it would go past OPT_WIDTH. */
static void opt_synopsis_word(FILE *fp, size_t *col, size_t indent, const char *word)
{
	if (*col > indent && *col + 1 + strlen(word) > OPT_WIDTH)
		*col = (size_t)fprintf(fp, "\n%*s", (int)indent, "") - 1;
	*col += (size_t)fprintf(fp, " %s", word);
}

void opt_print_synopsis(FILE *fp, const struct opt_parser *p, size_t indent, const char *operands)
{
	struct opt_refs r = opt_collect(p);
	struct sbuf tok = SBUF_INIT;
	char *ops = xstrdup(operands ? operands : ""), *save = NULL;
	size_t col = indent;

	for (size_t i = 0; i < r.n && r.v[i].top == 0; i++) {
		const struct option_spec *s = r.v[i].s;

		sbuf_reset(&tok);
		sbuf_addc(&tok, '[');
		if (s->short_name)
			sbuf_addf(&tok, "-%c|", s->short_name);
		sbuf_addf(&tok, "--%s", s->long_name);
		if (opt_takes_arg(s)) {
			sbuf_addc(&tok, ' ');
			opt_arg_text(&tok, s);
		}
		sbuf_adds(&tok, s->kind == OPT_KIND_LIST ? "]..." : "]");
		opt_synopsis_word(fp, &col, indent, tok.buf);
	}
	for (const char *w = strtok_r(ops, " ", &save); w; w = strtok_r(NULL, " ", &save))
		opt_synopsis_word(fp, &col, indent, w);
	fputc('\n', fp);
	sbuf_release(&tok);
	free(ops);
	free(r.v);
}

/* text from column col on, wrapped at OPT_WIDTH, continued at col */
static void opt_print_wrapped(FILE *fp, const char *text, size_t col)
{
	size_t at = col;

	while (*text) {
		size_t n = strcspn(text, " ");

		if (at > col && at + 1 + n > OPT_WIDTH)
			at = (size_t)fprintf(fp, "\n%*s", (int)col, "") - 1;
		else if (at > col)
			at += (size_t)fprintf(fp, " ");
		at += fwrite(text, 1, n, fp);
		text += n;
		text += strspn(text, " ");
	}
	fputc('\n', fp);
}

static void opt_print_line(FILE *fp, const struct option_spec *s)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "%*s", OPT_HELP_INDENT, "");
	if (s->short_name)
		sbuf_addf(&sb, "-%c, ", s->short_name);
	sbuf_addf(&sb, "--%s", s->long_name);
	if (opt_takes_arg(s)) {
		sbuf_addc(&sb, ' ');
		opt_arg_text(&sb, s);
	}
	if (sb.len + 2 > OPT_HELP_COLUMN)
		fprintf(fp, "%s\n%*s", sb.buf, OPT_HELP_COLUMN, "");
	else
		fprintf(fp, "%-*s", OPT_HELP_COLUMN, sb.buf);
	sbuf_reset(&sb);
	sbuf_adds(&sb, s->help ? s->help : "");
	if (s->def)
		sbuf_addf(&sb, " (default: %s)", s->def);
	opt_print_wrapped(fp, sb.buf, OPT_HELP_COLUMN);
	sbuf_release(&sb);
}

void opt_print_help(FILE *fp, const struct opt_parser *p)
{
	struct opt_refs r = opt_collect(p);
	const struct option_table *cur = NULL;

	for (size_t i = 0; i < r.n; i++) {
		if (!i || r.v[i].heading != cur) {
			cur = r.v[i].heading;
			fputc('\n', fp);
			if (cur)
				fprintf(fp, "%s:\n", cur->title);
		}
		opt_print_line(fp, r.v[i].s);
	}
	free(r.v);
}

void opt_print_list(FILE *fp, const struct opt_parser *p)
{
	struct opt_refs r = opt_collect(p);
	struct sbuf sb = SBUF_INIT;

	for (size_t i = 0; i < r.n; i++) {
		sbuf_reset(&sb);
		sbuf_addf(&sb, "--%s", r.v[i].s->long_name);
		if (opt_takes_arg(r.v[i].s)) {
			sbuf_addc(&sb, ' ');
			opt_arg_text(&sb, r.v[i].s);
		}
		fprintf(fp, "%s\n", sb.buf);
	}
	sbuf_release(&sb);
	free(r.v);
}

int opt_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int *d = xcalloc((lb + 1), sizeof(int)), r;

	for (size_t j = 0; j <= lb; j++)
		d[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int prev = d[0];

		d[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int tmp = d[j], best = prev + (a[i - 1] != b[j - 1]);

			if (d[j] + 1 < best)
				best = d[j] + 1;
			if (d[j - 1] + 1 < best)
				best = d[j - 1] + 1;
			d[j] = best;
			prev = tmp;
		}
	}
	r = d[lb];
	free(d);
	return r;
}
