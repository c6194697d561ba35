/*
 * options.h - one option table per command: it drives the parsing, the
 * usage line, "help CMD" and shell completion (in the spirit of git's
 * parse-options).
 *
 * A command describes its options in a static table whose rows say where
 * each value goes (an offset into the command's own options struct), and
 * includes the shared groups (rules, symbols, store) by reference:
 *
 *     struct list_opts { int format; const char *grep; long limit; };
 *     static const struct option_spec list_specs[] = {
 *             OPT_ENUM("format", struct list_opts, format, opt_formats, "text", "text table or JSON"),
 *             OPT_STRING("grep", "TEXT", struct list_opts, grep, "only reports that contain TEXT"),
 *             OPT_INT("limit", "N", struct list_opts, limit, 0, NULL, "at most N reports"),
 *             OPT_END(),
 *     };
 *     const struct option_table cmd_list_options = OPT_TABLE(struct list_opts, list_specs);
 *
 * The dispatcher parses the command line with it and hands the command
 * its filled struct.  Long options are matched exactly (no
 * abbreviations); an unknown one gets the nearest as a suggestion.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stddef.h>

#include "kt.h"

enum opt_kind {
	OPT_KIND_END,       /* ends a table */
	OPT_KIND_INCLUDE,   /* the options of a shared group (.include) */
	OPT_KIND_FLAG,      /* --name: a bool, set to true */
	OPT_KIND_STRING,    /* --name ARG: a const char * (the last one given) */
	OPT_KIND_INT,       /* --name N: a long, at least .min */
	OPT_KIND_LIST,      /* --name ARG, repeatable: a struct opt_list, in order */
	OPT_KIND_ENUM,      /* --name CHOICE: an int, the value of one of .choices */
	OPT_KIND_CALLBACK,  /* --name ARG: .parse() checks it and stores it */
};

/* Whose struct an option's value goes in. */
enum opt_base {
	OPT_BASE_CMD,       /* the command's own options struct */
	OPT_BASE_MAIN,      /* the dispatcher's: global options and the shared groups */
	OPT_BASES,
};

struct opt_choice {
	const char *name;
	int value;
};

/* The values of an OPT_KIND_LIST option; opt_release() frees v. */
struct opt_list {
	const char **v;
	size_t n;
};

struct option_table;

struct option_spec {
	enum opt_kind kind;
	const char *long_name;          /* without the "--" */
	char short_name;                /* 0: none */
	const char *argname;            /* "FILE", "N"; NULL for flags and enums */
	size_t offset;                  /* of the value in its struct */
	const char *help;               /* one line, lowercase */
	const char *def;                /* the default, parsed as if given first; NULL: zero */
	long min;                       /* OPT_KIND_INT */
	const struct opt_choice *choices;   /* OPT_KIND_ENUM: ended by { NULL, 0 } */
	/* OPT_KIND_CALLBACK: 0, or -1 reported (kt_error(ctx, KT_EXIT_USAGE, ...)) */
	int (*parse)(struct ctx *ctx, const char *arg, void *value);
	const struct option_table *include; /* OPT_KIND_INCLUDE (at .offset of the command's struct) */
	bool stop;                      /* OPT_KIND_FLAG: parsing ends when it is given (--help) */
};

/* A command's table, or a shared group. */
struct option_table {
	const char *title;              /* a group's heading in help; NULL: a command's own options */
	enum opt_base base;
	const struct option_spec *specs;    /* ended by OPT_END() */
	size_t size;                    /* of the struct the values go in */
};

/* The offset of T's member m, checked to be of type type at compile time. */
#define OPT_OFFSET(T, m, type) (offsetof(T, m) + 0 * sizeof((type *)0 == &((T *)0)->m))

#define OPT_END() { .kind = OPT_KIND_END }
/* A shared group of the dispatcher's; a group of the command's own, whose struct is T's member m. */
#define OPT_INCLUDE(table) { .kind = OPT_KIND_INCLUDE, .include = &(table) }
#define OPT_INCLUDE_AT(table, T, m) { .kind = OPT_KIND_INCLUDE, .include = &(table), .offset = offsetof(T, m) }
#define OPT_FLAG(l, s, T, m, h) \
	{ .kind = OPT_KIND_FLAG, .long_name = (l), .short_name = (s), .offset = OPT_OFFSET(T, m, bool), .help = (h) }
#define OPT_FLAG_STOP(l, s, T, m, h) \
	{ .kind = OPT_KIND_FLAG, .long_name = (l), .short_name = (s), .offset = OPT_OFFSET(T, m, bool), \
	  .help = (h), .stop = true }
#define OPT_STRING(l, arg, T, m, h) \
	{ .kind = OPT_KIND_STRING, .long_name = (l), .argname = (arg), \
	  .offset = OPT_OFFSET(T, m, const char *), .help = (h) }
#define OPT_INT(l, arg, T, m, min_, def_, h) \
	{ .kind = OPT_KIND_INT, .long_name = (l), .argname = (arg), .offset = OPT_OFFSET(T, m, long), \
	  .min = (min_), .def = (def_), .help = (h) }
#define OPT_LIST(l, arg, T, m, h) \
	{ .kind = OPT_KIND_LIST, .long_name = (l), .argname = (arg), \
	  .offset = OPT_OFFSET(T, m, struct opt_list), .help = (h) }
#define OPT_ENUM(l, T, m, choices_, def_, h) \
	{ .kind = OPT_KIND_ENUM, .long_name = (l), .offset = OPT_OFFSET(T, m, int), \
	  .choices = (choices_), .def = (def_), .help = (h) }
#define OPT_CALLBACK(l, arg, T, m, fn, def_, h) \
	{ .kind = OPT_KIND_CALLBACK, .long_name = (l), .argname = (arg), .offset = offsetof(T, m), \
	  .parse = (fn), .def = (def_), .help = (h) }

/* A command's own table: its specs and the struct they fill. */
#define OPT_TABLE(T, specs_) { NULL, OPT_BASE_CMD, (specs_), sizeof(T) }
/* A shared group of options whose values go in the dispatcher's struct (base OPT_BASE_MAIN) or a command's. */
#define OPT_GROUP_TABLE(title_, base_, T, specs_) { (title_), (base_), (specs_), sizeof(T) }

/* What one parse searches, in order, and where the values go. */
#define OPT_MAX_TABLES 4
struct opt_parser {
	const struct option_table *tables[OPT_MAX_TABLES];  /* NULL-ended */
	void *base[OPT_BASES];
	bool stop_at_operand;           /* global options end at the command's name */
};

/* What opt_parse() found. */
enum opt_result {
	OPT_PARSED = 0,                 /* every option was stored */
	OPT_ERROR = -1,                 /* a usage error, reported (the caller prints the usage) */
	OPT_STOPPED = 1,                /* an option that ends parsing (.stop) was given */
};

/*
 * Apply the defaults (.def) of p's first table (and the groups it
 * includes) to their structs.  0, or -1
 * reported when a default does not parse (a bug in a table).
 */
int opt_defaults(struct ctx *ctx, const struct opt_parser *p);

/*
 * Parse argv[0..*argc) against p's tables.  The operands (in order,
 * options removed; everything after "--") are moved to the front of argv
 * and counted in *argc; with stop_at_operand, parsing ends at the first
 * operand, which with all that follows is moved to the front.  A flag
 * with .stop ends parsing at once (OPT_STOPPED).  Usage errors are
 * reported with kt_error().
 */
int opt_parse(struct ctx *ctx, const struct opt_parser *p, int *argc, char **argv);

/* Free what the tables' LIST options hold. */
void opt_release(const struct opt_parser *p);

/*
 * The options of p's first table as "[--name ARG]...", then operands,
 * wrapped at 80 columns; the first line continues one of indent columns.
 */
void opt_print_synopsis(FILE *fp, const struct opt_parser *p, size_t indent, const char *operands);
/*
 * Every option of p's tables with its one-line meaning, each once: a
 * command's own options first, each group it includes under its title,
 * then each further table under its title.
 */
void opt_print_help(FILE *fp, const struct opt_parser *p);
/* One line per option, "--name" or "--name ARG" (ARG: a placeholder, or a|b|c), for completion. */
void opt_print_list(FILE *fp, const struct opt_parser *p);

/* Levenshtein distance, for "did you mean". */
int opt_edit_distance(const char *a, const char *b);

#endif
