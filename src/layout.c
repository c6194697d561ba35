/*
 * layout.c - struct layouts from DWARF (see layout.h): the named types of
 * the object's units, found once, then member paths walked through the
 * type DIEs.
 */
#define _GNU_SOURCE
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "elfobj.h"
#include "hashmap.h"
#include "kt.h"
#include "layout.h"

struct layout_type {
	struct hashmap_entry ent;   /* by name */
	const char *name;           /* in the DWARF string data: valid while the object is open */
	Dwarf_Off off;
	int tag;
};

struct layout {
	Dwarf *dw;
	struct hashmap types;
	bool built;
};

static bool layout_type_eq(const struct hashmap_entry *e, const struct hashmap_entry *key, const void *keydata)
{
	(void)key;
	return !strcmp(container_of(e, struct layout_type, ent)->name, keydata);
}

struct layout *layout_open(struct elfobj *o)
{
	Dwarf *dw = elfobj_dwarf(o, NULL);
	struct layout *l;

	if (!dw)
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->dw = dw;
	hashmap_init(&l->types, layout_type_eq, 0);
	return l;
}

void layout_close(struct layout *l)
{
	if (!l)
		return;
	hashmap_clear(&l->types, offsetof(struct layout_type, ent));
	free(l);
}

static void layout_put(struct layout *l, const char *name, Dwarf_Off off, int tag)
{
	uint64_t h = kt_hash_str(name);
	struct hashmap_entry *e = hashmap_get(&l->types, h, NULL, name);
	struct layout_type *t;

	if (e) {
		t = container_of(e, struct layout_type, ent);
		/* prefer a struct over a union over a typedef of the same name */
		if ((tag == DW_TAG_structure_type && t->tag != DW_TAG_structure_type) ||
		    (tag == DW_TAG_union_type && t->tag == DW_TAG_typedef)) {
			t->off = off;
			t->tag = tag;
		}
		return;
	}
	t = xmalloc(sizeof(*t));
	hashmap_entry_init(&t->ent, h);
	t->name = name;
	t->off = off;
	t->tag = tag;
	hashmap_add(&l->types, &t->ent);
}

/* The named struct, union and typedef DIEs at the top of one unit. */
static void layout_scan_unit(struct layout *l, Dwarf_Die *cudie)
{
	Dwarf_Die child;

	if (dwarf_child(cudie, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		const char *name;

		if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type && tag != DW_TAG_typedef)
			continue;
		if (dwarf_hasattr(&child, DW_AT_declaration) || !(name = dwarf_diename(&child)))
			continue;
		if (tag != DW_TAG_typedef && !dwarf_hasattr(&child, DW_AT_byte_size))
			continue;
		layout_put(l, name, dwarf_dieoffset(&child), tag);
	} while (dwarf_siblingof(&child, &child) == 0);
}

static void layout_build(struct layout *l)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	l->built = true;
	while (dwarf_nextcu(l->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cudie;

		if (dwarf_offdie(l->dw, off + hsize, &cudie))
			layout_scan_unit(l, &cudie);
		off = next;
	}
}

static bool layout_udata(Dwarf_Die *die, int name, Dwarf_Word *v)
{
	Dwarf_Attribute at;

	return dwarf_attr(die, name, &at) && dwarf_formudata(&at, v) == 0;
}

/* Follow typedefs and qualifiers. */
static bool layout_peel(Dwarf_Die *die)
{
	for (int i = 0; i < 64; i++) {
		int tag = dwarf_tag(die);
		Dwarf_Attribute at;

		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
		    tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
			return true;
		if (!dwarf_attr_integrate(die, DW_AT_type, &at) || !dwarf_formref_die(&at, die))
			return false;
	}
	return false;
}

static bool layout_member_offset(Dwarf_Die *m, uint64_t *off)
{
	Dwarf_Attribute at;
	Dwarf_Word v;

	*off = 0;
	if (dwarf_attr(m, DW_AT_data_member_location, &at)) {
		Dwarf_Op *ops;
		size_t nops;

		if (dwarf_formudata(&at, &v) == 0) {
			*off = v;
			return true;
		}
		if (dwarf_getlocation(&at, &ops, &nops) == 0 && nops == 1 && ops[0].atom == DW_OP_plus_uconst) {
			*off = ops[0].number;
			return true;
		}
		return false;
	}
	if (dwarf_attr(m, DW_AT_data_bit_offset, &at) && dwarf_formudata(&at, &v) == 0) {
		*off = v / 8;
		return true;
	}
	return true;   /* union members: 0 */
}

/* Find member name in struct/union die (looking into anonymous members); *m and *off on success. */
static bool layout_find_member(Dwarf_Die *agg, const char *name, size_t nlen, Dwarf_Die *m, uint64_t *off, int depth)
{
	Dwarf_Die child;

	if (depth > 16 || dwarf_child(agg, &child) != 0)
		return false;
	do {
		const char *cn;
		uint64_t moff;

		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		cn = dwarf_diename(&child);
		if (cn && strlen(cn) == nlen && !memcmp(cn, name, nlen)) {
			if (!layout_member_offset(&child, &moff))
				return false;
			*m = child;
			*off = moff;
			return true;
		}
		if (!cn) {
			Dwarf_Attribute at;
			Dwarf_Die t;
			uint64_t inner;

			if (dwarf_attr_integrate(&child, DW_AT_type, &at) && dwarf_formref_die(&at, &t) && layout_peel(&t) &&
			    (dwarf_tag(&t) == DW_TAG_structure_type || dwarf_tag(&t) == DW_TAG_union_type) &&
			    layout_member_offset(&child, &moff) && layout_find_member(&t, name, nlen, m, &inner, depth + 1)) {
				*off = moff + inner;
				return true;
			}
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

static bool layout_die_type(Dwarf_Die *die, Dwarf_Die *t)
{
	Dwarf_Attribute at;

	return dwarf_attr_integrate(die, DW_AT_type, &at) && dwarf_formref_die(&at, t);
}

static uint64_t layout_type_size(Dwarf_Die *t)
{
	Dwarf_Word sz;
	Dwarf_Die p = *t;

	if (dwarf_aggregate_size(&p, &sz) == 0)
		return sz;
	if (layout_peel(&p) && dwarf_tag(&p) == DW_TAG_pointer_type)
		return sizeof(void *);
	return 0;
}

/* An array type: its element type and size, and the count of each dimension. */
struct layout_dims {
	Dwarf_Die elem;
	uint64_t esize;
	uint64_t count[8];
	int n;
};

static bool layout_array_dims(Dwarf_Die *arr, struct layout_dims *dm)
{
	Dwarf_Word bs;
	Dwarf_Die sub;

	dm->n = 0;
	if (!layout_die_type(arr, &dm->elem))
		return false;
	dm->esize = layout_type_size(&dm->elem);
	if (layout_udata(arr, DW_AT_byte_stride, &bs))
		dm->esize = bs;
	if (dwarf_child(arr, &sub) == 0) {
		do {
			Dwarf_Word ub, cnt;

			if (dwarf_tag(&sub) != DW_TAG_subrange_type || dm->n == 8)
				continue;
			if (layout_udata(&sub, DW_AT_count, &cnt))
				dm->count[dm->n] = cnt;
			else if (layout_udata(&sub, DW_AT_upper_bound, &ub))
				dm->count[dm->n] = ub + 1;
			else
				dm->count[dm->n] = 0;    /* flexible */
			dm->n++;
		} while (dwarf_siblingof(&sub, &sub) == 0);
	}
	if (!dm->n)
		dm->count[dm->n++] = 0;
	return true;
}

/* Bytes of one step of dimension k: the element times the dimensions after k. */
static uint64_t layout_dims_stride(const struct layout_dims *dm, int k)
{
	uint64_t st = dm->esize;

	for (int i = k + 1; i < dm->n; i++)
		st *= dm->count[i];
	return st;
}

static bool layout_is_aggregate(Dwarf_Die *t)
{
	return dwarf_tag(t) == DW_TAG_structure_type || dwarf_tag(t) == DW_TAG_union_type;
}

/* The struct or union of that name ("struct " or "union " in front is allowed) into *t. */
static bool layout_find_type(struct layout *l, const char *struct_name, Dwarf_Die *t)
{
	struct hashmap_entry *e;

	if (!l->built)
		layout_build(l);
	if (str_startswith(struct_name, "struct "))
		struct_name += 7;
	else if (str_startswith(struct_name, "union "))
		struct_name += 6;
	e = hashmap_get(&l->types, kt_hash_str(struct_name), NULL, struct_name);
	if (!e || !dwarf_offdie(l->dw, container_of(e, struct layout_type, ent)->off, t) || !layout_peel(t))
		return false;
	return layout_is_aggregate(t);
}

/* Where a member path stands: the type reached, its offset, the stride of the last array stepped into. */
struct layout_walk {
	Dwarf_Die t;
	uint64_t off, stride;
	bool row;               /* ended on a row of a multi-dimensional array: the size is the stride */
};

/*
 * The subscripts at *e ("[]", "[3]", "[1][0]") of the array type w->t: step
 * into the element (or stop at a row).  0 on a bad path, 1 to go on.
 */
static int layout_subscripts(struct layout_walk *w, const char **ep)
{
	const char *e = *ep;
	struct layout_dims dm;
	int k = 0;

	if (!layout_peel(&w->t) || dwarf_tag(&w->t) != DW_TAG_array_type || !layout_array_dims(&w->t, &dm))
		return 0;
	while (*e == '[') {
		uint64_t idx = 0;

		e++;
		while (*e >= '0' && *e <= '9')
			idx = idx * 10 + (uint64_t)(*e++ - '0');
		if (*e != ']' || k >= dm.n)
			return 0;
		e++;
		w->stride = layout_dims_stride(&dm, k);
		w->off += idx * w->stride;
		k++;
	}
	*ep = e;
	if (k < dm.n) {
		/* a row of a multi-dimensional array: nothing further inside */
		if (*e)
			return 0;
		w->row = true;
		return 1;
	}
	w->t = dm.elem;
	return 1;
}

/* Walk member path p from w->t; 1 found, 0 no such member. */
static int layout_walk_path(struct layout_walk *w, const char *p)
{
	while (*p && !w->row) {
		const char *e = p;
		size_t nlen;
		Dwarf_Die m;
		uint64_t moff;

		while (*e && *e != '.' && *e != '[')
			e++;
		nlen = (size_t)(e - p);
		if (!nlen || !layout_peel(&w->t) || !layout_is_aggregate(&w->t) ||
		    !layout_find_member(&w->t, p, nlen, &m, &moff, 0))
			return 0;
		w->off += moff;
		if (!layout_die_type(&m, &w->t))
			return 0;
		if (*e == '[' && !layout_subscripts(w, &e))
			return 0;
		if (w->row)
			break;
		if (*e == '.')
			e++;
		else if (*e)
			return 0;
		p = e;
	}
	return 1;
}

int layout_member(struct layout *l, const char *struct_name, const char *member_path, uint64_t *offset,
		  uint64_t *size, uint64_t *stride)
{
	struct layout_walk w = { .off = 0, .stride = 0, .row = false };

	*offset = *size = *stride = 0;
	if (!l || !layout_find_type(l, struct_name, &w.t))
		return -1;
	if (!layout_walk_path(&w, member_path))
		return 0;
	*offset = w.off;
	*size = w.row ? w.stride : layout_type_size(&w.t);
	*stride = w.stride;
	return 1;
}
