/* main.c - global options, the command table and the dispatcher. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "render.h"
#include "report.h"
#include "rules.h"
#include "store.h"
#include "sym.h"
#include "term.h"

#ifndef KT_VERSION
#define KT_VERSION "0.1"
#endif

static const struct cmd rules_subcommands[] = {
	{ "list", cmd_rules_list, CMD_RULES,
	  "print the knowledge base: every rule and its members",
	  NULL, &cmd_rules_list_options, NULL },
	{ "check", cmd_rules_check, CMD_RULES | CMD_SYMBOLS,
	  "check every rule against a kernel's DWARF and symbols",
	  NULL, &cmd_rules_check_options, NULL },
	{ NULL, NULL, 0, NULL, NULL, NULL, NULL },
};

const struct cmd kt_commands[] = {
	{ "scan", cmd_scan, CMD_STORE | CMD_RULES | CMD_SYMBOLS,
	  "find KCSAN reports in logs, mail and archives; triage and store them",
	  "[FILE|DIR|-]...", &cmd_scan_options, NULL },
	{ "list", cmd_list, CMD_STORE_RO, "list the reports in the store", NULL, &cmd_list_options, NULL },
	{ "show", cmd_show, CMD_STORE_RO | CMD_PAGER, "show one report: every occurrence, access and frame, the evidence",
	  "ID", &cmd_show_options, NULL },
	{ "stats", cmd_stats, CMD_STORE_RO, "count reports by verdict, bug type, top function and subsystem",
	  NULL, &cmd_stats_options, NULL },
	{ "label", cmd_label, CMD_STORE, "record a person's verdict for a report; it wins over the tool's",
	  "ID...", &cmd_label_options, NULL },
	{ "export", cmd_export, CMD_STORE_RO,
	  "write the labels as a triage file, or the functions to filter as KCSAN's debugfs takes them",
	  NULL, &cmd_export_options, NULL },
	{ "merge", cmd_merge, CMD_STORE, "fold stores made elsewhere into this one: exact counts, labels kept",
	  "OTHER.db...", &cmd_merge_options, NULL },
	{ "rules", NULL, 0, "list the knowledge base, or check it against a kernel's DWARF",
	  NULL, NULL, rules_subcommands },
	{ "symbolize", cmd_symbolize, CMD_SYMBOLS | CMD_SYMBOLS_DEFAULT,
	  "copy a kernel log with every stack frame annotated with file:line and inlines",
	  "[FILE|-]...", &cmd_symbolize_options, NULL },
	{ "maintainers", cmd_maintainers, CMD_SYMBOLS,
	  "who to mail about kernel files (as get_maintainer.pl), or about each report's guilty file",
	  "FILE...|--guilty [LOG|-]...", &cmd_maintainers_options, NULL },
	{ "cost", cmd_cost, 0,
	  "what a patch costs: sizes, instructions and source lines of two builds of an object",
	  "OLD NEW", &cmd_cost_options, NULL },
	{ "help", cmd_help, 0, "show the help of a command", "[COMMAND [SUBCOMMAND]]", NULL, NULL },
	{ NULL, NULL, 0, NULL, NULL, NULL, NULL },
};

/* ---------------------------------------------------------------------- */
/* the global options and the shared groups: their values are the dispatcher's */

struct main_opts {
	const char *db;
	bool quiet, no_db, help, version, list_cmds, list_opts, no_pager;
	int color;                 /* enum term_color */
	char *db_default;          /* the default store's path, when it is used */
	struct opt_list rules;
	const char *vmlinux, *modules;
	const char *kaslr_offset;  /* hex, as given */
	int symbolizer;            /* enum sym_backend */
};

static const struct option_spec db_specs[] = {
	OPT_STRING("db", "PATH", struct main_opts, db, "the store (else $KCSAN_TRIAGE_DB, else $XDG_DATA_HOME/kcsan-triage/kcsan-triage.db)"),
	OPT_END(),
};
static const struct option_table opt_group_db = OPT_GROUP_TABLE("store", OPT_BASE_MAIN, struct main_opts, db_specs);

static const struct option_spec store_specs[] = {
	OPT_INCLUDE(opt_group_db),
	OPT_FLAG("no-db", 0, struct main_opts, no_db, "only print; open no store"),
	OPT_END(),
};
const struct option_table opt_group_store = OPT_GROUP_TABLE("store", OPT_BASE_MAIN, struct main_opts, store_specs);

static const struct option_spec rules_specs[] = {
	OPT_LIST("rules", "FILE", struct main_opts, rules, "add a rules file to the knowledge base"),
	OPT_END(),
};
const struct option_table opt_group_rules =
	OPT_GROUP_TABLE("knowledge base", OPT_BASE_MAIN, struct main_opts, rules_specs);

static const struct opt_choice symbolizers[] = {
	{ "libdw", SYM_LIBDW },
	{ "addr2line", SYM_ADDR2LINE },
	{ NULL, 0 },
};
static const struct option_spec symbol_specs[] = {
	OPT_STRING("vmlinux", "PATH", struct main_opts, vmlinux,
		   "the kernel the reports came from, with its DWARF"),
	OPT_STRING("modules", "DIR", struct main_opts, modules,
		   "where its modules' .ko files are"),
	OPT_ENUM("symbolizer", struct main_opts, symbolizer, symbolizers, "libdw",
		 "the back end"),
	OPT_STRING("kaslr-offset", "HEX", struct main_opts, kaslr_offset,
		   "the KASLR slide: the running kernel's addresses are the vmlinux's plus HEX"),
	OPT_END(),
};
const struct option_table opt_group_symbols =
	OPT_GROUP_TABLE("symbols", OPT_BASE_MAIN, struct main_opts, symbol_specs);

static const struct opt_choice formats[] = {
	{ "text", KT_FMT_TEXT },
	{ "json", KT_FMT_JSON },
	{ NULL, 0 },
};
static const struct option_spec output_specs[] = {
	OPT_ENUM("format", struct opt_output, format, formats, "text", "text, or one JSON document"),
	OPT_END(),
};
const struct option_table opt_group_output = OPT_GROUP_TABLE(NULL, OPT_BASE_CMD, struct opt_output, output_specs);

static const struct opt_choice formats_csv[] = {
	{ "text", KT_FMT_TEXT },
	{ "json", KT_FMT_JSON },
	{ "csv", KT_FMT_CSV },
	{ NULL, 0 },
};
static const struct option_spec output_csv_specs[] = {
	OPT_ENUM("format", struct opt_output, format, formats_csv, "text", "text, one JSON document, or CSV"),
	OPT_END(),
};
const struct option_table opt_group_output_csv =
	OPT_GROUP_TABLE(NULL, OPT_BASE_CMD, struct opt_output, output_csv_specs);

const struct opt_choice opt_verdicts[] = {
	{ "device-origin", V_DEVICE_ORIGIN },
	{ "real-race", V_REAL_RACE },
	{ "unknown-origin", V_UNKNOWN_ORIGIN },
	{ NULL, 0 },
};

static const struct opt_choice color_modes[] = {
	{ "auto", TERM_COLOR_AUTO },
	{ "always", TERM_COLOR_ALWAYS },
	{ "never", TERM_COLOR_NEVER },
	{ NULL, 0 },
};

/* before or after the command */
static const struct option_spec global_specs[] = {
	OPT_INCLUDE(opt_group_db),
	OPT_FLAG("quiet", 'q', struct main_opts, quiet, "no warnings on standard error"),
	OPT_ENUM("color", struct main_opts, color, color_modes, "auto",
		 "colour verdicts and emphasis: on a terminal without $NO_COLOR (auto), always, never"),
	OPT_FLAG("no-pager", 0, struct main_opts, no_pager, "do not page show's output on a terminal"),
	OPT_INCLUDE(opt_group_rules),
	OPT_FLAG_STOP("help", 'h', struct main_opts, help, "this text, or a command's usage and options"),
	OPT_FLAG_STOP("version", 'V', struct main_opts, version, "print the version"),
	OPT_END(),
};
static const struct option_table global_options =
	OPT_GROUP_TABLE("global options", OPT_BASE_MAIN, struct main_opts, global_specs);

/* only before the command */
static const struct option_spec top_specs[] = {
	OPT_INCLUDE(global_options),
	OPT_FLAG("list-cmds", 0, struct main_opts, list_cmds, "the commands, or COMMAND's, for completion"),
	OPT_FLAG("list-opts", 0, struct main_opts, list_opts,
		 "the options of COMMAND [SUB], for completion"),
	OPT_END(),
};
static const struct option_table top_options =
	OPT_GROUP_TABLE("global options", OPT_BASE_MAIN, struct main_opts, top_specs);

static const struct option_spec no_specs[] = { OPT_END() };
static const struct option_table no_options = OPT_TABLE(struct main_opts, no_specs);

/* What parses a command's options: its table, then the global options. */
static struct opt_parser cmd_parser(const struct cmd *c, void *opts, struct main_opts *mo)
{
	struct opt_parser p = { { c->options ? c->options : &no_options, &global_options, NULL }, { opts, mo }, false };

	return p;
}

/* ---------------------------------------------------------------------- */
/* usage and help */

static const struct cmd *cmd_find(const struct cmd *table, const char *name)
{
	for (const struct cmd *c = table; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* "list, check" */
static void cmd_names(struct sbuf *sb, const struct cmd *table, const char *sep)
{
	for (const struct cmd *c = table; c->name; c++)
		sbuf_addf(sb, "%s%s", c == table ? "" : sep, c->name);
}

/* The one line a usage error prints, and where to look. */
static void cmd_short_usage(FILE *fp, const char *name, const struct cmd *c)
{
	struct sbuf subs = SBUF_INIT;

	if (c->subcommands) {
		cmd_names(&subs, c->subcommands, "|");
		sbuf_addc(&subs, ' ');
	}
	fprintf(fp, "usage: %s %s %s[OPTION]...%s%s\n", KT_PROG, name, sbuf_str(&subs), c->operands ? " " : "",
		c->operands ? c->operands : "");
	fprintf(fp, "see '%s help %s'\n", KT_PROG, name);
	sbuf_release(&subs);
}

static void main_short_usage(FILE *fp)
{
	fprintf(fp, "usage: %s [OPTION]... COMMAND [ARGS]\nsee '%s --help'\n", KT_PROG, KT_PROG);
}

static void cmd_synopsis(FILE *fp, const char *lead, const char *name, const struct cmd *c)
{
	struct opt_parser p = cmd_parser(c, NULL, NULL);

	fprintf(fp, "%s %s %s", lead, KT_PROG, name);
	opt_print_synopsis(fp, &p, strlen(lead) + strlen(KT_PROG) + strlen(name) + 2, c->operands);
}

/* help CMD, CMD --help: the usage, the summary, every option with its meaning. */
static void cmd_print_help(FILE *fp, const char *name, const struct cmd *c)
{
	struct opt_parser p = cmd_parser(c, NULL, NULL);

	if (c->subcommands) {
		for (const struct cmd *s = c->subcommands; s->name; s++) {
			char *full = xasprintf("%s %s", name, s->name);

			cmd_synopsis(fp, s == c->subcommands ? "usage:" : "   or:", full, s);
			free(full);
		}
		fprintf(fp, "\n%s\n\nsubcommands:\n", c->summary);
		for (const struct cmd *s = c->subcommands; s->name; s++)
			fprintf(fp, "    %-21s %s\n", s->name, s->summary);
		fprintf(fp, "\nsee '%s help %s SUBCOMMAND' for its options\n", KT_PROG, name);
		return;
	}
	cmd_synopsis(fp, "usage:", name, c);
	fprintf(fp, "\n%s\n", c->summary);
	opt_print_help(fp, &p);
	fprintf(fp, "\nSee %s(1) for more.\n", KT_PROG);
}

static void usage(FILE *fp)
{
	struct opt_parser p = { { &top_options, NULL }, { NULL, NULL }, true };

	fprintf(fp, "usage: %s", KT_PROG);
	opt_print_synopsis(fp, &p, strlen("usage: ") + strlen(KT_PROG), "COMMAND [ARGS]");
	fprintf(fp, "\nTriage KCSAN data-race reports: find them in any log or mail, symbolize them,\n"
		    "tell device-written memory (false positives) from real races, and keep them.\n\n");
	fprintf(fp, "commands:\n");
	for (const struct cmd *c = kt_commands; c->name; c++)
		fprintf(fp, "  %-10s %s\n", c->name, c->summary);
	opt_print_help(fp, &p);
	fprintf(fp, "\n'%s help COMMAND' shows a command's options.\n", KT_PROG);
	fprintf(fp, "\nexit status:\n");
	for (const struct kt_exit_code *e = kt_exit_codes; e->meaning; e++)
		fprintf(fp, "  %d  %s\n", e->code, e->meaning);
}

/* ---------------------------------------------------------------------- */
/* finding the command */

static void unknown_command(struct ctx *ctx, const struct cmd *table, const char *parent, const char *name)
{
	const struct cmd *best = NULL;
	struct sbuf what = SBUF_INIT;
	int bd = 1000;

	for (const struct cmd *c = table; c->name; c++) {
		int d = opt_edit_distance(name, c->name);

		if (d < bd) {
			bd = d;
			best = c;
		}
	}
	if (parent)
		sbuf_addf(&what, "a subcommand of %s", parent);
	else
		sbuf_adds(&what, "a command");
	if (best && bd <= 3)
		kt_error(ctx, KT_EXIT_USAGE, NULL, "'%s' is not %s; did you mean '%s'?", name, what.buf, best->name);
	else if (parent)
		kt_error(ctx, KT_EXIT_USAGE, NULL, "'%s' is not %s", name, what.buf);
	else
		kt_error(ctx, KT_EXIT_USAGE, NULL, "'%s' is not a command; see '%s --help'", name, KT_PROG);
	sbuf_release(&what);
}

/*
 * The command (and subcommand) that argv names: NULL, reported, when it
 * names none.  *name gets "rules check"; *used how many words it took.
 * A command of subcommands stands for itself when whole (help rules) or
 * when --help follows it.
 */
static const struct cmd *cmd_select(struct ctx *ctx, int argc, char **argv, bool whole, struct sbuf *name, int *used)
{
	const struct cmd *c = cmd_find(kt_commands, argv[0]), *s;
	struct sbuf subs = SBUF_INIT;

	*used = 1;
	if (!c) {
		unknown_command(ctx, kt_commands, NULL, argv[0]);
		return NULL;
	}
	sbuf_adds(name, c->name);
	if (!c->subcommands)
		return c;
	if (argc > 1 && argv[1][0] != '-') {
		s = cmd_find(c->subcommands, argv[1]);
		if (s) {
			sbuf_addf(name, " %s", s->name);
			*used = 2;
			return s;
		}
		unknown_command(ctx, c->subcommands, c->name, argv[1]);
	} else if (whole ? argc == 1 : argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		return c;
	} else {
		cmd_names(&subs, c->subcommands, ", ");
		kt_error(ctx, KT_EXIT_USAGE, NULL, "%s needs a subcommand (%s)", c->name, subs.buf);
		sbuf_release(&subs);
	}
	cmd_short_usage(stderr, c->name, c);
	return NULL;
}

/* --list-cmds [COMMAND], --list-opts [COMMAND [SUBCOMMAND]]: for completion. */
static int list_for_completion(struct ctx *ctx, const struct main_opts *mo, int argc, char **argv)
{
	static const struct cmd none = { 0 };
	const struct cmd *c = argc ? cmd_find(kt_commands, argv[0]) : NULL, *s = NULL;
	struct opt_parser p = { { &top_options, NULL }, { NULL, NULL }, true };

	if (argc && !c) {
		unknown_command(ctx, kt_commands, NULL, argv[0]);
		return KT_EXIT_USAGE;
	}
	if (c && c->subcommands && argc > 1 && !(s = cmd_find(c->subcommands, argv[1]))) {
		unknown_command(ctx, c->subcommands, c->name, argv[1]);
		return KT_EXIT_USAGE;
	}
	if (mo->list_cmds) {
		for (const struct cmd *t = c ? c->subcommands : kt_commands; t && t->name; t++)
			printf("%s\n", t->name);
	} else {
		/* a command of subcommands has no options before its subcommand but the global ones */
		if (c)
			p = cmd_parser(s ? s : c->subcommands ? &none : c, NULL, NULL);
		opt_print_list(stdout, &p);
	}
	return cmd_finish_output(ctx, KT_EXIT_OK);
}

int cmd_help(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	const struct cmd *c;
	struct sbuf name = SBUF_INIT;
	int used;

	(void)opts;
	if (argc < 1) {
		usage(stdout);
		return cmd_finish_output(ctx, 0);
	}
	c = cmd_select(ctx, argc, argv, true, &name, &used);
	if (c && used < argc) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "help takes one command, not '%s'", argv[used]);
		c = NULL;
	}
	if (c)
		cmd_print_help(stdout, name.buf, c);
	sbuf_release(&name);
	return c ? cmd_finish_output(ctx, 0) : KT_EXIT_USAGE;
}

/* ---------------------------------------------------------------------- */
/* helpers of the commands */

int cmd_finish_output(struct ctx *ctx, int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		kt_error(ctx, KT_EXIT_INTERNAL, NULL, "write error on standard output: %s", strerror(errno));
		return KT_EXIT_INTERNAL;
	}
	return rc;
}

int cmd_close_output(struct ctx *ctx, struct out *o, int rc)
{
	if (out_close(o) < 0) {
		kt_error(ctx, KT_EXIT_INTERNAL, NULL, "write error on standard output: %s", strerror(errno));
		return KT_EXIT_INTERNAL;
	}
	return cmd_finish_output(ctx, rc);
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

/* ---------------------------------------------------------------------- */
/* the dispatcher */

/* An exit code for a failure that kt_error() may already have given one. */
static int failed(const struct ctx *ctx, int fallback)
{
	return ctx->worst_exit ? ctx->worst_exit : fallback;
}

/*
 * The default store: $XDG_DATA_HOME/kcsan-triage/kcsan-triage.db, with
 * ~/.local/share for an unset (or relative) $XDG_DATA_HOME; NULL without
 * either.
 */
static char *main_default_db(void)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (xdg && xdg[0] == '/')
		return xasprintf("%s/kcsan-triage/kcsan-triage.db", xdg);
	if (home && *home)
		return xasprintf("%s/.local/share/kcsan-triage/kcsan-triage.db", home);
	return NULL;
}

/* mkdir -p of path's directory (mode 0700, as XDG asks): 0, or -1 reported. */
static int main_make_dirs(struct ctx *ctx, const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int rc = 0;

	if (!slash || slash == dir) {
		free(dir);
		return 0;
	}
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			kt_error(ctx, KT_EXIT_STORE, dir, "cannot create the store's directory: %s", strerror(errno));
			rc = -1;
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	free(dir);
	return rc;
}

/* A hexadecimal number, "0x" optional: 0, or -1 when s is none. */
static int main_parse_hex(const char *s, uint64_t *v)
{
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!isxdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 16);
	return *end || errno ? -1 : 0;
}

/*
 * Open what the command's flags ask for: the knowledge base, the
 * symbolizer, the store.  KT_EXIT_OK, or the exit code (reported); the
 * caller closes whatever was opened either way.
 */
static int open_resources(struct ctx *ctx, const struct cmd *c, const struct main_opts *mo)
{
	if (c->flags & CMD_RULES) {
		ctx->rules = rules_load(ctx, ctx->rules_files, ctx->n_rules_files);
		if (!ctx->rules)
			return failed(ctx, KT_EXIT_SYMBOLS);
	}
	if (c->flags & CMD_SYMBOLS) {
		struct sym_options so = { mo->vmlinux, mo->modules, (enum sym_backend)mo->symbolizer, false, 0 };

		if (mo->kaslr_offset && main_parse_hex(mo->kaslr_offset, &so.kaslr_offset) < 0) {
			kt_error(ctx, KT_EXIT_USAGE, NULL, "--kaslr-offset takes a hexadecimal number (0x1e000000), not '%s'",
				 mo->kaslr_offset);
			return KT_EXIT_USAGE;
		}
		so.has_kaslr_offset = mo->kaslr_offset != NULL;

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
	if ((c->flags & (CMD_STORE | CMD_STORE_RO)) && !mo->no_db) {
		if (!ctx->db_path) {
			kt_error(ctx, KT_EXIT_USAGE, NULL, "no store: neither $HOME nor $XDG_DATA_HOME is set; pass --db PATH");
			return KT_EXIT_USAGE;
		}
		if (mo->db_default && !(c->flags & CMD_STORE_RO) && main_make_dirs(ctx, mo->db_default) < 0)
			return KT_EXIT_STORE;
		ctx->store = store_open(ctx, ctx->db_path, (c->flags & CMD_STORE_RO) != 0);
		if (!ctx->store)
			return failed(ctx, KT_EXIT_STORE);
	}
	return KT_EXIT_OK;
}

/* The global options, as the context has them. */
static void ctx_from_options(struct ctx *ctx, struct main_opts *mo)
{
	const char *env = getenv("KCSAN_TRIAGE_DB");

	/* an explicit --db wins over the environment */
	ctx->db_path = mo->db;
	if (!ctx->db_path && env && *env)
		ctx->db_path = env;
	if (!ctx->db_path) {
		free(mo->db_default);
		mo->db_default = main_default_db();
		ctx->db_path = mo->db_default;
	}
	term_setup(ctx, (enum term_color)mo->color);
	ctx->no_pager = mo->no_pager;
	ctx->quiet = mo->quiet;
	ctx->rules_files = mo->rules.v;
	ctx->n_rules_files = (int)mo->rules.n;
}

/* Open, run, close; then flush and check standard output (git's run_builtin). */
static int run_builtin(struct ctx *ctx, const struct cmd *c, struct main_opts *mo, int argc, char **argv,
		       const void *opts)
{
	int rc;

	ctx_from_options(ctx, mo);
	rc = open_resources(ctx, c, mo);
	if (rc == KT_EXIT_OK) {
		if (c->flags & CMD_PAGER)
			term_start_pager(ctx);
		rc = c->fn(argc, argv, ctx, opts);
		if (ctx->store && store_close(ctx, ctx->store) != 0 && rc < KT_EXIT_STORE)
			rc = KT_EXIT_STORE;
	}
	term_finish_pager(ctx);
	sym_close(ctx->sym);
	rules_free(ctx->rules);
	ctx->store = NULL;
	ctx->sym = NULL;
	ctx->rules = NULL;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (ctx->worst_exit < KT_EXIT_INTERNAL)
			kt_error(ctx, KT_EXIT_INTERNAL, NULL, "write error on standard output: %s", strerror(errno));
		rc = KT_EXIT_INTERNAL;
	}
	return rc > ctx->worst_exit ? rc : ctx->worst_exit;
}

/* What the tables cannot say: OPT_PARSED, or OPT_ERROR reported. */
static int cmd_check_usage(struct ctx *ctx, const char *name, const struct cmd *c, const struct main_opts *mo, int argc,
			   char **argv)
{
	if (!c->operands && argc) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "%s takes no operands ('%s')", name, argv[0]);
		return OPT_ERROR;
	}
	if (mo->modules && !mo->vmlinux) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "--modules needs --vmlinux");
		return OPT_ERROR;
	}
	return OPT_PARSED;
}

/* argv: the command's name, then its arguments. */
static int run_command(struct ctx *ctx, struct main_opts *mo, int argc, char **argv)
{
	struct sbuf name = SBUF_INIT;
	const struct cmd *c;
	struct opt_parser p;
	void *opts = NULL;
	int used, rc = KT_EXIT_USAGE;

	c = cmd_select(ctx, argc, argv, false, &name, &used);
	if (!c)
		goto out;
	argc -= used;
	argv += used;
	opts = xcalloc(1, c->options ? c->options->size : 1);
	p = cmd_parser(c, opts, mo);
	if (opt_defaults(ctx, &p) < 0) {
		rc = KT_EXIT_INTERNAL;
		goto release;
	}
	rc = opt_parse(ctx, &p, &argc, argv);
	if (rc == OPT_PARSED && !mo->help && !mo->version)
		rc = cmd_check_usage(ctx, name.buf, c, mo, argc, argv);
	if (rc == OPT_ERROR) {
		cmd_short_usage(stderr, name.buf, c);
		rc = KT_EXIT_USAGE;
	} else if (mo->help || !c->fn) {
		cmd_print_help(stdout, name.buf, c);
		rc = cmd_finish_output(ctx, KT_EXIT_OK);
	} else if (mo->version) {
		printf("%s %s\n", KT_PROG, KT_VERSION);
		rc = cmd_finish_output(ctx, KT_EXIT_OK);
	} else {
		rc = run_builtin(ctx, c, mo, argc, argv, opts);
	}
release:
	opt_release(&p);
out:
	free(opts);
	sbuf_release(&name);
	return rc;
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

/*
 * A read of a file mapped into memory that the disk fails, or past the end
 * of a file that shrank meanwhile, is a SIGBUS: the store's (SQLite maps
 * it while a scan writes) or an ELF file's (libelf).  One line and exit 6,
 * instead of a crash; what the store committed before is kept (its WAL).
 */
static void main_on_sigbus(int sig)
{
	static const char msg[] = KT_PROG ": error: a file read through a mapping failed (SIGBUS: the disk, "
				  "or a file that shrank while it was read); stopped, what the store committed is kept\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(KT_EXIT_INTERNAL);
}

static void main_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_on_sigbus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct main_opts mo = { 0 };
	struct opt_parser top = { { &top_options, NULL }, { NULL, &mo }, true };
	struct ctx ctx = { 0 };
	int rc;

	ctx.now = clock_now();
	main_signals();
	argc--;
	argv++;
	if (opt_defaults(&ctx, &top) < 0)
		return KT_EXIT_INTERNAL;
	/* the global options end at the command's name */
	rc = opt_parse(&ctx, &top, &argc, argv);
	if (rc == OPT_ERROR) {
		main_short_usage(stderr);
		rc = KT_EXIT_USAGE;
	} else if (mo.help) {
		usage(stdout);
		rc = cmd_finish_output(&ctx, KT_EXIT_OK);
	} else if (mo.version) {
		printf("%s %s\n", KT_PROG, KT_VERSION);
		rc = cmd_finish_output(&ctx, KT_EXIT_OK);
	} else if (mo.list_cmds || mo.list_opts) {
		rc = list_for_completion(&ctx, &mo, argc, argv);
	} else if (!argc) {
		kt_error(&ctx, KT_EXIT_USAGE, NULL, "no command given");
		main_short_usage(stderr);
		rc = KT_EXIT_USAGE;
	} else {
		rc = run_command(&ctx, &mo, argc, argv);
	}
	opt_release(&top);
	free(mo.db_default);
	return rc;
}
