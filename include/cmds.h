/* cmds.h - the subcommands and their table. */
#ifndef CMDS_H
#define CMDS_H

#include "kt.h"

enum cmd_flags {
	CMD_STORE = 1 << 0,        /* needs the store (read-write) */
	CMD_STORE_RO = 1 << 1,     /* needs the store, read-only */
	CMD_NODB_OPT = 1 << 2,     /* ... unless given --no-db */
	CMD_RULES = 1 << 3,        /* needs the knowledge base */
	CMD_SYMBOLS = 1 << 4,      /* opens the symbolizer when --vmlinux is given */
	CMD_SYMBOLS_DEFAULT = 1 << 5, /* ... and ./vmlinux when it is not */
};

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct ctx *ctx);
	unsigned flags;
	const char *summary;
	const char *usage;         /* the options, one per line */
};

/*
 * Options that main() reads before the command runs (it loads the rules and
 * opens the symbolizer), for the command's getopt table: the command skips
 * them (case OPT_OPENED).
 */
#define OPT_OPENED 255
#define RULES_OPTIONS { "rules", required_argument, NULL, OPT_OPENED }
#define SYMBOL_OPTIONS \
	{ "vmlinux", required_argument, NULL, OPT_OPENED }, \
	{ "modules", required_argument, NULL, OPT_OPENED }, \
	{ "symbolizer", required_argument, NULL, OPT_OPENED }

extern const struct cmd kt_commands[];
const struct cmd *cmd_find(const char *name);

int cmd_scan(int argc, char **argv, struct ctx *ctx);
int cmd_list(int argc, char **argv, struct ctx *ctx);
int cmd_show(int argc, char **argv, struct ctx *ctx);
int cmd_stats(int argc, char **argv, struct ctx *ctx);
int cmd_label(int argc, char **argv, struct ctx *ctx);
int cmd_rules(int argc, char **argv, struct ctx *ctx);
int cmd_symbolize(int argc, char **argv, struct ctx *ctx);
int cmd_cost(int argc, char **argv, struct ctx *ctx);
int cmd_help(int argc, char **argv, struct ctx *ctx);

/* Print a command's usage to fp. */
void cmd_usage(FILE *fp, const struct cmd *c);
/* Parse --symbolizer libdw|addr2line into *backend (an enum sym_backend). */
enum sym_backend;
int parse_backend(struct ctx *ctx, const char *s, enum sym_backend *backend);
/* Parse "text" or "json". */
int parse_format(struct ctx *ctx, const char *s, enum kt_format *out);
/* Finish a command: flush stdout and check it. */
int cmd_finish_output(struct ctx *ctx, int rc);
struct out;
/* Close a command's writer and finish: rc, or KT_EXIT_INTERNAL on a write error. */
int cmd_close_output(struct ctx *ctx, struct out *o, int rc);
/* Parse the number of option opt (--limit N): 0, or -1 reported. */
int parse_count(struct ctx *ctx, const char *opt, const char *arg, long min, long *out);
/*
 * The inputs of a command that reads logs: its operands, or standard input
 * when there are none and it is not a terminal.  0, or -1 reported.
 */
int cmd_inputs(struct ctx *ctx, int *argc, char ***argv);
/* Commands without operands: 0, or -1 reported when argv has some left. */
int cmd_no_operands(struct ctx *ctx, const char *cmd, int argc, char **argv, int optind_);

#endif
