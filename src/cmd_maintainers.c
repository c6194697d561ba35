/*
 * cmd_maintainers.c - kcsan-triage maintainers: who to mail about a file
 * of a kernel tree, from its MAINTAINERS, the way
 * `scripts/get_maintainer.pl --no-git --no-rolestats -f FILE` answers; or,
 * with --guilty, the guilty file of every report in logs (and who to mail
 * about it when --src is given).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "input.h"
#include "maintainers.h"
#include "normalize.h"
#include "parse.h"
#include "render.h"
#include "sym.h"

struct maintainers_opts {
	struct opt_output out;
	const char *src;
	const char *file;           /* --maintainers-file */
	bool guilty;
};

static const struct option_spec maintainers_specs[] = {
	OPT_INCLUDE_AT(opt_group_output, struct maintainers_opts, out),
	OPT_STRING("src", "DIR", struct maintainers_opts, src,
		   "the kernel tree: its MAINTAINERS, .mailmap and files"),
	OPT_STRING("maintainers-file", "FILE", struct maintainers_opts, file,
		   "this MAINTAINERS instead of the tree's"),
	OPT_FLAG("guilty", 0, struct maintainers_opts, guilty,
		 "the operands are logs: each report's guilty file (and its routing with --src)"),
	OPT_INCLUDE(opt_group_symbols),
	OPT_END(),
};
const struct option_table cmd_maintainers_options = OPT_TABLE(struct maintainers_opts, maintainers_specs);

static void emit_strs(struct out *o, const char *key, const struct maint_route *rt, int which)
{
	out_begin_arr(o, key);
	for (size_t i = 0; i < rt->npeople; i++)
		if ((int)rt->people[i].role == which || (which < 0 && rt->people[i].role != MAINT_MAINTAINER))
			out_str(o, NULL, NULL, rt->people[i].addr);
	if (which != MAINT_MAINTAINER)
		for (size_t i = 0; i < rt->nlists; i++)
			out_str(o, NULL, NULL, rt->lists[i]);
	out_end_arr(o);
}

/* One file's routing: the script's lines in text; entries, to, cc and lists in JSON. */
static void emit_route(struct out *o, const struct maint_db *db, const char *file)
{
	struct maint_route rt = MAINT_ROUTE_INIT;
	const char *sub;

	maint_route(db, file, &rt);
	sub = maint_route_subsystem(&rt);
	if (out_json(o)) {
		out_str(o, "subsystem", NULL, sub);
		out_begin_arr(o, "entries");
		for (size_t i = 0; i < rt.nentries; i++) {
			out_begin_obj(o, NULL);
			out_str(o, "name", NULL, rt.entries[i]->name);
			out_str(o, "status", NULL, rt.entries[i]->status);
			out_end_obj(o);
		}
		out_end_arr(o);
		emit_strs(o, "to", &rt, MAINT_MAINTAINER);
		emit_strs(o, "cc", &rt, -1);
		out_begin_arr(o, "lists");
		for (size_t i = 0; i < rt.nlists; i++)
			out_str(o, NULL, NULL, rt.lists[i]);
		out_end_arr(o);
	} else {
		for (size_t i = 0; i < rt.npeople; i++)
			out_str(o, NULL, "%s\n", rt.people[i].addr);
		for (size_t i = 0; i < rt.nlists; i++)
			out_str(o, NULL, "%s\n", rt.lists[i]);
	}
	maint_route_release(&rt);
}

struct guilty {
	struct ctx *ctx;
	struct out *o;
	const struct maint_db *db;
	size_t reports;
};

static void guilty_report(struct report *r, void *data)
{
	struct guilty *g = data;
	char *file, *title;

	if (g->ctx->sym)
		sym_annotate_report(g->ctx->sym, r);
	file = maint_guilty_file(r);
	title = report_display_title(r);
	g->reports++;
	if (out_json(g->o)) {
		out_begin_obj(g->o, NULL);
		out_str(g->o, "source", NULL, r->source);
		out_int(g->o, "line", NULL, (long long)r->line);
		out_str(g->o, "title", NULL, title);
		out_str(g->o, "guilty_file", NULL, file);
		if (g->db && file)
			emit_route(g->o, g->db, file);
		out_end_obj(g->o);
	} else {
		out_str(g->o, NULL, "%s", file ? file : "-");
		out_str(g->o, NULL, "\t%s\n", title);
	}
	free(title);
	free(file);
	report_free(r);
}

static void guilty_file(struct ctx *ctx, const char *path, bool waits, void *data)
{
	struct guilty *g = data;
	struct input *in = input_open(ctx, path);
	struct normalizer nz = { 0 };
	struct input_line line;
	struct nline nl;
	struct parser *p;

	(void)waits;
	if (!in)
		return;
	p = parser_new(input_name(in), guilty_report, g);
	while (input_next(in, &line, parser_idle(p)) > 0) {
		normalize_line(&nz, &line, &nl);
		parser_feed(p, &nl);
	}
	parser_finish(p);
	parser_free(p);
	normalizer_release(&nz);
	input_close(in);
}

static int run_guilty(int argc, char **argv, struct ctx *ctx, struct out *o, const struct maint_db *db)
{
	struct guilty g = { ctx, o, db, 0 };

	if (cmd_inputs(ctx, &argc, &argv) < 0)
		return KT_EXIT_USAGE;
	if (argc == 1 && !strcmp(argv[0], "-") && isatty(0)) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "standard input is a terminal; pipe a log in or name files");
		return KT_EXIT_USAGE;
	}
	out_begin_arr(o, "reports");
	input_walk(ctx, argv, argc, guilty_file, &g);
	out_end_arr(o);
	parse_cleanup();
	return KT_EXIT_OK;
}

int cmd_maintainers(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	const struct maintainers_opts *mo = opts;
	const struct maint_db *db = NULL;
	struct out *o;
	int rc = KT_EXIT_OK;

	if (!mo->guilty && !mo->src && !mo->file) {
		kt_error(ctx, KT_EXIT_USAGE, NULL,
			 "maintainers needs --src DIR (a kernel tree) or --maintainers-file FILE");
		return KT_EXIT_USAGE;
	}
	if (!mo->guilty && argc == 0) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "name the files to route, relative to the tree's top");
		return KT_EXIT_USAGE;
	}
	if (mo->file)
		db = maint_load_file(ctx, mo->file, mo->src);
	else if (mo->src)
		db = maint_load(ctx, mo->src);
	if ((mo->file || mo->src) && !db)
		return KT_EXIT_INPUT;
	o = out_new(stdout, (enum kt_format)mo->out.format);
	out_begin_obj(o, NULL);
	out_int(o, "schema_version", NULL, SCHEMA_VERSION);
	if (mo->guilty) {
		rc = run_guilty(argc, argv, ctx, o, db);
	} else {
		out_begin_arr(o, "files");
		for (int i = 0; i < argc; i++) {
			const char *file = argv[i];

			size_t n = mo->src ? strlen(mo->src) : 0;

			/* as the script: relative to the tree's top */
			if (n && !strncmp(file, mo->src, n) && file[n] == '/')
				file += n + 1;
			while (str_startswith(file, "./"))
				file += 2;
			if (argc > 1)
				out_text(o, "%s%s:\n", i ? "\n" : "", file);
			out_begin_obj(o, NULL);
			out_str(o, "file", NULL, file);
			emit_route(o, db, file);
			out_end_obj(o);
		}
		out_end_arr(o);
	}
	out_end_obj(o);
	maint_cleanup();
	return cmd_close_output(ctx, o, rc);
}
