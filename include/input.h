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
 * Does the input end by itself when ctx->stop is set (a pipe, FIFO or
 * terminal: its wait for data ends, the lines read before still come)?
 */
bool input_ends_on_stop(const struct input *in);
/* Is it a pipe, FIFO or terminal: may reading it wait for ever? */
bool input_may_wait(const struct input *in);
/*
 * An input that may wait: fn(data) is called on the reading thread when it
 * has had nothing to read for 100 ms, once each time it goes quiet.
 */
void input_on_quiet(struct input *in, void (*fn)(void *data), void *data);
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
/* Text mode: give the mail headers (Date:, Message-ID:, Subject:, mbox From lines) to m (mailmeta.h). */
struct mailmeta;
void input_set_meta(struct input *in, struct mailmeta *m);

/*
 * Visit every file named by args: regular files, directories (recursively,
 * in name order), "-" for stdin.  Unreadable entries are reported with
 * their path and skipped.  Returns the number of files visited.
 */
/* waits: standard input, or a file named that is not regular (a FIFO, a terminal): its reading may wait */
typedef void (*input_visit_fn)(struct ctx *ctx, const char *path, bool waits, void *data);
int input_walk(struct ctx *ctx, char *const *args, int nargs, input_visit_fn fn, void *data);

/*
 * The scanners (input_scan.c), exposed for tests and benchmarks.  Each has
 * a scalar reference (_scalar) that the vector version (SSE2) must match.
 */
size_t input_count_newlines(const char *p, size_t n);
size_t input_count_newlines_scalar(const char *p, size_t n);
/* The length of the anchor at p (one input_scan_anchor() found). */
size_t input_anchor_len(const char *p);
/* The first "KCSAN" in p[0, n), or NULL. */
const char *input_find_anchor(const char *p, size_t n);
/* The same, and in *nl the newlines before it (in all of p[0, n) when there is none). */
/* (an anchor is "KCSAN", or "bytes by" or "on cpu" of the access line of a report without its BUG line) */
const char *input_scan_anchor(const char *p, size_t n, size_t *nl);
const char *input_scan_anchor_scalar(const char *p, size_t n, size_t *nl);
/*
 * Text mode: false when the line (a whole logical line, decoded) cannot
 * begin a report or a held line for an idle parser, whatever transport
 * surrounds it: its stripped text cannot start with "BUG:", "read",
 * "race", "writ" or "asse".  True also for escape sequences and JSON
 * records, which can hide such a start.  See parse.c's on_idle().
 */
bool input_text_wanted(const char *p, size_t n);
bool input_text_wanted_scalar(const char *p, size_t n);
/*
 * Text mode, idle parser: pass over whole lines of p[0, n) (p starts a
 * line) that hold no candidate of input_text_wanted(), no '=' that may
 * encode or announce quoted-printable (qp: the body is quoted-printable,
 * where base64 is not looked for either), and are no header that changes
 * the decoding, no JSON record, no line of a base64 body (by its shape).
 * Returns the start of the first line
 * that needs a look (*stop true) or of the line not whole at the end
 * (*stop false); *nl is the number of lines passed over.
 */
const char *input_text_skip(const char *p, size_t n, bool qp, size_t *nl, bool *stop);
const char *input_text_skip_scalar(const char *p, size_t n, bool qp, size_t *nl, bool *stop);
/* The scalar skip of input_text_stops(): either decoding, before or after a line settles it (tests). */
const char *input_text_skip_either_scalar(const char *p, size_t n, bool settled, size_t *nl, bool *stop);
/* Quoted-printable: a soft line break ends p[0, n) (one '=' at the end: "==" cannot end encoded text). */
static inline bool input_qp_soft_break(const char *p, size_t n)
{
	return n && p[n - 1] == '=' && (n == 1 || p[n - 2] != '=');
}
/* Evidence in a line p[0, n) that a mail body is quoted-printable ("=3D", "=E2=80", a soft break, ">=20"). */
bool input_qp_evidence(const char *p, size_t n);
/* Quoted-printable: p[0, n) decoded into out (at most n bytes; "=XX" a byte, any other '=' as it is); its length. */
size_t input_qp_decode(char *out, const char *p, size_t n);

/*
 * Text mode, read ahead (input_ahead.c): the lines of a chunk that an idle
 * reader must look at, found on the other thread, so that the reader
 * passes over the others without looking at them.  A stop is a line's
 * start: off bytes into the chunk, after nl of its newlines; flags say in
 * which decoding (INPUT_STOP_PLAIN: the body is not quoted-printable,
 * INPUT_STOP_QP: it is) input_text_skip() would stop at it and the
 * reader's look at it (input.c's text_take()) would not simply pass it
 * over.  The last stop is the start of the line not whole in the chunk (or
 * its end), in both.  Once a line has shown a plain reader that the body
 * is quoted-printable (from there on it decodes, until the next message),
 * the encoded bytes that change nothing make no stop in either.
 */
enum { INPUT_STOP_PLAIN = 1, INPUT_STOP_QP = 2 };
struct input_text_stop {
	uint32_t off, nl;
	unsigned char flags;
};
/*
 * The stops of the chunk p[0, n) (at_line: a line starts at p[0], else the
 * first starts after its first newline), at most cap of them: when there
 * are more, the lines after the last one given are not looked at (the
 * reader looks at them itself).  scratch holds n bytes.  The number given.
 */
size_t input_text_stops(const char *p, size_t n, bool at_line, char *scratch, struct input_text_stop *st,
			size_t cap);

/*
 * The vector path of the text scanners: -1 (the default) as the CPU allows,
 * 0 SSE2, 1 AVX2 where the CPU has it (tests hold each to the scalar one).
 * Returns the level before.
 */
int input_scan_set_level(int level);

#endif
