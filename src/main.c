/* main.c - global options, the command table and the dispatcher. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "render.h"
#include "rules.h"
#include "store.h"
#include "sym.h"

#ifndef KT_VERSION
#define KT_VERSION "0.1"
#endif

const struct cmd kt_commands[] = {
	{ "scan", cmd_scan, CMD_STORE | CMD_NODB_OPT | CMD_RULES | CMD_SYMBOLS,
	  "find KCSAN reports in logs, mail and archives; triage and store them",
	  "[--no-db] [--format text|json] [--fail-on LIST] [--text] [--rules FILE]...\n"
	  "[--vmlinux PATH [--modules DIR] [--symbolizer libdw|addr2line]] [--src DIR] [FILE|DIR|-]..." },
	{ "list", cmd_list, CMD_STORE_RO,
	  "list the reports in the store",
	  "[--format text|json] [--verdict VERDICT] [--grep TEXT] [--limit N]" },
	{ "show", cmd_show, CMD_STORE_RO,
	  "show one report: every occurrence, access and frame, the evidence",
	  "[--format text|json] [--src DIR] [--raw] [--all] ID" },
	{ "stats", cmd_stats, CMD_STORE_RO,
	  "count reports by verdict, bug type, top function and subsystem",
	  "[--format text|json] [--top N]" },
	{ "label", cmd_label, CMD_STORE,
	  "record a person's verdict for a report; it wins over the tool's",
	  "--as VERDICT [--note TEXT] ID...\n--clear ID..." },
	{ "rules", cmd_rules, CMD_RULES | CMD_SYMBOLS,
	  "list the knowledge base, or check it against a kernel's DWARF",
	  "list [--format text|json] [--rules FILE]...\n"
	  "check --vmlinux PATH [--modules DIR] [--format text|json] [--rules FILE]..." },
	{ "symbolize", cmd_symbolize, CMD_SYMBOLS | CMD_SYMBOLS_DEFAULT,
	  "copy a kernel log with every stack frame annotated with file:line and inlines",
	  "[--vmlinux PATH] [--modules DIR] [--symbolizer libdw|addr2line] [--full-paths] [FILE|-]" },
	{ "cost", cmd_cost, 0,
	  "what a patch costs: sizes, instructions and source lines of two builds of an object",
	  "[--format text|json] [--function REGEX]... OLD NEW" },
	{ "help", cmd_help, 0, "show the help of a command", "[COMMAND]" },
	{ NULL, NULL, 0, NULL, NULL },
};

const struct cmd *cmd_find(const char *name)
{
	for (const struct cmd *c = kt_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void cmd_usage(FILE *fp, const struct cmd *c)
{
	const char *u = c->usage;
	bool first = true;

	while (*u) {
		const char *nl = strchr(u, '\n');
		size_t n = nl ? (size_t)(nl - u) : strlen(u);

		fprintf(fp, "%s %s %s %.*s\n", first ? "usage:" : "      ", KT_PROG, c->name, (int)n, u);
		first = false;
		u += n + (nl ? 1 : 0);
	}
}

static void usage(FILE *fp)
{
	fprintf(fp, "usage: %s [--db PATH] [--quiet] COMMAND [ARGS]\n\n", KT_PROG);
	fprintf(fp, "Triage KCSAN data-race reports: find them in any log or mail, symbolize them,\n"
		    "tell device-written memory (false positives) from real races, and keep them.\n\n");
	fprintf(fp, "commands:\n");
	for (const struct cmd *c = kt_commands; c->name; c++)
		fprintf(fp, "  %-10s %s\n", c->name, c->summary);
	fprintf(fp, "\nglobal options:\n"
		    "  --db PATH    the store (default $KCSAN_TRIAGE_DB, else ./kcsan-triage.db)\n"
		    "  --quiet      no warnings on standard error\n"
		    "  --version    print the version\n"
		    "  --help       this text; '%s help COMMAND' for a command\n", KT_PROG);
	fprintf(fp, "\nexit status:\n");
	for (const struct kt_exit_code *e = kt_exit_codes; e->meaning; e++)
		fprintf(fp, "  %d  %s\n", e->code, e->meaning);
}

int cmd_help(int argc, char **argv, struct ctx *ctx)
{
	const struct cmd *c;

	(void)ctx;
	if (argc < 2) {
		usage(stdout);
		return cmd_finish_output(ctx, 0);
	}
	c = cmd_find(argv[1]);
	if (!c) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "no such command: %s", argv[1]);
		return KT_EXIT_USAGE;
	}
	printf("%s %s - %s\n", KT_PROG, c->name, c->summary);
	cmd_usage(stdout, c);
	printf("\nSee %s(1) for every option.\n", KT_PROG);
	return cmd_finish_output(ctx, 0);
}

int parse_format(struct ctx *ctx, const char *s, enum kt_format *out)
{
	if (!strcmp(s, "text"))
		*out = KT_FMT_TEXT;
	else if (!strcmp(s, "json"))
		*out = KT_FMT_JSON;
	else {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "--format takes text or json, not '%s'", s);
		return -1;
	}
	return 0;
}

int cmd_finish_output(struct ctx *ctx, int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		kt_error(ctx, KT_EXIT_INTERNAL, NULL, "write error on standard output: %s", strerror(errno));
		return KT_EXIT_INTERNAL;
	}
	return rc;
}

int parse_backend(struct ctx *ctx, const char *s, enum sym_backend *backend)
{
	if (!strcmp(s, "libdw"))
		*backend = SYM_LIBDW;
	else if (!strcmp(s, "addr2line"))
		*backend = SYM_ADDR2LINE;
	else {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "--symbolizer takes libdw or addr2line, not '%s'", s);
		return -1;
	}
	return 0;
}

int cmd_close_output(struct ctx *ctx, struct out *o, int rc)
{
	if (out_close(o) < 0) {
		kt_error(ctx, KT_EXIT_INTERNAL, NULL, "write error on standard output: %s", strerror(errno));
		return KT_EXIT_INTERNAL;
	}
	return cmd_finish_output(ctx, rc);
}

int parse_count(struct ctx *ctx, const char *opt, const char *arg, long min, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "%s takes a number of at least %ld, not '%s'", opt, min, arg);
		return -1;
	}
	*out = v;
	return 0;
}

int cmd_inputs(struct ctx *ctx, int *argc, char ***argv)
{
	static char *stdin_arg[] = { (char *)"-", NULL };

	if (*argc > 0)
		return 0;
	if (isatty(0)) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "no input: name files or directories, or pipe a log in ('-' is standard input)");
		return -1;
	}
	*argv = stdin_arg;
	*argc = 1;
	return 0;
}

int cmd_no_operands(struct ctx *ctx, const char *cmd, int argc, char **argv, int optind_)
{
	if (optind_ < argc) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "%s takes no operands ('%s')", cmd, argv[optind_]);
		return -1;
	}
	return 0;
}

/* Levenshtein distance, for "did you mean". */
static int edit_distance(const char *a, const char *b)
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

static void unknown_command(struct ctx *ctx, const char *name)
{
	const struct cmd *best = NULL;
	int bd = 1000;

	for (const struct cmd *c = kt_commands; c->name; c++) {
		int d = edit_distance(name, c->name);

		if (d < bd) {
			bd = d;
			best = c;
		}
	}
	if (best && bd <= 3)
		kt_error(ctx, KT_EXIT_USAGE, NULL, "'%s' is not a command; did you mean '%s'?", name, best->name);
	else
		kt_error(ctx, KT_EXIT_USAGE, NULL, "'%s' is not a command; see '%s --help'", name, KT_PROG);
}

static bool has_no_db(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--no-db"))
			return true;
	}
	return false;
}

/* Options naming rules files are global to the knowledge base. */
static void collect_rules_files(struct ctx *ctx, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		const char *f = NULL;

		if (!strcmp(argv[i], "--rules") && i + 1 < argc)
			f = argv[++i];
		else if (!strncmp(argv[i], "--rules=", 8))
			f = argv[i] + 8;
		if (f) {
			ctx->rules_files = xrealloc(ctx->rules_files, (size_t)(ctx->n_rules_files + 1) * sizeof(char *));
			ctx->rules_files[ctx->n_rules_files++] = f;
		}
	}
}

/* --vmlinux, --modules and --symbolizer, wherever they stand among the command's options. */
static int collect_sym_options(struct ctx *ctx, int argc, char **argv, struct sym_options *so)
{
	so->backend = SYM_LIBDW;
	for (int i = 1; i < argc; i++) {
		const char *v = NULL, *a = argv[i];
		static const char *const names[] = { "--vmlinux", "--modules", "--symbolizer" };

		if (!strcmp(a, "--"))
			break;
		for (int k = 0; k < 3; k++) {
			size_t n = strlen(names[k]);

			if (!strcmp(a, names[k]) && i + 1 < argc)
				v = argv[++i];
			else if (!strncmp(a, names[k], n) && a[n] == '=')
				v = a + n + 1;
			else
				continue;
			if (k == 0)
				so->vmlinux = v;
			else if (k == 1)
				so->modules_dir = v;
			else if (parse_backend(ctx, v, &so->backend) < 0)
				return -1;
			break;
		}
	}
	if (so->modules_dir && !so->vmlinux) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "--modules needs --vmlinux");
		return -1;
	}
	return 0;
}

/* An exit code for a failure that kt_error() may already have given one. */
static int failed(const struct ctx *ctx, int fallback)
{
	return ctx->worst_exit ? ctx->worst_exit : fallback;
}

/*
 * Open what the command's flags ask for: the knowledge base, the
 * symbolizer, the store.  KT_EXIT_OK, or the exit code (reported); main()
 * closes whatever was opened either way.
 */
static int open_resources(struct ctx *ctx, const struct cmd *c, int argc, char **argv)
{
	if (c->flags & CMD_RULES) {
		collect_rules_files(ctx, argc, argv);
		ctx->rules = rules_load(ctx, ctx->rules_files, ctx->n_rules_files);
		if (!ctx->rules)
			return failed(ctx, KT_EXIT_SYMBOLS);
	}
	if (c->flags & CMD_SYMBOLS) {
		struct sym_options so = { 0 };

		if (collect_sym_options(ctx, argc, argv, &so) < 0)
			return KT_EXIT_USAGE;
		if (!so.vmlinux && (c->flags & CMD_SYMBOLS_DEFAULT)) {
			if (access("vmlinux", F_OK) != 0) {
				kt_error(ctx, KT_EXIT_USAGE, NULL, "no vmlinux: pass --vmlinux PATH (the default is ./vmlinux)");
				return KT_EXIT_USAGE;
			}
			so.vmlinux = "vmlinux";
		}
		if (so.vmlinux) {
			ctx->vmlinux = so.vmlinux;
			ctx->sym = sym_open(ctx, &so);
			if (!ctx->sym)
				return failed(ctx, KT_EXIT_SYMBOLS);
		}
	}
	if ((c->flags & (CMD_STORE | CMD_STORE_RO)) && !((c->flags & CMD_NODB_OPT) && has_no_db(argc, argv))) {
		ctx->store = store_open(ctx, ctx->db_path, (c->flags & CMD_STORE_RO) != 0);
		if (!ctx->store)
			return failed(ctx, KT_EXIT_STORE);
	}
	return KT_EXIT_OK;
}

static int64_t clock_now(void)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");

	if (e && *e) {
		char *end;
		long long v = strtoll(e, &end, 10);

		if (!*end)
			return v;
	}
	return (int64_t)time(NULL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx ctx = { 0 };
	const struct cmd *c;
	int opt, rc;

	ctx.db_path = getenv("KCSAN_TRIAGE_DB");
	if (!ctx.db_path || !*ctx.db_path)
		ctx.db_path = "kcsan-triage.db";
	ctx.now = clock_now();

	/* global options stop at the first non-option: the command */
	while ((opt = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			ctx.db_path = optarg;
			break;
		case 'q':
			ctx.quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return cmd_finish_output(&ctx, 0);
		case 'V':
			printf("%s %s\n", KT_PROG, KT_VERSION);
			return cmd_finish_output(&ctx, 0);
		default:
			usage(stderr);
			return KT_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return KT_EXIT_USAGE;
	}
	c = cmd_find(argv[optind]);
	if (!c) {
		unknown_command(&ctx, argv[optind]);
		return KT_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	optind = 0;   /* the command parses its own options from argv[0] on */

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			char *hargv[] = { (char *)"help", (char *)c->name, NULL };

			return cmd_help(2, hargv, &ctx);
		}
	}

	rc = open_resources(&ctx, c, argc, argv);
	if (rc == KT_EXIT_OK) {
		rc = c->fn(argc, argv, &ctx);
		if (ctx.store && store_close(&ctx, ctx.store) != 0 && rc < KT_EXIT_STORE)
			rc = KT_EXIT_STORE;
	}
	sym_close(ctx.sym);
	rules_free(ctx.rules);
	free(ctx.rules_files);
	if (ctx.worst_exit > rc)
		rc = ctx.worst_exit;
	return rc;
}
