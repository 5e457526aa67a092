/* config_int.h — private to config/: the YAML document tree the loader
 * builds, merges and overrides before the typed members are filled.
 *
 * Nodes live in the config's arena; replacing a node just drops the pointer.
 * Positions (file, line, col) travel with each node so every error and warning
 * can name where a value came from. */
#ifndef SK_CONFIG_INT_H
#define SK_CONFIG_INT_H

#include "config/config.h"

enum cfg_kind { CN_SCALAR, CN_SEQ, CN_MAP };

struct cfg_node {
	uint8_t kind;                /* enum cfg_kind */
	bool plain;                  /* scalar written unquoted (null/number detection) */
	bool open;                   /* collection still being parsed (an alias to it is a cycle) */
	bool expanded;               /* scalar whose ${ENV} references were expanded */
	size_t weight;               /* nodes it stands for once aliases are expanded */
	int line, col;
	const char *file;            /* interned name of the source, "" for -o */
	char *str;                   /* scalar text, NUL-terminated */
	size_t n, cap;
	char **keys;                 /* CN_MAP: keys[i] -> items[i] */
	struct cfg_node **items;     /* CN_SEQ / CN_MAP values */
};

struct sk_config_priv {
	struct sk_arena arena;
	struct cfg_node *root;       /* always a CN_MAP */
	const char **warn;           /* growing arrays (arena) behind the public ones */
	size_t nwarn, capwarn;
};

#define CFG_MAX_DEPTH 64
#define CFG_MAX_NODES 1000000   /* a document's nodes with its aliases expanded */
#define CFG_MAX_FILE ((size_t)16 << 20)
#define CFG_MAX_WARNINGS 1000

/* yaml.c */
struct cfg_node *cfg_node_new(struct sk_arena *a, int kind, const char *file, int line, int col);
struct cfg_node *cfg_scalar_new(struct sk_arena *a, const char *s, const char *file, int line,
				int col);
/* Parses a YAML text into a tree (the first document; empty text = empty map).
 * Errors carry file/line/col. */
int cfg_parse(struct sk_arena *a, const char *text, size_t len, const char *file,
	      struct cfg_node **out, struct sk_err *err);
struct cfg_node *cfg_map_get(const struct cfg_node *m, const char *key);
int cfg_map_set(struct sk_arena *a, struct cfg_node *m, const char *key, struct cfg_node *v);
int cfg_seq_push(struct sk_arena *a, struct cfg_node *s, struct cfg_node *v);
bool cfg_is_null(const struct cfg_node *n);

/* Path grammar shared by -o and the getters: name(.name)* with [N] / []. */
struct cfg_seg {
	char *name;                  /* NULL for a pure index segment */
	long index;                  /* >= 0: [N]; -1: [] (append); -2: none */
};
int cfg_path_parse(struct sk_arena *a, const char *path, size_t len, struct cfg_seg **segs,
		   size_t *nsegs, struct sk_err *err);
struct cfg_node *cfg_lookup(const struct cfg_node *root, const char *path);

/* Scalar conversions with yaml-cpp's rules. 0 or -EINVAL. */
int cfg_to_bool(const char *s, bool *out);
int cfg_to_int(const char *s, int64_t *out);
int cfg_to_double(const char *s, double *out);

/* Appends the node as compact JSON. */
int cfg_to_json(const struct cfg_node *n, struct sk_buf *out);

#endif
