/* test_options.c - option tables: parsing, defaults, help and the lists for completion. */
#define _GNU_SOURCE
#include "options.h"
#include "unit.h"

/* a command's own struct, with a group of its own inside, and the dispatcher's */
struct t_out {
	int format;
};
struct t_cmd {
	struct t_out out;
	bool raw;
	const char *src;
	long top;
	int verdict;
	unsigned mask;
};
struct t_main {
	const char *db;
	bool quiet, help;
	struct opt_list rules;
	const char *vmlinux;
};

static const struct opt_choice t_formats[] = { { "text", 0 }, { "json", 1 }, { NULL, 0 } };
static const struct opt_choice t_verdicts[] = { { "real-race", 2 }, { "device-origin", 1 }, { NULL, 0 } };

static int t_mask(struct ctx *ctx, const char *arg, void *value)
{
	if (!strcmp(arg, "bad")) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "--mask takes good, not 'bad'");
		return -1;
	}
	*(unsigned *)value = (unsigned)strlen(arg);
	return 0;
}

static const struct option_spec t_out_specs[] = {
	OPT_ENUM("format", struct t_out, format, t_formats, "text", "text or JSON"),
	OPT_END(),
};
static const struct option_table t_group_out = OPT_GROUP_TABLE(NULL, OPT_BASE_CMD, struct t_out, t_out_specs);

static const struct option_spec t_sym_specs[] = {
	OPT_STRING("vmlinux", "PATH", struct t_main, vmlinux, "the kernel"),
	OPT_END(),
};
static const struct option_table t_group_sym = OPT_GROUP_TABLE("symbols", OPT_BASE_MAIN, struct t_main, t_sym_specs);

static const struct option_spec t_rules_specs[] = {
	OPT_LIST("rules", "FILE", struct t_main, rules, "a rules file"),
	OPT_END(),
};
static const struct option_table t_group_rules = OPT_GROUP_TABLE("rules", OPT_BASE_MAIN, struct t_main, t_rules_specs);

static const struct option_spec t_cmd_specs[] = {
	OPT_INCLUDE_AT(t_group_out, struct t_cmd, out),
	OPT_FLAG("raw", 'r', struct t_cmd, raw, "as read"),
	OPT_STRING("src", "DIR", struct t_cmd, src, "a tree"),
	OPT_INT("top", "N", struct t_cmd, top, 1, "10", "the N largest"),
	OPT_ENUM("verdict", struct t_cmd, verdict, t_verdicts, NULL, "only these"),
	OPT_CALLBACK("mask", "LIST", struct t_cmd, mask, t_mask, "ab", "a mask"),
	OPT_INCLUDE(t_group_rules),
	OPT_INCLUDE(t_group_sym),
	OPT_END(),
};
static const struct option_table t_cmd_table = OPT_TABLE(struct t_cmd, t_cmd_specs);

static const struct option_spec t_global_specs[] = {
	OPT_STRING("db", "PATH", struct t_main, db, "the store"),
	OPT_FLAG("quiet", 'q', struct t_main, quiet, "no warnings"),
	OPT_INCLUDE(t_group_rules),
	OPT_FLAG_STOP("help", 'h', struct t_main, help, "help"),
	OPT_END(),
};
static const struct option_table t_global =
	OPT_GROUP_TABLE("global options", OPT_BASE_MAIN, struct t_main, t_global_specs);

static struct t_cmd tc;
static struct t_main tm;
static char *t_argv[32];
static int t_argc;
static char t_err[4096];

static struct opt_parser t_parser(void)
{
	struct opt_parser p = { { &t_cmd_table, &t_global, NULL }, { &tc, &tm }, false };

	return p;
}

/* parse the words of line (split at spaces) as the command's arguments; stderr into t_err */
static int t_parse(const struct opt_parser *p, const char *line)
{
	static char buf[1024];
	struct ctx ctx = { 0 };
	FILE *err = tmpfile();
	int saved = dup(2), rc;
	size_t n;

	opt_release(p);
	memset(&tc, 0, sizeof(tc));
	memset(&tm, 0, sizeof(tm));
	snprintf(buf, sizeof(buf), "%s", line);
	t_argc = 0;
	for (char *w = strtok(buf, " "); w; w = strtok(NULL, " "))
		t_argv[t_argc++] = w;
	t_argv[t_argc] = NULL;
	fflush(stderr);
	dup2(fileno(err), 2);
	rc = opt_defaults(&ctx, p);
	if (rc == 0)
		rc = opt_parse(&ctx, p, &t_argc, t_argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(err);
	n = fread(t_err, 1, sizeof(t_err) - 1, err);
	t_err[n] = 0;
	fclose(err);
	if (rc == OPT_ERROR)
		CHECK_INT(ctx.worst_exit, KT_EXIT_USAGE);
	return rc;
}

static void test_values(void)
{
	struct opt_parser p = t_parser();

	CHECK_INT(t_parse(&p, "a.log --raw --src /k -q --top 3 b.log --format=json --rules x --rules=y --vmlinux v"),
		  OPT_PARSED);
	CHECK_INT(tc.raw, 1);
	CHECK_STR(tc.src, "/k");
	CHECK_INT(tc.top, 3);
	CHECK_INT(tc.out.format, 1);
	CHECK_INT(tc.verdict, 0);
	CHECK_INT(tc.mask, 2);                  /* the default "ab" went through the callback */
	CHECK_INT(tm.quiet, 1);
	CHECK_INT(tm.rules.n, 2);
	CHECK_STR(tm.rules.v[0], "x");
	CHECK_STR(tm.rules.v[1], "y");
	CHECK_STR(tm.vmlinux, "v");
	/* the operands, in order, at the front */
	CHECK_INT(t_argc, 2);
	CHECK_STR(t_argv[0], "a.log");
	CHECK_STR(t_argv[1], "b.log");
	CHECK(t_argv[2] == NULL);

	CHECK_INT(t_parse(&p, "--verdict device-origin --mask abcd -r -- --raw -"), OPT_PARSED);
	CHECK_INT(tc.verdict, 1);
	CHECK_INT(tc.mask, 4);
	CHECK_INT(tc.raw, 1);
	CHECK_INT(tc.top, 10);                  /* the default */
	CHECK_INT(t_argc, 2);
	CHECK_STR(t_argv[0], "--raw");          /* after "--", an operand */
	CHECK_STR(t_argv[1], "-");
	CHECK_INT(t_parse(&p, "-rq"), OPT_PARSED);
	CHECK(tc.raw && tm.quiet);
	opt_release(&p);
	CHECK(tm.rules.v == NULL);
}

static void test_errors(void)
{
	struct opt_parser p = t_parser();

	CHECK_INT(t_parse(&p, "--vmlin x"), OPT_ERROR);
	CHECK_STR(t_err, "kcsan-triage: error: unknown option '--vmlin'; did you mean '--vmlinux'?\n");
	CHECK_INT(t_parse(&p, "--rul x"), OPT_ERROR);
	CHECK_STR(t_err, "kcsan-triage: error: unknown option '--rul'; did you mean '--rules'?\n");
	CHECK_INT(t_parse(&p, "--sorc x"), OPT_ERROR);
	CHECK_STR(t_err, "kcsan-triage: error: unknown option '--sorc'; did you mean '--src'?\n");
	CHECK_INT(t_parse(&p, "--zzzzzz"), OPT_ERROR);
	CHECK_STR(t_err, "kcsan-triage: error: unknown option '--zzzzzz'\n");
	CHECK_INT(t_parse(&p, "-x"), OPT_ERROR);
	CHECK_STR(t_err, "kcsan-triage: error: unknown option '-x'\n");
	CHECK_INT(t_parse(&p, "--raw=1"), OPT_ERROR);
	CHECK_STR(t_err, "kcsan-triage: error: --raw takes no value\n");
	CHECK_INT(t_parse(&p, "--src"), OPT_ERROR);
	CHECK_STR(t_err, "kcsan-triage: error: --src needs DIR\n");
	CHECK_INT(t_parse(&p, "--format"), OPT_ERROR);
	CHECK_STR(t_err, "kcsan-triage: error: --format needs text|json\n");
	CHECK_INT(t_parse(&p, "--format yaml"), OPT_ERROR);
	CHECK_STR(t_err, "kcsan-triage: error: --format takes text or json, not 'yaml'\n");
	CHECK_INT(t_parse(&p, "--top 0"), OPT_ERROR);
	CHECK_STR(t_err, "kcsan-triage: error: --top takes a number of at least 1, not '0'\n");
	CHECK_INT(t_parse(&p, "--top 3x"), OPT_ERROR);
	CHECK_INT(t_parse(&p, "--mask bad"), OPT_ERROR);
	CHECK_STR(t_err, "kcsan-triage: error: --mask takes good, not 'bad'\n");
	/* no abbreviations, even unambiguous ones */
	CHECK_INT(t_parse(&p, "--verd real-race"), OPT_ERROR);
	CHECK_INT(t_parse(&p, "--helpme"), OPT_ERROR);
}

static void test_stop(void)
{
	struct opt_parser p = t_parser();
	struct opt_parser g = { { &t_global, NULL }, { NULL, &tm }, true };

	/* --help ends parsing: what follows is not looked at */
	CHECK_INT(t_parse(&p, "--raw --help --bogus"), OPT_STOPPED);
	CHECK(tm.help);
	CHECK_INT(t_parse(&p, "--bogus --help"), OPT_ERROR);
	/* global options end at the command's name, which comes first with what follows */
	CHECK_INT(t_parse(&g, "-q --db s.db scan --raw x"), OPT_PARSED);
	CHECK(tm.quiet);
	CHECK_STR(tm.db, "s.db");
	CHECK_INT(t_argc, 3);
	CHECK_STR(t_argv[0], "scan");
	CHECK_STR(t_argv[1], "--raw");
	CHECK_INT(t_parse(&g, "--raw scan"), OPT_ERROR);
	opt_release(&p);
}

static char *t_print(void (*fn)(FILE *, const struct opt_parser *))
{
	struct opt_parser p = t_parser();
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);

	fn(fp, &p);
	fclose(fp);
	return buf;
}

static void t_synopsis(FILE *fp, const struct opt_parser *p)
{
	opt_print_synopsis(fp, p, 20, "[FILE]...");
}

static void test_help(void)
{
	char *s = t_print(opt_print_help);

	/* the command's own options, a group under its title, each shared option once */
	CHECK_STR(s, "\n"
		  "    --format text|json    text or JSON (default: text)\n"
		  "    -r, --raw             as read\n"
		  "    --src DIR             a tree\n"
		  "    --top N               the N largest (default: 10)\n"
		  "    --verdict real-race|device-origin\n"
		  "                          only these\n"
		  "    --mask LIST           a mask (default: ab)\n"
		  "\nrules:\n"
		  "    --rules FILE          a rules file\n"
		  "\nsymbols:\n"
		  "    --vmlinux PATH        the kernel\n"
		  "\nglobal options:\n"
		  "    --db PATH             the store\n"
		  "    -q, --quiet           no warnings\n"
		  "    -h, --help            help\n");
	free(s);
	s = t_print(opt_print_list);
	CHECK_STR(s, "--format text|json\n--raw\n--src DIR\n--top N\n--verdict real-race|device-origin\n--mask LIST\n"
		  "--rules FILE\n--vmlinux PATH\n--db PATH\n--quiet\n--help\n");
	free(s);
	/* the command's options only, wrapped at 80 columns after 20 */
	s = t_print(t_synopsis);
	CHECK_STR(s, " [--format text|json] [-r|--raw] [--src DIR] [--top N]\n"
		  "                     [--verdict real-race|device-origin] [--mask LIST]\n"
		  "                     [--rules FILE]... [--vmlinux PATH] [FILE]...\n");
	free(s);
}

static void test_edit_distance(void)
{
	CHECK_INT(opt_edit_distance("vmlin", "vmlinux"), 2);
	CHECK_INT(opt_edit_distance("", "db"), 2);
	CHECK_INT(opt_edit_distance("sacn", "scan"), 2);
	CHECK_INT(opt_edit_distance("scan", "scan"), 0);
}

UNIT_MAIN({ "values", test_values }, { "errors", test_errors }, { "stop", test_stop }, { "help", test_help },
	  { "edit_distance", test_edit_distance })
