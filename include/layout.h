/*
 * layout.h - struct layouts from an object's DWARF: where a member path
 * ("idx", "ring[].id", "pairs[1][0]") lies in a struct or union.  The
 * classifier (through its layout_fn) and `rules check` use it.
 */
#ifndef LAYOUT_H
#define LAYOUT_H

#include <stdint.h>

struct elfobj;
struct layout;

/* The layouts of o's DWARF, or NULL if it has none. */
struct layout *layout_open(struct elfobj *o);
void layout_close(struct layout *l);

/*
 * struct NAME's member path: 1 found (offset and size of the member,
 * stride of the innermost array on the path, 0 if none), 0 no such member,
 * -1 no such struct (or l is NULL: no DWARF).  The outputs are 0 unless 1.
 */
int layout_member(struct layout *l, const char *struct_name, const char *member_path, uint64_t *offset,
		  uint64_t *size, uint64_t *stride);

#endif
