/* client.c — placeholder: replaced by the client threads in the next commit. */
#include "container_int.h"
