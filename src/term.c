/* term.c - standard output as a person sees it: colour, width, the pager. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "term.h"

int term_width(const char *columns, int ioctl_cols)
{
	if (columns && *columns) {
		char *end;
		long v = strtol(columns, &end, 10);

		if (!*end && v > 0 && v < 100000)
			return (int)v;
	}
	return ioctl_cols > 0 ? ioctl_cols : 80;
}

void term_setup(struct ctx *ctx, enum term_color mode)
{
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
	struct winsize ws;
	int cols = 0;

	ctx->tty = isatty(STDOUT_FILENO);
	switch (mode) {
	case TERM_COLOR_ALWAYS:
		ctx->color = true;
		break;
	case TERM_COLOR_NEVER:
		ctx->color = false;
		break;
	case TERM_COLOR_AUTO:
		ctx->color = ctx->tty && !(no_color && *no_color) && !(term && !strcmp(term, "dumb"));
		break;
	}
	if (!ctx->tty) {
		ctx->columns = 0;
		return;
	}
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		cols = ws.ws_col;
	ctx->columns = term_width(getenv("COLUMNS"), cols);
}

/* The pager's command line: NULL for none. */
static const char *term_pager_cmd(void)
{
	const char *p = getenv("PAGER");

	if (!p)
		return "less -FRX";
	if (!*p || !strcmp(p, "cat"))
		return NULL;
	return p;
}

void term_start_pager(struct ctx *ctx)
{
	const char *cmd = term_pager_cmd();
	int fds[2];
	pid_t pid;

	if (!cmd || ctx->no_pager || !ctx->tty || ctx->pager_pid)
		return;
	fflush(stdout);
	if (pipe(fds) < 0)
		return;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		setenv("LESS", "FRX", 0);
		setenv("LV", "-c", 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	dup2(fds[1], STDOUT_FILENO);
	close(fds[0]);
	close(fds[1]);
	ctx->pager_pid = (int)pid;
}

void term_finish_pager(struct ctx *ctx)
{
	int status;

	if (!ctx->pager_pid)
		return;
	fflush(stdout);
	close(STDOUT_FILENO);
	while (waitpid((pid_t)ctx->pager_pid, &status, 0) < 0 && errno == EINTR)
		;
	ctx->pager_pid = 0;
}
