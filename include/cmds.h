/* cmds.h - the subcommands, their table and their option tables. */
#ifndef CMDS_H
#define CMDS_H

#include "kt.h"
#include "options.h"

enum cmd_flags {
	CMD_STORE = 1 << 0,        /* needs the store (read-write), unless given --no-db */
	CMD_STORE_RO = 1 << 1,     /* needs the store, read-only */
	CMD_RULES = 1 << 2,        /* needs the knowledge base */
	CMD_SYMBOLS = 1 << 3,      /* opens the symbolizer when --vmlinux is given */
	CMD_SYMBOLS_DEFAULT = 1 << 4, /* ... and ./vmlinux when it is not */
	CMD_PAGER = 1 << 5,        /* its output goes through the pager on a terminal (term.h) */
};

/*
 * A command runs once the dispatcher has parsed its options into its
 * options struct (opts, of the type its table fills) and opened what its
 * flags ask for; argv[0..argc) are its operands, options removed.
 */
typedef int cmd_fn(int argc, char **argv, struct ctx *ctx, const void *opts);

struct cmd {
	const char *name;
	cmd_fn *fn;                         /* NULL: a command of subcommands */
	unsigned flags;
	const char *summary;
	const char *operands;               /* after the options in its usage: "[FILE|DIR|-]..."; NULL: none */
	const struct option_table *options; /* NULL: none of its own */
	const struct cmd *subcommands;      /* ended by a NULL name: "rules list", "rules check" */
};

extern const struct cmd kt_commands[];

/*
 * The shared groups of options.  Those the dispatcher reads (rules,
 * symbols, store) are included with OPT_INCLUDE(); --format goes in the
 * command's own struct: OPT_INCLUDE_AT(opt_group_output, struct x_opts, out).
 */
extern const struct option_table opt_group_rules;      /* --rules FILE... */
extern const struct option_table opt_group_symbols;    /* --vmlinux, --modules, --symbolizer */
extern const struct option_table opt_group_store;      /* --db, --no-db */
struct opt_output {
	int format;                     /* enum kt_format */
};
extern const struct option_table opt_group_output;     /* --format text|json */
extern const struct option_table opt_group_output_csv; /* --format text|json|csv */
/* device-origin, real-race, unknown-origin: the values of enum verdict */
extern const struct opt_choice opt_verdicts[];

/* Each command's options, in its own file. */
extern const struct option_table cmd_scan_options, cmd_list_options, cmd_show_options, cmd_stats_options,
	cmd_label_options, cmd_rules_list_options, cmd_rules_check_options, cmd_symbolize_options,
	cmd_cost_options, cmd_maintainers_options, cmd_export_options, cmd_merge_options;

cmd_fn cmd_scan, cmd_list, cmd_show, cmd_stats, cmd_label, cmd_rules_list, cmd_rules_check, cmd_symbolize, cmd_cost,
	cmd_maintainers, cmd_export, cmd_merge, cmd_help;

/* Finish a command: flush stdout and check it. */
int cmd_finish_output(struct ctx *ctx, int rc);
struct out;
/* Close a command's writer and finish: rc, or KT_EXIT_INTERNAL on a write error. */
int cmd_close_output(struct ctx *ctx, struct out *o, int rc);
/*
 * The inputs of a command that reads logs: its operands, or standard input
 * when there are none and it is not a terminal.  0, or -1 reported.
 */
int cmd_inputs(struct ctx *ctx, int *argc, char ***argv);

#endif
