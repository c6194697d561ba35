/* cmd_rules.c - kcsan-triage rules: the knowledge base. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "layout.h"
#include "render.h"
#include "rules.h"
#include "sym.h"

static int rules_list(struct ctx *ctx, enum kt_format fmt)
{
	struct out *o = out_new(stdout, fmt);
	const struct rules *rs = ctx->rules;

	out_begin_obj(o, NULL);
	out_int(o, "schema_version", NULL, SCHEMA_VERSION);
	out_begin_arr(o, "rules");
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->v[i];

		out_begin_obj(o, NULL);
		out_str(o, "struct", "struct %s", r->name);
		out_str(o, "family", "  (%s)", r->family);
		out_str(o, "writer", ", written by the %s", writer_name(r->writer));
		out_int(o, "align", ", %lld-aligned\n", (long long)r->align);
		out_str(o, "origin", "  defined at %s\n", r->origin);
		out_str(o, "reference", "  reference: %s\n", r->reference);
		out_begin_arr(o, "files");
		for (size_t j = 0; j < r->files.n; j++)
			out_str(o, NULL, "  file     %s\n", r->files.src[j]);
		out_end_arr(o);
		out_begin_arr(o, "functions");
		for (size_t j = 0; j < r->functions.n; j++)
			out_str(o, NULL, "  function %s\n", r->functions.src[j]);
		out_end_arr(o);
		out_begin_arr(o, "members");
		for (size_t j = 0; j < r->nmembers; j++) {
			const struct rule_member *m = &r->members[j];

			out_begin_obj(o, NULL);
			/* out_str() substitutes a plain %s only: pad in text by hand */
			out_str(o, "name", "  member %s", m->name);
			out_text(o, "%*s", strlen(m->name) < 20 ? (int)(20 - strlen(m->name)) : 0, "");
			out_int(o, "offset", " offset %-4lld", (long long)m->offset);
			out_int(o, "size", " size %lld", (long long)m->size);
			if (m->stride)
				out_int(o, "stride", " stride %lld", (long long)m->stride);
			out_bool(o, "dwarf", m->dwarf ? NULL : " (not a C member)", m->dwarf);
			out_text(o, "\n");
			out_begin_arr(o, "expr");
			for (size_t k = 0; k < m->expr.n; k++)
				out_str(o, NULL, "      expr %s\n", m->expr.src[k]);
			out_end_arr(o);
			if (m->functions.n) {
				out_begin_arr(o, "functions");
				for (size_t k = 0; k < m->functions.n; k++)
					out_str(o, NULL, "      function %s\n", m->functions.src[k]);
				out_end_arr(o);
			}
			out_end_obj(o);
		}
		out_end_arr(o);
		out_text(o, "\n");
		out_end_obj(o);
	}
	out_end_arr(o);
	out_end_obj(o);
	return cmd_close_output(ctx, o, KT_EXIT_OK);
}

/* ---------------------------------------------------------------------- */
/* rules check: every rule against a kernel's DWARF and symbols */

struct fnlist {
	char **name;
	char **module;     /* NULL for vmlinux */
	size_t n, cap;
};

static bool collect_fn(const char *name, const char *module, void *data)
{
	struct fnlist *fl = data;
	char base[256];

	func_base_name(name, base, sizeof(base));
	if (fl->n == fl->cap) {
		fl->cap = fl->cap ? fl->cap * 2 : 4096;
		fl->name = xrealloc(fl->name, fl->cap * sizeof(*fl->name));
		fl->module = xrealloc(fl->module, fl->cap * sizeof(*fl->module));
	}
	fl->name[fl->n] = xstrdup(base);
	fl->module[fl->n] = module ? xstrdup(module) : NULL;
	fl->n++;
	return true;
}

static void fnlist_release(struct fnlist *fl)
{
	for (size_t i = 0; i < fl->n; i++) {
		free(fl->name[i]);
		free(fl->module[i]);
	}
	free(fl->name);
	free(fl->module);
}

/* How many functions one pattern of a list matches; the module of the first. */
static size_t pattern_hits(const struct pattern_list *pl, size_t k, const struct fnlist *fl, const char **module)
{
	struct pattern_list one = { .src = &pl->src[k], .code = &pl->code[k], .n = 1 };
	size_t hits = 0;

	for (size_t i = 0; i < fl->n; i++)
		if (pattern_match(&one, fl->name[i])) {
			if (!hits && module)
				*module = fl->module[i];
			hits++;
		}
	return hits;
}

enum check_state { CHECK_OK, CHECK_ABSENT, CHECK_UNUSED, CHECK_WRONG, CHECK_STATES };

static enum check_state check_rule(struct ctx *ctx, struct out *o, const struct rule *r, const struct fnlist *fl)
{
	const char *module = NULL, *where;
	size_t fhits = 0, wrong = 0;
	int found = -1;
	uint64_t off, size, stride;

	/* where the driver lives: the module of a matching function, else vmlinux */
	for (size_t k = 0; k < r->functions.n; k++)
		fhits += pattern_hits(&r->functions, k, fl, module ? NULL : &module);
	for (size_t j = 0; j < r->nmembers; j++)
		for (size_t k = 0; k < r->members[j].functions.n; k++)
			fhits += pattern_hits(&r->members[j].functions, k, fl, module ? NULL : &module);
	for (size_t j = 0; j < r->nmembers && found < 0; j++)
		if (r->members[j].dwarf) {
			found = layout_member(sym_layout(ctx->sym, module), r->name, r->members[j].name, &off, &size, &stride);
			if (found < 0 && module) {
				found = layout_member(sym_layout(ctx->sym, NULL), r->name, r->members[j].name, &off, &size, &stride);
				if (found >= 0)
					module = NULL;
			}
		}
	where = module ? module : "vmlinux";
	out_begin_obj(o, NULL);
	out_str(o, "struct", "struct %s", r->name);
	out_str(o, "origin", " (%s): ", r->origin);
	if (found < 0) {
		out_str(o, "state", "%s", "absent");
		out_text(o, ", not in this kernel's DWARF\n");
		out_end_obj(o);
		return CHECK_ABSENT;
	}
	out_str(o, "object", NULL, where);
	out_begin_arr(o, "problems");
	for (size_t j = 0; j < r->nmembers; j++) {
		const struct rule_member *m = &r->members[j];
		int got;

		if (!m->dwarf)
			continue;
		got = layout_member(sym_layout(ctx->sym, module), r->name, m->name, &off, &size, &stride);
		if (got != 1) {
			char *msg = xasprintf("member %s: no such member in %s's struct %s", m->name, where, r->name);

			out_str(o, NULL, "\n    %s", msg);
			free(msg);
			wrong++;
			continue;
		}
		if (off != m->offset || size != m->size || (m->stride && stride && stride != m->stride)) {
			struct sbuf msg = SBUF_INIT;

			sbuf_addf(&msg, "member %s: the rule says offset %llu size %llu", m->name,
				  (unsigned long long)m->offset, (unsigned long long)m->size);
			if (m->stride)
				sbuf_addf(&msg, " stride %llu", (unsigned long long)m->stride);
			sbuf_addf(&msg, ", the DWARF of %s says offset %llu size %llu", where,
				  (unsigned long long)off, (unsigned long long)size);
			if (stride)
				sbuf_addf(&msg, " stride %llu", (unsigned long long)stride);
			out_str(o, NULL, "\n    %s", msg.buf);
			sbuf_release(&msg);
			wrong++;
		}
	}
	out_end_arr(o);
	if (!wrong && !fhits) {
		/* the header is compiled in, the driver is not (or its functions were renamed) */
		out_str(o, "state", "%s", "unused");
		out_text(o, ": the struct is in %s, but none of the rule's functions is: the driver is not built "
			    "(or its readers were renamed)\n", where);
		out_end_obj(o);
		return CHECK_UNUSED;
	}
	if (wrong) {
		out_str(o, "state", "\n  %s\n", "wrong");
		out_end_obj(o);
		return CHECK_WRONG;
	}
	out_str(o, "state", "%s", "ok");
	out_int(o, "functions", ", %lld functions of ", (long long)fhits);
	out_text(o, "%s match, its members agree with the DWARF\n", where);
	out_end_obj(o);
	return CHECK_OK;
}

static int rules_check(struct ctx *ctx, enum kt_format fmt)
{
	struct out *o;
	struct fnlist fl = { 0 };
	size_t n[CHECK_STATES] = { 0 };

	if (!ctx->sym) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "rules check needs --vmlinux PATH");
		return KT_EXIT_USAGE;
	}
	if (!sym_has_dwarf(ctx->sym)) {
		kt_error(ctx, KT_EXIT_SYMBOLS, ctx->vmlinux, "no DWARF: the layouts cannot be checked");
		return KT_EXIT_SYMBOLS;
	}
	sym_foreach_function(ctx->sym, collect_fn, &fl);
	o = out_new(stdout, fmt);
	out_begin_obj(o, NULL);
	out_int(o, "schema_version", NULL, SCHEMA_VERSION);
	out_str(o, "vmlinux", NULL, ctx->vmlinux);
	out_str(o, "release", NULL, sym_release(ctx->sym));
	out_begin_arr(o, "rules");
	for (size_t i = 0; i < ctx->rules->n; i++)
		n[check_rule(ctx, o, &ctx->rules->v[i], &fl)]++;
	out_end_arr(o);
	out_begin_obj(o, "summary");
	out_int(o, "rules", "%lld rules: ", (long long)ctx->rules->n);
	out_int(o, "ok", "%lld agree with this kernel, ", (long long)n[CHECK_OK]);
	out_int(o, "wrong", "%lld do not, ", (long long)n[CHECK_WRONG]);
	out_int(o, "unused", "%lld are for code it does not build, ", (long long)n[CHECK_UNUSED]);
	out_int(o, "absent", "%lld for structs it does not have\n", (long long)n[CHECK_ABSENT]);
	out_end_obj(o);
	out_end_obj(o);
	fnlist_release(&fl);
	return cmd_close_output(ctx, o, n[CHECK_WRONG] ? KT_EXIT_FINDINGS : KT_EXIT_OK);
}

struct rules_opts {
	struct opt_output out;
};

static const struct option_spec rules_list_specs[] = {
	OPT_INCLUDE_AT(opt_group_output, struct rules_opts, out),
	OPT_INCLUDE(opt_group_rules),
	OPT_END(),
};
const struct option_table cmd_rules_list_options = OPT_TABLE(struct rules_opts, rules_list_specs);

static const struct option_spec rules_check_specs[] = {
	OPT_INCLUDE_AT(opt_group_output, struct rules_opts, out),
	OPT_INCLUDE(opt_group_rules),
	OPT_INCLUDE(opt_group_symbols),
	OPT_END(),
};
const struct option_table cmd_rules_check_options = OPT_TABLE(struct rules_opts, rules_check_specs);

int cmd_rules_list(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	return rules_list(ctx, (enum kt_format)((const struct rules_opts *)opts)->out.format);
}

int cmd_rules_check(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	return rules_check(ctx, (enum kt_format)((const struct rules_opts *)opts)->out.format);
}
