/* map.c — open-addressing hash maps: u64 keys (sk_u64map) and byte-string
 * keys (sk_strmap). Linear probing, tombstones on delete, rehash at 70% load. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum { SLOT_EMPTY = 0, SLOT_USED = 1, SLOT_DEAD = 2 };

uint64_t sk_hash_bytes(const void *p, size_t n)
{
	/* FNV-1a, finished with a 64-bit mixer for better low bits. */
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return sk_hash_u64(h);
}

/* ---- sk_u64map ---- */

void sk_u64map_init(struct sk_u64map *m, size_t limit)
{
	memset(m, 0, sizeof(*m));
	m->limit = limit;
}

void sk_u64map_done(struct sk_u64map *m)
{
	if (!m)
		return;
	free(m->keys);
	free(m->vals);
	free(m->used);
	size_t limit = m->limit;
	memset(m, 0, sizeof(*m));
	m->limit = limit;
}

static size_t u64_find(const struct sk_u64map *m, uint64_t key, bool *found)
{
	size_t mask = m->cap - 1, i = sk_hash_u64(key) & mask, first_dead = SIZE_MAX;
	for (;;) {
		if (m->used[i] == SLOT_EMPTY) {
			*found = false;
			return first_dead != SIZE_MAX ? first_dead : i;
		}
		if (m->used[i] == SLOT_USED && m->keys[i] == key) {
			*found = true;
			return i;
		}
		if (m->used[i] == SLOT_DEAD && first_dead == SIZE_MAX)
			first_dead = i;
		i = (i + 1) & mask;
	}
}

static int u64_grow(struct sk_u64map *m)
{
	size_t ncap = m->cap ? m->cap : 16;
	while ((m->count + 1) * 10 >= ncap * 7)
		ncap *= 2;
	struct sk_u64map n = {0};
	n.keys = malloc(ncap * sizeof(*n.keys));
	n.vals = malloc(ncap * sizeof(*n.vals));
	n.used = calloc(ncap, 1);
	if (!n.keys || !n.vals || !n.used) {
		free(n.keys);
		free(n.vals);
		free(n.used);
		return -ENOMEM;
	}
	n.cap = ncap;
	n.limit = m->limit;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->used[i] != SLOT_USED)
			continue;
		bool found;
		size_t j = u64_find(&n, m->keys[i], &found);
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
		n.used[j] = SLOT_USED;
		n.count++;
	}
	free(m->keys);
	free(m->vals);
	free(m->used);
	*m = n;
	return 0;
}

void *sk_u64map_get(const struct sk_u64map *m, uint64_t key)
{
	if (!m->count)
		return NULL;
	bool found;
	size_t i = u64_find(m, key, &found);
	return found ? m->vals[i] : NULL;
}

int sk_u64map_put(struct sk_u64map *m, uint64_t key, void *val)
{
	if ((m->count + m->tombs + 1) * 10 >= m->cap * 7) {
		int rc = u64_grow(m);
		if (rc)
			return rc;
		m->tombs = 0;
	}
	bool found;
	size_t i = u64_find(m, key, &found);
	if (!found) {
		if (m->limit && m->count >= m->limit)
			return -ENOSPC;
		if (m->used[i] == SLOT_DEAD)
			m->tombs--;
		m->keys[i] = key;
		m->used[i] = SLOT_USED;
		m->count++;
	}
	m->vals[i] = val;
	return 0;
}

void *sk_u64map_del(struct sk_u64map *m, uint64_t key)
{
	if (!m->count)
		return NULL;
	bool found;
	size_t i = u64_find(m, key, &found);
	if (!found)
		return NULL;
	m->used[i] = SLOT_DEAD;
	m->count--;
	m->tombs++;
	return m->vals[i];
}

bool sk_u64map_next(const struct sk_u64map *m, size_t *iter, uint64_t *key, void **val)
{
	for (size_t i = *iter; i < m->cap; i++) {
		if (m->used[i] == SLOT_USED) {
			if (key)
				*key = m->keys[i];
			if (val)
				*val = m->vals[i];
			*iter = i + 1;
			return true;
		}
	}
	*iter = m->cap;
	return false;
}

/* ---- sk_strmap ---- */

struct sk_strmap_ent {
	char *key; /* owned; NULL = empty; (char *)1 = deleted */
	size_t len;
	uint64_t hash;
	void *val;
};

#define STR_DEAD ((char *)1)

void sk_strmap_init(struct sk_strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void sk_strmap_done(struct sk_strmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		if (m->ents[i].key && m->ents[i].key != STR_DEAD)
			free(m->ents[i].key);
	free(m->ents);
	memset(m, 0, sizeof(*m));
}

static size_t str_find(const struct sk_strmap *m, const char *key, size_t len, uint64_t h,
		       bool *found)
{
	size_t mask = m->cap - 1, i = h & mask, first_dead = SIZE_MAX;
	for (;;) {
		const struct sk_strmap_ent *e = &m->ents[i];
		if (!e->key) {
			*found = false;
			return first_dead != SIZE_MAX ? first_dead : i;
		}
		if (e->key == STR_DEAD) {
			if (first_dead == SIZE_MAX)
				first_dead = i;
		} else if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
}

static int str_grow(struct sk_strmap *m)
{
	size_t ncap = m->cap ? m->cap : 16;
	while ((m->count + 1) * 10 >= ncap * 7)
		ncap *= 2;
	struct sk_strmap_ent *ents = calloc(ncap, sizeof(*ents));
	if (!ents)
		return -ENOMEM;
	struct sk_strmap n = {.ents = ents, .cap = ncap};
	for (size_t i = 0; i < m->cap; i++) {
		struct sk_strmap_ent *e = &m->ents[i];
		if (!e->key || e->key == STR_DEAD)
			continue;
		bool found;
		size_t j = str_find(&n, e->key, e->len, e->hash, &found);
		ents[j] = *e;
		n.count++;
	}
	free(m->ents);
	*m = n;
	return 0;
}

void *sk_strmap_getn(const struct sk_strmap *m, const char *key, size_t len)
{
	if (!m->count)
		return NULL;
	bool found;
	size_t i = str_find(m, key, len, sk_hash_bytes(key, len), &found);
	return found ? m->ents[i].val : NULL;
}

bool sk_strmap_hasn(const struct sk_strmap *m, const char *key, size_t len)
{
	if (!m->count)
		return false;
	bool found;
	str_find(m, key, len, sk_hash_bytes(key, len), &found);
	return found;
}

int sk_strmap_putn(struct sk_strmap *m, const char *key, size_t len, void *val)
{
	if ((m->count + m->tombs + 1) * 10 >= m->cap * 7) {
		int rc = str_grow(m);
		if (rc)
			return rc;
		m->tombs = 0;
	}
	uint64_t h = sk_hash_bytes(key, len);
	bool found;
	size_t i = str_find(m, key, len, h, &found);
	struct sk_strmap_ent *e = &m->ents[i];
	if (!found) {
		char *k = malloc(len + 1);
		if (!k)
			return -ENOMEM;
		memcpy(k, key, len);
		k[len] = 0;
		if (e->key == STR_DEAD)
			m->tombs--;
		e->key = k;
		e->len = len;
		e->hash = h;
		m->count++;
	}
	e->val = val;
	return 0;
}

int sk_strmap_put(struct sk_strmap *m, const char *key, void *val)
{
	return sk_strmap_putn(m, key, strlen(key), val);
}

void *sk_strmap_deln(struct sk_strmap *m, const char *key, size_t len)
{
	if (!m->count)
		return NULL;
	bool found;
	size_t i = str_find(m, key, len, sk_hash_bytes(key, len), &found);
	if (!found)
		return NULL;
	struct sk_strmap_ent *e = &m->ents[i];
	void *v = e->val;
	free(e->key);
	e->key = STR_DEAD;
	e->val = NULL;
	m->count--;
	m->tombs++;
	return v;
}

bool sk_strmap_next(const struct sk_strmap *m, size_t *iter, const char **key, size_t *len,
		    void **val)
{
	for (size_t i = *iter; i < m->cap; i++) {
		const struct sk_strmap_ent *e = &m->ents[i];
		if (e->key && e->key != STR_DEAD) {
			if (key)
				*key = e->key;
			if (len)
				*len = e->len;
			if (val)
				*val = e->val;
			*iter = i + 1;
			return true;
		}
	}
	*iter = m->cap;
	return false;
}
