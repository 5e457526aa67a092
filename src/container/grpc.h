/* grpc.h — private to src/container: gRPC calls over a unix socket, for the
 * CRI and containerd engines. HTTP/2 with prior knowledge through libcurl
 * (nghttp2), protobuf-c messages, the 5-byte gRPC length-prefixed frames.
 *
 * Each call opens its own connection and frees everything before it
 * returns, so calls are safe from any number of threads at once. Every byte
 * from the peer is untrusted: a message is at most SK_GRPC_MAX_MSG bytes,
 * compressed frames, a missing grpc-status, an HTTP/1 or garbage reply and a
 * peer that hangs all end the call with an error, never later than the
 * deadline (unary) or than `stop` plus SK_GRPC_STOP_POLL_MS (streams). */
#ifndef SK_CONTAINER_GRPC_H
#define SK_CONTAINER_GRPC_H

#include <protobuf-c/protobuf-c.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define SK_GRPC_MAX_MSG ((size_t)16 << 20)
/* How often a stream wakes to look at `stop` (at most; bounded by timeout). */
#define SK_GRPC_STOP_POLL_MS 100u

/* Where and how to call. */
struct sk_grpc_target {
	const char *socket;   /* unix socket path */
	const char *ns;       /* value of the containerd-namespace header; NULL = none */
	unsigned timeout_ms;  /* unary: the whole call; stream: connecting */
};

/* gRPC status codes the engines tell apart. */
enum {
	SK_GRPC_OK = 0,
	SK_GRPC_DEADLINE_EXCEEDED = 4,
	SK_GRPC_NOT_FOUND = 5,
	SK_GRPC_UNIMPLEMENTED = 12,
	SK_GRPC_UNAVAILABLE = 14,
};

/* Calls `method` ("/runtime.v1.RuntimeService/Version") with the request
 * `req` and unpacks the one response message with `resp_desc`; *out is then
 * the message, its strings made valid UTF-8 (free it with
 * protobuf_c_message_free_unpacked(*out, NULL)).
 * Returns 0, or a negative errno with `err` set: -ENOENT for gRPC NOT_FOUND,
 * -ENOTSUP for UNIMPLEMENTED, -ETIMEDOUT past the deadline, -ECONNREFUSED
 * when the socket cannot be connected, -EPROTO for a reply that is not gRPC
 * or does not decode, -EMSGSIZE past SK_GRPC_MAX_MSG, -EIO for other gRPC
 * statuses. */
int sk_grpc_unary(const struct sk_grpc_target *t, const char *method,
		  const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
		  ProtobufCMessage **out, struct sk_err *err) SK_WUR;

/* Replaces, in place, every byte of every string field of `m` (and of its
 * sub-messages) that is not part of valid UTF-8 with '?': protobuf-c does
 * not check, and records are JSON. sk_grpc_unary does it to its replies;
 * stream readers call it on what they unpack. */
void sk_grpc_fix_utf8(ProtobufCMessage *m);

/* Called per message of a server stream with the message's bytes (borrowed,
 * valid during the call). A negative return ends the stream with that error. */
typedef int (*sk_grpc_msg_fn)(void *ctx, const uint8_t *msg, size_t len, struct sk_err *err);

/* Calls the server-streaming `method` and hands each message to `fn` as it
 * arrives, until `stop` becomes true (returns 0) or the stream fails or
 * ends (returns a negative errno as sk_grpc_unary does; -ECONNRESET when the
 * server ends the stream with status OK). Connecting is bounded by
 * t->timeout_ms; after that a quiet stream is waited on for as long as
 * `stop` stays false. */
int sk_grpc_stream(const struct sk_grpc_target *t, const char *method,
		   const ProtobufCMessage *req, sk_grpc_msg_fn fn, void *ctx,
		   const atomic_bool *stop, struct sk_err *err) SK_WUR;

#endif
