/*
 * needle.h: the words a finding needs in the code around it, so that a
 * full scan parses only the statements that hold them (needle.c says how
 * each rule's needles are told, focus.c where they are looked for).
 */
#ifndef PYSEC_NEEDLE_H
#define PYSEC_NEEDLE_H

#include "ruleset.h"
#include "strmap.h"

enum needle_kind {
	NEEDLE_WORD,	/* a whole word: of the code, or of a string that names (getattr, __import__) */
	NEEDLE_CALL,	/* a whole word of the code followed by `(`; on a line that binds names, any */
	NEEDLE_COLON,	/* a whole word of the code followed by `:` (a bare `except:`) */
	NEEDLE_NAME,	/* part of a word of the code that is no keyword, or of a string's value; any case */
	NEEDLE_STRING,	/* part of a string's value; any case */
};

/* At most this many needles (a clause past them needs nothing that can be told). */
#define NEEDLE_MAX 4096
#define NEEDLE_WORDS_MAX (NEEDLE_MAX / 64)

struct needle {
	char *text;		/* NEEDLE_NAME, NEEDLE_STRING: in lower case */
	uint32_t len;
	uint8_t kind;
	uint8_t edges;		/* NEEDLE_NAME: what must stand beside it, and where */
};
#define NEEDLE_EDGE_LEFT 1	/* no letter or digit before it */
#define NEEDLE_EDGE_RIGHT 2	/* no letter or digit after it */
#define NEEDLE_CALLEE 4		/* in a word that is called (NEEDLE_CALLED) */

/*
 * What one clause needs of a statement: all of its groups; of a group,
 * one of its alternatives; of an alternative, every needle (ids into the
 * set's needles).  A `file_wide` group may be met anywhere in the file.
 */
struct needle_group {
	uint16_t **alts;	/* each: count, then that many ids */
	size_t nalts;
	int file_wide;
	int via_names;		/* a qualified name's parts: a name bound to them carries them (focus.c) */
};

struct needle_clause {
	struct needle_group *groups;
	size_t ngroups;
};

struct needle_set {
	struct needle *v;
	size_t n, cap;
	struct needle_clause *clauses;
	size_t nclauses, clauses_cap;
	size_t words;			/* uint64_t words of a bit set of needles */
	struct strmap known;		/* kind, edges and text -> id + 1: each needle once */
	struct strmap exact;		/* NEEDLE_WORD, _CALL and _COLON text -> struct needle_exact */
	uint8_t exact_shape[8192];	/* bit exact_shape_of(): an exact needle may have that shape */
	uint16_t *parts;		/* the ids of the NEEDLE_NAME and NEEDLE_STRING needles, by their first two bytes */
	size_t nparts, parts_cap;
	uint16_t bucket_start[256];	/* bucket b's are parts[bucket_start[b - 1], bucket_start[b]) */
	uint8_t part_bucket[65536];	/* per lower-case c0 << 8 | c1: the bucket of the parts starting so, 0: none */
	int names_anywhere;		/* a NEEDLE_NAME with no left edge that need not be called */
	uint32_t *first_start;		/* per needle i: clauses[first[first_start[i] .. first_start[i + 1])] */
	uint16_t *first;		/* need it in the group they are first judged by */
	int unfocusable;		/* a clause whose needs cannot be told: parse every file whole */
};

/* The needles of the enabled rules' clauses. */
void needles_build(struct needle_set *s, const struct rule_set *set);
void needles_free(struct needle_set *s);

/* Set the bits of the needles that code word w[0, len) is or holds; `flags` say more of it. */
#define NEEDLE_CALLED 1		/* a `(` follows it, or it is on a line that binds names */
#define NEEDLE_COLONED 2	/* a `:` follows it */
void needles_match_word(const struct needle_set *s, const char *w, size_t len, int flags, uint64_t *hits);
/* Set the bits of the needles in a string's value v[0, len); `words`: its whole words too, as names. */
void needles_match_value(const struct needle_set *s, const char *v, size_t len, int words, uint64_t *hits);
/*
 * Does a statement meet some clause's needs: with needles `hits` in its
 * text, `carried` by the names it uses (for qualified names only), in a
 * file with `file_hits`?
 */
int needles_met(const struct needle_set *s, const uint64_t *hits, const uint64_t *carried, const uint64_t *file_hits);

/*
 * The needles of regex `pattern`: alternatives of needles that every match
 * holds all of, as NEEDLE kind `kind`, added to the set; returns the group,
 * or -1 when the pattern says nothing certain (needle.c says what it reads).
 */
int needles_from_regex(struct needle_set *s, const char *pattern, int kind, struct needle_group *out);

#endif
