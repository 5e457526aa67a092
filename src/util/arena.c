/* arena.c — bump allocator whose allocations are freed all at once. */
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct sk_arena_chunk {
	struct sk_arena_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char mem[];
};

void sk_arena_init(struct sk_arena *a, size_t chunk_size)
{
	a->head = NULL;
	a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
	a->total = 0;
}

void sk_arena_done(struct sk_arena *a)
{
	if (!a)
		return;
	struct sk_arena_chunk *c = a->head;
	while (c) {
		struct sk_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}

void *sk_arena_alloc(struct sk_arena *a, size_t n)
{
	size_t need = (n + 15) & ~(size_t)15;
	if (need < n)
		return NULL;
	struct sk_arena_chunk *c = a->head;
	if (!c || c->size - c->used < need) {
		size_t size = need > a->chunk_size ? need : a->chunk_size;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->used = 0;
		c->size = size;
		c->next = a->head;
		a->head = c;
		a->total += size;
	}
	void *p = c->mem + c->used;
	c->used += need;
	memset(p, 0, n);
	return p;
}

char *sk_arena_strndup(struct sk_arena *a, const char *s, size_t n)
{
	char *p = sk_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *sk_arena_strdup(struct sk_arena *a, const char *s)
{
	return sk_arena_strndup(a, s, strlen(s));
}
