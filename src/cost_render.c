/* cost_render.c - word the facts of a comparison: text for a mail, or JSON. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cost.h"
#include "render.h"

static const char *const cost_status_names[] = {
	[COST_UNCHANGED] = "unchanged", [COST_GROWN] = "grown", [COST_SHRUNK] = "shrunk",
	[COST_CHANGED] = "changed", [COST_ADDED] = "added", [COST_REMOVED] = "removed",
	[COST_RENAMED] = "renamed",
};

static const char *const cost_class_names[COST_NCLASS] = { "text", "data", "rodata", "bss" };

/* Text lines of the instruction diff shown per function in text (JSON has all). */
#define COST_TEXT_DIFF_MAX 40
/* Changed call targets worded in the summary. */
#define COST_SWAPS_MAX 4

static const char *cost_fname(const struct cost_func *f)
{
	return f->new ? f->new->name : f->old->name;
}

static bool cost_listed(const struct cost_func *f)
{
	return (f->status != COST_UNCHANGED && f->status != COST_RENAMED) || f->shown;
}

static const char *cost_plural(long n, const char *one, const char *many)
{
	return n == 1 || n == -1 ? one : many;
}

/* "+2 instructions, +1 load": the counts that differ, or NULL-terminated nothing. */
static void cost_count_words(struct sbuf *sb, const struct cost_counts *a, const struct cost_counts *b)
{
	static const char *const names[][2] = {
		{ "instruction", "instructions" }, { "load", "loads" }, { "store", "stores" },
		{ "read-modify-write", "read-modify-writes" }, { "call", "calls" },
		{ "conditional branch", "conditional branches" }, { "fence or locked instruction", "fences or locked instructions" },
	};
	const long *pa = &a->insns, *pb = &b->insns;
	size_t start = sb->len;

	for (int i = 0; i < 7; i++) {
		long d = pb[i] - pa[i];

		if (d)
			sbuf_addf(sb, "%s%+ld %s", sb->len > start ? ", " : "", d, cost_plural(d, names[i][0], names[i][1]));
	}
	if (sb->len == start)
		sbuf_adds(sb, "same instruction counts");
}

static bool cost_gains_memop(const struct cost_func *f)
{
	return f->nc.n.loads + f->nc.n.rmw > f->oc.n.loads + f->oc.n.rmw ||
	       f->nc.n.stores + f->nc.n.rmw > f->oc.n.stores + f->oc.n.rmw;
}

/* Same size and counts, no other fact: registers or the order of instructions. */
static bool cost_only_registers(const struct cost_func *f)
{
	return f->status == COST_CHANGED && f->shown && !memcmp(&f->oc.n, &f->nc.n, sizeof(f->oc.n)) &&
	       !f->nfolds && !f->nswaps;
}

/* The verdict of one function, from its facts. */
static char *cost_func_verdict(const struct cost_func *f)
{
	struct sbuf sb = SBUF_INIT;

	if (f->status == COST_UNCHANGED)
		return xstrdup("code identical");
	if (f->status == COST_ADDED || f->status == COST_REMOVED) {
		sbuf_addf(&sb, "%s (%llu bytes)", cost_status_names[f->status],
			  (unsigned long long)(f->new ? f->new->size : f->old->size));
		return sbuf_detach(&sb);
	}
	cost_count_words(&sb, &f->oc.n, &f->nc.n);
	if (!cost_gains_memop(f))
		sbuf_adds(&sb, "; no new load or store");
	for (size_t i = 0; i < f->nfolds; i++)
		sbuf_addf(&sb, "; %ld %s no longer folded into %s", f->folds[i].n,
			  cost_plural(f->folds[i].n, "load", "loads"), f->folds[i].op);
	for (size_t i = 0; i < f->nswaps; i++)
		sbuf_addf(&sb, "; calls %s instead of %s", f->swaps[i].to, f->swaps[i].from);
	if (cost_only_registers(f))
		sbuf_adds(&sb, "; only registers or the order of instructions change");
	return sbuf_detach(&sb);
}

/* "a", "a and b", "a, b, c and d", "a, b, c and 3 more". */
static void cost_name_list(struct sbuf *sb, const char **names, size_t n)
{
	size_t show = n <= 4 ? n : 3;

	for (size_t i = 0; i < show; i++)
		sbuf_addf(sb, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", names[i]);
	if (show < n)
		sbuf_addf(sb, " and %zu more", n - show);
}

static bool cost_has_fold(const struct cost_func *f, const char *op)
{
	for (size_t k = 0; k < f->nfolds; k++)
		if (!strcmp(f->folds[k].op, op))
			return true;
	return false;
}

/* "gcc stops folding the load into cmp (+1 instruction) in a and b", once per operation. */
static void cost_verdict_folds(struct sbuf *sb, const struct cost_result *res, const char *cc)
{
	const char **names = xcalloc(res->nf + 1, sizeof(char *));

	for (size_t i = 0; i < res->nf; i++)
		for (size_t k = 0; k < res->f[i].nfolds; k++) {
			const char *op = res->f[i].folds[k].op;
			bool first = true, same = true;
			long d0 = 0;
			size_t n = 0;

			for (size_t j = 0; j < i && first; j++)
				first = !cost_has_fold(&res->f[j], op);
			for (size_t j = i; first && j < res->nf; j++) {
				long d = res->f[j].nc.n.insns - res->f[j].oc.n.insns;

				if (!cost_has_fold(&res->f[j], op))
					continue;
				if (n == 0)
					d0 = d;
				same = same && d == d0;
				names[n++] = cost_fname(&res->f[j]);
			}
			if (!first)
				continue;
			sbuf_addf(sb, "; %s stops folding the load into %s", cc, op);
			if (same && d0)
				sbuf_addf(sb, " (%+ld %s)", d0, cost_plural(d0, "instruction", "instructions"));
			sbuf_adds(sb, " in ");
			cost_name_list(sb, names, n);
		}
	free(names);
}

static void cost_verdict_swaps(struct sbuf *sb, const struct cost_result *res)
{
	const char **names = xcalloc(res->nf + 1, sizeof(char *));
	size_t shown = 0, more = 0;

	for (size_t i = 0; i < res->nf; i++)
		for (size_t s = 0; s < res->f[i].nswaps; s++) {
			const struct cost_callswap *w = &res->f[i].swaps[s];
			size_t n = 0;
			bool first = true;

			for (size_t j = 0; j <= i && first; j++)
				for (size_t k = 0; k < (j == i ? s : res->f[j].nswaps); k++)
					first = first && (strcmp(res->f[j].swaps[k].from, w->from) || strcmp(res->f[j].swaps[k].to, w->to));
			if (!first)
				continue;
			if (shown == COST_SWAPS_MAX) {
				more++;
				continue;
			}
			shown++;
			for (size_t j = i; j < res->nf; j++)
				for (size_t k = 0; k < res->f[j].nswaps; k++)
					if (!strcmp(res->f[j].swaps[k].from, w->from) && !strcmp(res->f[j].swaps[k].to, w->to))
						names[n++] = cost_fname(&res->f[j]);
			sbuf_addf(sb, "; calls %s instead of %s in ", w->to, w->from);
			cost_name_list(sb, names, n);
		}
	if (more)
		sbuf_addf(sb, "; %zu more changed call %s", more, more == 1 ? "target" : "targets");
	free(names);
}

static char *cost_summary(const struct cost_result *res, const char *cc)
{
	struct sbuf sb = SBUF_INIT;
	const char **names = xcalloc(res->nf + 1, sizeof(char *));
	size_t n = 0;

	if (res->sections_only) {
		sbuf_addf(&sb, "no symbols to compare; the loaded sections change by %+lld bytes (text %+lld)", res->net,
			  (long long)res->new->class_total[COST_TEXT] - (long long)res->old->class_total[COST_TEXT]);
		free(names);
		return sbuf_detach(&sb);
	}
	if (!res->n_grown && !res->n_shrunk && !res->n_changed && !res->n_added && !res->n_removed) {
		sbuf_adds(&sb, "code identical");
		if (res->n_renamed)
			sbuf_addf(&sb, "; %ld %s renamed only", res->n_renamed, cost_plural(res->n_renamed, "symbol", "symbols"));
		free(names);
		return sbuf_detach(&sb);
	}
	for (size_t i = 0; i < res->nf; i++)
		if (res->f[i].old && res->f[i].new && res->f[i].code && cost_listed(&res->f[i]) && cost_gains_memop(&res->f[i]))
			names[n++] = cost_fname(&res->f[i]);
	if (n) {
		sbuf_adds(&sb, "loads or stores gained in ");
		cost_name_list(&sb, names, n);
	} else {
		sbuf_adds(&sb, "no function gains a load or store");
	}
	cost_verdict_folds(&sb, res, cc);
	cost_verdict_swaps(&sb, res);
	n = 0;
	for (size_t i = 0; i < res->nf; i++)
		if (cost_only_registers(&res->f[i]))
			names[n++] = cost_fname(&res->f[i]);
	if (n) {
		sbuf_adds(&sb, "; only registers or order change in ");
		cost_name_list(&sb, names, n);
	}
	if (res->n_added || res->n_removed)
		sbuf_addf(&sb, "; %ld %s added, %ld removed", res->n_added, cost_plural(res->n_added, "symbol", "symbols"),
			  res->n_removed);
	free(names);
	return sbuf_detach(&sb);
}

static void cost_render_sections(struct out *o, const struct cost_result *res)
{
	static const struct column cols[] = {
		{ "section", "section", 0, 0 }, { "old", "old", 1, 0 }, { "new", "new", 1, 0 }, { "delta", "delta", 1, 0 },
	};

	out_begin_obj(o, "sections");
	for (int c = 0; c < COST_NCLASS; c++) {
		out_begin_obj(o, cost_class_names[c]);
		out_int(o, "old", NULL, (long long)res->old->class_total[c]);
		out_int(o, "new", NULL, (long long)res->new->class_total[c]);
		out_int(o, "delta", NULL, (long long)res->new->class_total[c] - (long long)res->old->class_total[c]);
		out_end_obj(o);
	}
	out_end_obj(o);
	if (out_json(o))
		return;
	struct table *t = table_begin(o, NULL, cols, 4);
	char buf[32];

	for (int c = 0; c < COST_NCLASS; c++) {
		table_str(t, cost_class_names[c]);
		table_int(t, (long long)res->old->class_total[c]);
		table_int(t, (long long)res->new->class_total[c]);
		snprintf(buf, sizeof(buf), "%+lld", (long long)res->new->class_total[c] - (long long)res->old->class_total[c]);
		table_str(t, buf);
	}
	table_end(t);
}

static void cost_render_counts(struct out *o, const char *key, const struct cost_code *c, const struct cost_sym *s)
{
	if (!s || !c->decoded) {
		out_null(o, key);
		return;
	}
	out_begin_obj(o, key);
	out_int(o, "insns", NULL, c->n.insns);
	out_int(o, "loads", NULL, c->n.loads);
	out_int(o, "stores", NULL, c->n.stores);
	out_int(o, "rmw", NULL, c->n.rmw);
	out_int(o, "calls", NULL, c->n.calls);
	out_int(o, "branches", NULL, c->n.branches);
	out_int(o, "fences", NULL, c->n.fences);
	out_end_obj(o);
}

static void cost_json_func(struct out *o, const struct cost_func *f)
{
	char *v = cost_func_verdict(f);
	char buf[600];

	out_begin_obj(o, NULL);
	out_str(o, "name", NULL, cost_fname(f));
	if (f->old && f->new && strcmp(f->old->name, f->new->name))
		out_str(o, "old_name", NULL, f->old->name);
	out_str(o, "kind", NULL, f->code ? "function" : "object");
	out_str(o, "status", NULL, cost_status_names[f->status]);
	f->old ? out_int(o, "old_size", NULL, (long long)f->old->size) : out_null(o, "old_size");
	f->new ? out_int(o, "new_size", NULL, (long long)f->new->size) : out_null(o, "new_size");
	out_int(o, "delta", NULL, f->delta);
	if (f->shown) {
		cost_render_counts(o, "old", &f->oc, f->old);
		cost_render_counts(o, "new", &f->nc, f->new);
		out_begin_arr(o, "diff");
		for (size_t i = 0; i < f->nchg; i++) {
			snprintf(buf, sizeof(buf), "%c%s", f->chg[i].op, f->chg[i].text);
			out_str(o, NULL, NULL, buf);
		}
		out_end_arr(o);
		out_begin_arr(o, "diff_src");
		for (size_t i = 0; i < f->nchg; i++)
			out_str(o, NULL, NULL, f->chg[i].src);
		out_end_arr(o);
		out_str(o, "verdict", NULL, v);
	}
	out_end_obj(o);
	free(v);
}

static void cost_text_sizes(struct out *o, const struct cost_result *res)
{
	static const struct column cols[] = {
		{ NULL, "symbol", 0, 0 }, { NULL, "old", 1, 0 }, { NULL, "new", 1, 0 }, { NULL, "delta", 1, 0 },
	};
	struct table *t = NULL;
	char buf[32];

	for (size_t i = 0; i < res->nf; i++) {
		const struct cost_func *f = &res->f[i];

		if (f->status == COST_UNCHANGED || f->status == COST_RENAMED)
			continue;
		if (!t) {
			out_text(o, "\n");
			t = table_begin(o, NULL, cols, 4);
		}
		table_str(t, cost_fname(f));
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(f->old ? f->old->size : 0));
		table_str(t, f->old ? buf : "-");
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(f->new ? f->new->size : 0));
		table_str(t, f->new ? buf : "-");
		snprintf(buf, sizeof(buf), "%+lld", f->delta);
		table_str(t, buf);
	}
	if (t)
		table_end(t);
}

static void cost_count_cell(struct table *t, long a, long b, bool has_a, bool has_b)
{
	char buf[48];

	if (has_a && has_b && a != b)
		snprintf(buf, sizeof(buf), "%ld->%ld", a, b);
	else
		snprintf(buf, sizeof(buf), "%ld", has_a ? a : b);
	table_str(t, buf);
}

static void cost_text_insns(struct out *o, const struct cost_result *res)
{
	static const struct column cols[] = {
		{ NULL, "instructions", 0, 0 }, { NULL, "insns", 1, 0 }, { NULL, "loads", 1, 0 }, { NULL, "stores", 1, 0 },
		{ NULL, "rmw", 1, 0 }, { NULL, "calls", 1, 0 }, { NULL, "branches", 1, 0 }, { NULL, "fences", 1, 0 },
	};
	struct table *t = NULL;

	for (size_t i = 0; i < res->nf; i++) {
		const struct cost_func *f = &res->f[i];
		const long *a = &f->oc.n.insns, *b = &f->nc.n.insns;

		if (!f->shown)
			continue;
		if (!t) {
			out_text(o, "\n");
			t = table_begin(o, NULL, cols, 8);
		}
		table_str(t, cost_fname(f));
		for (int k = 0; k < 7; k++)
			cost_count_cell(t, a[k], b[k], f->oc.decoded, f->nc.decoded);
	}
	if (t)
		table_end(t);
}

static void cost_text_diff(struct out *o, const struct cost_func *f)
{
	struct sbuf line = SBUF_INIT;
	char *v = cost_func_verdict(f);
	int w = 0;

	out_text(o, "\n");
	out_text_safe(o, cost_fname(f));
	out_text(o, ": ");
	out_text_safe(o, v);
	out_text(o, "\n");
	for (size_t i = 0; i < f->nchg && i < COST_TEXT_DIFF_MAX; i++)
		if ((int)strlen(f->chg[i].text) > w)
			w = (int)strlen(f->chg[i].text);
	for (size_t i = 0; i < f->nchg && i < COST_TEXT_DIFF_MAX; i++) {
		sbuf_reset(&line);
		if (f->chg[i].src)
			sbuf_addf(&line, "  %c %-*s  %s\n", f->chg[i].op, w, f->chg[i].text, f->chg[i].src);
		else
			sbuf_addf(&line, "  %c %s\n", f->chg[i].op, f->chg[i].text);
		out_text_safe(o, sbuf_str(&line));
	}
	if (f->nchg > COST_TEXT_DIFF_MAX)
		out_text(o, "  ... %zu more changed instructions (--format json has them all)\n",
			 f->nchg - COST_TEXT_DIFF_MAX);
	sbuf_release(&line);
	free(v);
}

static void cost_render_renames(struct out *o, const struct cost_result *res)
{
	const struct cost_func *first = NULL;

	out_begin_arr(o, "renamed");
	for (size_t i = 0; i < res->nf; i++) {
		const struct cost_func *f = &res->f[i];

		if (f->status != COST_RENAMED)
			continue;
		if (!first)
			first = f;
		out_begin_obj(o, NULL);
		out_str(o, "old", NULL, f->old->name);
		out_str(o, "new", NULL, f->new->name);
		out_int(o, "size", NULL, (long long)f->new->size);
		out_end_obj(o);
	}
	out_end_arr(o);
	if (first) {
		out_text(o, "\nrenamed: %ld %s with the same size and bytes (", res->n_renamed,
			 cost_plural(res->n_renamed, "symbol", "symbols"));
		out_text_safe(o, first->old->name);
		out_text(o, " -> ");
		out_text_safe(o, first->new->name);
		out_text(o, "%s)\n", res->n_renamed > 1 ? ", ..." : "");
	}
}

static const char *cost_compiler(const struct cost_obj *o)
{
	return o->compiler ? o->compiler : "the compiler";
}

void cost_render(struct out *o, const struct cost_result *res)
{
	char *summary = cost_summary(res, cost_compiler(res->new));
	double pct = res->old_total ? (double)res->net * 100.0 / (double)res->old_total : 0.0;

	out_begin_obj(o, NULL);
	out_int(o, "schema_version", NULL, SCHEMA_VERSION);
	out_str(o, "old", NULL, res->old->path);
	out_str(o, "new", NULL, res->new->path);
	out_str(o, "arch", NULL, cost_machine_name(res->old->machine));
	out_int(o, "net", "net %+lld bytes", res->net);
	out_str(o, "net_of", " (%s ", res->sections_only ? "sections" : "symbols");
	out_int(o, "old_total", NULL, res->old_total);
	out_text(o, "%lld", res->old_total);
	out_int(o, "new_total", " -> %lld", res->new_total);
	out_text(o, ", %+.2f%%): ", pct);
	out_text_safe(o, res->old->path);
	out_text(o, " -> ");
	out_text_safe(o, res->new->path);
	out_text(o, "\n");
	out_str(o, "summary", "verdict: %s\n", summary);
	out_bool(o, "unrelated", NULL, res->unrelated);
	if (res->unrelated)
		out_text(o, "note: the objects look unrelated (%ld symbols match by name); compared what matches\n",
			 res->n_matched);
	out_begin_arr(o, "missing");
	for (int i = 0; i < res->nmissing; i++)
		out_str(o, NULL, "missing: %s\n", res->missing[i]);
	out_end_arr(o);
	if (res->no_decoder)
		out_text(o, "missing: no instruction decoder for %s: sizes only\n", cost_machine_name(res->old->machine));
	out_text(o, "\n");
	cost_render_sections(o, res);
	out_begin_obj(o, "counts");
	out_int(o, "grown", "\nsymbols: %lld grown", res->n_grown);
	out_int(o, "shrunk", ", %lld shrunk", res->n_shrunk);
	out_int(o, "changed", ", %lld changed", res->n_changed);
	out_int(o, "added", ", %lld added", res->n_added);
	out_int(o, "removed", ", %lld removed", res->n_removed);
	out_int(o, "renamed", ", %lld renamed", res->n_renamed);
	out_int(o, "unchanged", ", %lld unchanged\n", res->n_unchanged);
	out_end_obj(o);
	out_int(o, "unchanged", NULL, res->n_unchanged);
	if (out_json(o)) {
		out_begin_arr(o, "functions");
		for (size_t i = 0; i < res->nf; i++)
			if (cost_listed(&res->f[i]))
				cost_json_func(o, &res->f[i]);
		out_end_arr(o);
	} else {
		cost_text_sizes(o, res);
		cost_text_insns(o, res);
		for (size_t i = 0; i < res->nf; i++)
			if (res->f[i].shown && res->f[i].old && res->f[i].new && res->f[i].status != COST_UNCHANGED)
				cost_text_diff(o, &res->f[i]);
	}
	cost_render_renames(o, res);
	out_end_obj(o);
	free(summary);
}
