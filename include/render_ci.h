/*
 * render_ci.h - scan's documents for CI systems: SARIF 2.1.0 for code
 * scanning, JUnit XML for GitLab and Jenkins.  One result (test case) per
 * distinct report, named by its signature ID.
 */
#ifndef RENDER_CI_H
#define RENDER_CI_H

#include "report.h"

/* One distinct report of a scan, as the CI documents show it. */
struct ci_result {
	char sig_id[REPORT_SIG_ID_LEN + 1];
	const char *title;
	enum verdict verdict;        /* the effective one: the label wins */
	enum verdict tool_verdict;
	bool labelled;
	const char *label_note;
	size_t count;                /* occurrences in this scan */
	const char *log;             /* where it was first found: the log file and line */
	uint64_t log_line;
	const char *file;            /* the top frame's source file, or NULL */
	uint64_t line;
	const char *text;            /* the report as read */
	const char *evidence;        /* the verdict's sentences */
	const char *marking;
	bool is_new;                 /* no baseline held its signature */
	bool fails;                  /* selected by --fail-on (and --new): fails the job */
};

/* 0, or -1 when writing failed. */
int ci_write_sarif(FILE *fp, const struct ci_result *const *rs, size_t n);
int ci_write_junit(FILE *fp, const struct ci_result *const *rs, size_t n);

#endif
