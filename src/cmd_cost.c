/* cmd_cost.c - kcsan-triage cost: what a patch does to an object's size and instructions. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "cost.h"
#include "render.h"

struct cost_cmd_opts {
	struct opt_output out;
	struct opt_list function;
};

static const struct option_spec cost_specs[] = {
	OPT_INCLUDE_AT(opt_group_output, struct cost_cmd_opts, out),
	OPT_LIST("function", "REGEX", struct cost_cmd_opts, function,
		 "also decode and diff the functions matching REGEX (POSIX extended), changed or not"),
	OPT_END(),
};
const struct option_table cmd_cost_options = OPT_TABLE(struct cost_cmd_opts, cost_specs);

/* Objects that cannot be compared: 0, or the exit code (reported). */
static int cost_check_pair(struct ctx *ctx, const struct cost_obj *old, const struct cost_obj *new)
{
	if (old->machine != new->machine || old->elfclass != new->elfclass) {
		kt_error(ctx, KT_EXIT_SYMBOLS, new->path, "a different architecture (%s, %d-bit) from %s (%s, %d-bit): nothing to compare",
			 cost_machine_name(new->machine), new->elfclass == 2 ? 64 : 32, old->path,
			 cost_machine_name(old->machine), old->elfclass == 2 ? 64 : 32);
		return KT_EXIT_SYMBOLS;
	}
	if (!old->nbyaddr)
		kt_warn(ctx, old->path, "no symbol table (stripped): section totals only");
	if (!new->nbyaddr)
		kt_warn(ctx, new->path, "no symbol table (stripped): section totals only");
	return 0;
}

int cmd_cost(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	const struct cost_cmd_opts *co = opts;
	struct cost_opts copts = { co->function.v, (int)co->function.n };
	struct cost_obj *old = NULL, *new = NULL;
	struct cost_result res;
	struct out *o;
	const char *old_path, *new_path;
	int rc = 0;

	if (argc != 2) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "cost takes two objects, OLD and NEW (%d given)", argc);
		return KT_EXIT_USAGE;
	}
	old_path = argv[0];
	new_path = argv[1];

	old = cost_obj_open(ctx, old_path);
	new = old ? cost_obj_open(ctx, new_path) : NULL;
	if (!old || !new) {
		rc = KT_EXIT_SYMBOLS;
		goto out;
	}
	rc = cost_check_pair(ctx, old, new);
	if (rc)
		goto out;
	if (cost_compare(ctx, old, new, &copts, &res) < 0) {
		rc = KT_EXIT_USAGE;
		goto out;
	}
	if (res.unrelated)
		kt_warn(ctx, new_path, "looks unrelated to %s: only %ld symbols match by name; comparing those",
			old_path, res.n_matched);
	o = out_new(stdout, (enum kt_format)co->out.format);
	cost_render(o, &res);
	cost_result_release(&res);
	rc = cmd_close_output(ctx, o, KT_EXIT_OK);
out:
	cost_obj_free(old);
	cost_obj_free(new);
	return rc;
}
