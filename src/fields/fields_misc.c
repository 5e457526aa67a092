/* fields_misc.c — the small classes: fdlist.* (poll fd lists), fs.path.*
 * and util.*. Registered so rules load; fdlist and util have no value yet
 * (see docs/fields.md). */
#include "fields_priv.h"

size_t sk_fx_misc(const struct sk_fieldref *f, struct sk_eval_ctx *c, struct sk_value *out,
		  size_t max)
{
	(void)f;
	(void)c;
	(void)out;
	(void)max;
	return 0;
}
