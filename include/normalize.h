/* normalize.h - strip what surrounds a kernel line. */
#ifndef NORMALIZE_H
#define NORMALIZE_H

#include "input.h"

/*
 * A line with its transport stripped: mail quoting ("> ", ">>", "| "),
 * a diff's "+", syslog and journalctl prefixes, /dev/kmsg records, "<4>"
 * levels, the printk time "[  12.345678]" or "[Thu May 28 03:51:42 2020]",
 * the caller id "[ T1234]" / "[    C4]", terminal escapes, no-break spaces.
 * All pointers are valid until the next normalize_line() on the same
 * struct normalizer.
 */
struct nline {
	const char *text;       /* the kernel's text, trimmed, NUL-terminated */
	size_t len;
	int depth;              /* quoting levels */
	int indent;             /* leading blanks after the prefixes */
	const char *ts;         /* printk time as printed, or NULL */
	size_t ts_len;
	const char *alt;        /* the text after a printk time found later in the
				   line (console output glued in front), or NULL */
	size_t alt_len;
	const char *orig;       /* the logical line as read */
	size_t orig_len;
	uint64_t lineno, offset;
};

struct normalizer {
	struct sbuf clean;      /* the cleaned copy of the line */
	struct sbuf text;
	struct sbuf json;       /* the message of a JSON log record */
};

void normalize_line(struct normalizer *nz, const struct input_line *in, struct nline *out);
/*
 * Its first step, exposed for tests: the line copied to out with NUL and
 * CR as spaces, no-break spaces (UTF-8) as spaces, HTML entities decoded,
 * terminal escape sequences dropped.  The scalar version is the reference.
 */
void normalize_clean(struct sbuf *out, const char *p, size_t n);
void normalize_clean_scalar(struct sbuf *out, const char *p, size_t n);
void normalizer_release(struct normalizer *nz);

#endif
