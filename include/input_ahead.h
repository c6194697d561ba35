/* input_ahead.h - a large log or mailbox read ahead on a second thread, chunk by chunk (input.c's helper). */
#ifndef INPUT_AHEAD_H
#define INPUT_AHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct input_text_stop;

/* the bytes before a chunk that its anchor search also covers: an anchor may begin there */
#define INPUT_AHEAD_BACK 7

/*
 * One chunk of the file, read and looked over: what skipping it would
 * need to know, so that the reader passes over a chunk without an anchor
 * and without copying it.
 */
struct input_ahead_chunk {
	const char *data;  /* data[0, len): the chunk's bytes */
	size_t len;        /* less than the chunk size only at the end (0: the file is shorter now) */
	uint64_t pos;      /* its file offset */
	int err;           /* errno of a failed read, or 0 (then len is 0) */
	bool anchor;       /* an anchor (input_scan_anchor()) begins in [pos - INPUT_AHEAD_BACK, pos + len) */
	size_t nl;         /* its newlines */
	size_t tail;       /* the bytes after its last newline begin at data[tail]; SIZE_MAX: none (a log's chunk without an anchor only) */
	/*
	 * Text: the lines to look at (input_text_stops()).  A log: its
	 * anchors, each's start INPUT_AHEAD_BACK + off bytes into data
	 * (it may begin before the chunk), after nl of the chunk's newlines,
	 * its length in flags.  cut: there were more than these.
	 */
	const struct input_text_stop *stops;
	size_t nstops;
	bool cut;
};

struct input_ahead;

/* a chunk's stops: at most this many (the reader looks at the lines after them itself) */
#define INPUT_AHEAD_STOPS 4096

/*
 * Read fd from pos to end in chunks of chunk bytes, with one thread besides
 * the caller's (which helps while it waits).  text: the chunks are mail or
 * text (their stops are found), else a log's (their anchors).  NULL when
 * no thread can be made: the caller reads as before.  fd's offset is not
 * used or moved.
 */
struct input_ahead *input_ahead_start(int fd, uint64_t pos, uint64_t end, size_t chunk, bool text);
/*
 * The next chunk in file order (waiting for it, or reading it); NULL after
 * the last, or once the other thread is stopped (its chunk waited for too
 * long: input_ahead_halted()) and the chunks it read are handed out.
 */
const struct input_ahead_chunk *input_ahead_next(struct input_ahead *a);
/* The chunk input_ahead_next() gave is no longer looked at: its room is read into again. */
void input_ahead_done(struct input_ahead *a);
/* Where the chunks handed out end (at the end: the offset after the last). */
uint64_t input_ahead_end(const struct input_ahead *a);
bool input_ahead_halted(const struct input_ahead *a);
void input_ahead_stop(struct input_ahead *a);

/*
 * Is a file of this many bytes (still to read) read ahead?  By the
 * environment's KCSAN_TRIAGE_READ_AHEAD: "auto" (or unset: files of 8 MiB
 * or more, when the process may run on more than one CPU), "on" (every
 * file), "off".  *bad is
 * set when the variable holds anything else (read as "auto").
 */
bool input_ahead_wanted(uint64_t size, bool *bad);

/* Tests: the second thread sleeps this long before each chunk it reads (a machine busy elsewhere). */
void input_ahead_test_delay(unsigned us);
/* Tests: the chunks the second thread has taken since input_ahead_test_delay() */
unsigned input_ahead_test_taken(void);

#endif
