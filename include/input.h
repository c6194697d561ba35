/* input.h - read: files, directories, stdin; plain logs and mail text. */
#ifndef INPUT_H
#define INPUT_H

#include "kt.h"

/*
 * A logical line: one physical line, or several joined by a mail
 * encoding's soft line breaks, or a line decoded from a base64 body.
 * text is NUL-terminated and valid until the next input_next().
 */
struct input_line {
	const char *text;
	size_t len;
	uint64_t lineno;   /* 1-based number of its first physical line */
	uint64_t offset;   /* byte offset of its first physical line */
	bool cut;          /* the physical line was longer than INPUT_MAX_LINE */
	bool newline;      /* INPUT_RAW: the line ended with a newline (not the end of the input) */
};

#define INPUT_MAX_LINE (1024 * 1024)

enum input_mode {
	INPUT_LOG,   /* a kernel log: lines carry printk/syslog prefixes */
	INPUT_TEXT,  /* mail, patches, prose: decode and look at every line */
	INPUT_RAW,   /* every physical line as it is, trailing CRs kept (copied byte for byte) */
};

struct input;

/* Open one source ("-" is stdin).  NULL on failure, reported through ctx. */
struct input *input_open(struct ctx *ctx, const char *path);
/*
 * The next logical line: 1, or 0 at the end, or -1 on a read error
 * (reported).  When idle is true (no report is open) the reader may skip
 * lines that cannot start a report.
 */
int input_next(struct input *in, struct input_line *out, bool idle);
void input_close(struct input *in);
const char *input_name(const struct input *in);
enum input_mode input_mode(const struct input *in);
/* Force a mode (tests and --no-skip). */
void input_set_mode(struct input *in, enum input_mode mode);

/*
 * Visit every file named by args: regular files, directories (recursively,
 * in name order), "-" for stdin.  Unreadable entries are reported with
 * their path and skipped.  Returns the number of files visited.
 */
typedef void (*input_visit_fn)(struct ctx *ctx, const char *path, void *data);
int input_walk(struct ctx *ctx, char *const *args, int nargs, input_visit_fn fn, void *data);

/* Exposed for tests and benchmarks. */
size_t input_count_newlines(const char *p, size_t n);
const char *input_find_anchor(const char *p, size_t n);

#endif
