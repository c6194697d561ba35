/* cmd_merge.c - kcsan-triage merge: fold stores made by parallel machines into this one. */
#include <stdio.h>
#include <stdlib.h>

#include "cmds.h"
#include "store.h"

struct merge_opts {
	int unused;
};

static const struct option_spec merge_specs[] = {
	OPT_END(),
};
const struct option_table cmd_merge_options = OPT_TABLE(struct merge_opts, merge_specs);

int cmd_merge(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	int rc = KT_EXIT_OK;

	(void)opts;
	if (argc < 1) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "merge: name the stores to fold into %s", store_path(ctx->store));
		return KT_EXIT_USAGE;
	}
	for (int i = 0; i < argc; i++) {
		struct store_merged m;

		if (store_merge(ctx->store, argv[i], &m) < 0) {
			rc = KT_EXIT_STORE;
			continue;
		}
		if (!ctx->quiet)
			printf("%s: %ld new occurrence%s, %ld new report%s, %ld label conflict%s (the newer label kept)\n",
			       argv[i], m.new_occurrences, m.new_occurrences == 1 ? "" : "s", m.new_signatures,
			       m.new_signatures == 1 ? "" : "s", m.conflicts, m.conflicts == 1 ? "" : "s");
	}
	return cmd_finish_output(ctx, rc);
}
