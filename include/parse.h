/* parse.h - recognise KCSAN reports in normalized lines. */
#ifndef PARSE_H
#define PARSE_H

#include "normalize.h"
#include "report.h"

/* Called with every complete report; the callee owns it. */
typedef void (*parse_emit_fn)(struct report *r, void *data);

/*
 * Each parser keeps its own state (match data included); parsers may run at
 * once, in one thread or several.  They share only the compiled grammar,
 * which the first parser_new() builds and nothing changes afterwards.
 */
struct parser;

struct parser *parser_new(const char *source, parse_emit_fn emit, void *data);
void parser_feed(struct parser *p, const struct nline *line);
/* End of input: emit what is open. */
void parser_finish(struct parser *p);
/* True when no report is open: the reader may skip lines. */
bool parser_idle(const struct parser *p);
void parser_free(struct parser *p);
/* The time of the scan (Unix seconds): a syslog time takes its year from it (evtime.h); 0 before it is set. */
void parser_set_now(struct parser *p, int64_t now);
/* The mail and syzbot metadata so far: the reader gives it the mail headers (input_set_meta()). */
struct mailmeta *parser_meta(struct parser *p);

/* Grammar pieces, exposed for unit tests and the symbolize command. */
bool parse_frame_text(const char *s, size_t len, bool allow_bare, struct frame *f);
/* Parse "BUG: KCSAN: ..." into title/bug type; false if it is no BUG line. */
bool parse_bug_line(const char *s, size_t len, char **title, enum bug_type *bt, int *nfuncs,
		    bool *inline_only);
/* Release the shared compiled grammar (for leak checkers); no parser may be alive. */
void parse_cleanup(void);

#endif
