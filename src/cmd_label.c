/* cmd_label.c - kcsan-triage label: a person's verdict, which wins everywhere. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "store.h"

int cmd_label(int argc, char **argv, struct ctx *ctx)
{
	enum { OPT_AS = 256, OPT_NOTE, OPT_CLEAR };
	static const struct option opts[] = {
		{ "as", required_argument, NULL, OPT_AS },
		{ "note", required_argument, NULL, OPT_NOTE },
		{ "clear", no_argument, NULL, OPT_CLEAR },
		{ NULL, 0, NULL, 0 },
	};
	const char *as = NULL, *note = NULL;
	bool clear = false;
	int opt, rc = KT_EXIT_OK;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_AS:
			if (verdict_from_name(optarg) < 0) {
				kt_error(ctx, KT_EXIT_USAGE, NULL,
					 "--as takes device-origin, real-race or unknown-origin, not '%s'", optarg);
				return KT_EXIT_USAGE;
			}
			as = optarg;
			break;
		case OPT_NOTE:
			note = optarg;
			break;
		case OPT_CLEAR:
			clear = true;
			break;
		default:
			cmd_usage(stderr, cmd_find("label"));
			return KT_EXIT_USAGE;
		}
	}
	if (clear == (as != NULL)) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "label needs --as VERDICT or --clear");
		return KT_EXIT_USAGE;
	}
	if (optind >= argc) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "label needs report IDs (see '%s list')", KT_PROG);
		return KT_EXIT_USAGE;
	}
	if (store_begin(ctx->store, NULL) < 0)
		return KT_EXIT_STORE;
	for (int i = optind; i < argc; i++) {
		const char *a = argv[i][0] == '#' ? argv[i] + 1 : argv[i];
		char *end;
		long long id = strtoll(a, &end, 10);
		int r;

		if (*end || id <= 0) {
			kt_error(ctx, KT_EXIT_USAGE, NULL, "'%s' is not a report ID", argv[i]);
			rc = KT_EXIT_USAGE;
			continue;
		}
		r = store_set_label(ctx->store, id, clear ? NULL : as, note, ctx->now);
		if (r < 0) {
			store_rollback(ctx->store);
			return KT_EXIT_STORE;
		}
		if (r == 0) {
			kt_error(ctx, KT_EXIT_USAGE, NULL, "no report #%lld in %s", id, store_path(ctx->store));
			rc = KT_EXIT_USAGE;
			continue;
		}
		if (!ctx->quiet)
			printf("#%lld %s\n", id, clear ? "label cleared" : as);
	}
	if (rc != KT_EXIT_OK) {
		/* all or nothing */
		store_rollback(ctx->store);
		return rc;
	}
	if (store_commit(ctx->store, NULL) < 0)
		return KT_EXIT_STORE;
	return cmd_finish_output(ctx, KT_EXIT_OK);
}
