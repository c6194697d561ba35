/* term.h - standard output as a person sees it: colour, width, the pager. */
#ifndef TERM_H
#define TERM_H

#include "kt.h"

/* --color=auto|always|never */
enum term_color { TERM_COLOR_AUTO, TERM_COLOR_ALWAYS, TERM_COLOR_NEVER };

/*
 * Decide ctx->tty, ->color and ->columns for standard output: colour when
 * it is a terminal (auto), unless $NO_COLOR is set and not empty or $TERM
 * is "dumb"; always and never are as given.  The width is $COLUMNS, else
 * the terminal's (TIOCGWINSZ), else 80; 0 when standard output is no
 * terminal, so that nothing is truncated in a pipe.
 */
void term_setup(struct ctx *ctx, enum term_color mode);
/* The width $COLUMNS gives (a positive number), else the one of ioctl_cols, else 80. */
int term_width(const char *columns, int ioctl_cols);

/*
 * Send standard output through $PAGER ("less -FRX" when unset; none when
 * it is empty or "cat") when it is a terminal and --no-pager was not
 * given.  $LESS defaults to FRX, so that a bare "less" shows colour and
 * quits when one screen holds everything.
 */
void term_start_pager(struct ctx *ctx);
/* Flush standard output, close it and wait for the pager (when one runs). */
void term_finish_pager(struct ctx *ctx);

#endif
