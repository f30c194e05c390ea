/* sim_faults.h - the transient failures the simulator injects into valid requests
 * (--fail-rate, --timeout-rate, --reset-rate), so a client's retries can be tested:
 * which fault a request gets, and the bodies of the server errors. */
#ifndef VB_SIM_FAULTS_H
#define VB_SIM_FAULTS_H

#include "sim_config.h"
#include "sim_reply.h"

/* Nonzero when any fault rate is set (a draw is then needed per valid request). */
int sim_faults_enabled(const sim_config_t *cfg);

/* The fault for a valid request, from u uniform in [0, 1): the rates are consecutive
 * slices of [0, 1) (timeout, reset, fail), so each gets exactly its fraction.
 * SIM_FAULT_HTTP means a server error (sim_faults_server_error). */
sim_fault_t sim_faults_draw(const sim_config_t *cfg, double u);

/* Replaces reply's body with the n-th injected server error, in turn (n % 3): a 500
 * server_error, a proxy's HTML 502 Bad Gateway, a 503 "engine overloaded". Drops the
 * billing (nothing is billed) and sets reply->fault to SIM_FAULT_HTTP. Returns 0, or -1
 * when out of memory. */
int sim_faults_server_error(unsigned long n, sim_reply_t *reply);

/* Rewrites reply (a 200 answer) into the bad-body fault f (SIM_FAULT_HTML and later):
 * see sim_fault_t. Drops the billing except for SIM_FAULT_NO_USAGE. redirect_to is
 * --redirect-to (NULL: the chat URL itself). Returns 0, or -1 when out of memory. */
int sim_faults_bad_body(sim_fault_t f, const char *redirect_to, sim_reply_t *reply);

#endif
