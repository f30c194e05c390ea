/* sim_policy.h - the one place that decides what the simulator answers to a call of any
 * protocol: authentication, size, validation, rate limits and quota, the answer, how
 * long to wait before sending it and which fault to inject, so the server stays a
 * transport and the protocols (sim_protocol.h) only say how each answer looks. */
#ifndef VB_SIM_POLICY_H
#define VB_SIM_POLICY_H

#include <stddef.h>

#include "sim_config.h"
#include "sim_protocol.h"
#include "sim_reply.h"

typedef struct sim_policy sim_policy_t;

/* Creates the policy for cfg (which must outlive it). Returns NULL when out of memory. */
sim_policy_t *sim_policy_new(const sim_config_t *cfg);

/* Frees p; NULL is a no-op. */
void sim_policy_free(sim_policy_t *p);

/* Checks call's key against --key as call->proto does. Returns 0 when accepted;
 * otherwise fills reply with the refusal and returns -1 (or -2 when even that failed:
 * out of memory). */
int sim_policy_authorize(const sim_policy_t *p, const sim_call_t *call, sim_reply_t *reply);

/* Decides the answer to call into reply (initialised by the caller): the status, body,
 * headers, billing, delay_ms, and how to deliver it (reply->fault: send it, hold the call
 * for reply->hang_ms and close, or break it half way), all in call->proto's shapes.
 * Counts the call against the rate limits and the quota. Thread-safe. Returns 0, or -1
 * when out of memory (the reply is then unusable and the caller answers 500). */
int sim_policy_decide(sim_policy_t *p, const sim_call_t *call, sim_reply_t *reply);

#endif
