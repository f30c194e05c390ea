/* sim_faults.h - the transient failures the simulator injects into valid requests
 * (--fail-rate, --timeout-rate, --reset-rate), so a client's retries can be tested:
 * which fault a request gets, and the bad bodies (each protocol builds its own server
 * errors, sim_protocol.h). */
#ifndef VB_SIM_FAULTS_H
#define VB_SIM_FAULTS_H

#include "sim_config.h"
#include "sim_protocol.h"
#include "sim_reply.h"

/* Nonzero when any fault rate is set (a draw is then needed per valid request). */
int sim_faults_enabled(const sim_config_t *cfg);

/* The fault for a valid request, from u uniform in [0, 1): the rates are consecutive
 * slices of [0, 1) (timeout, reset, fail), so each gets exactly its fraction.
 * SIM_FAULT_HTTP means a server error (the protocol's server_error). */
sim_fault_t sim_faults_draw(const sim_config_t *cfg, double u);

/* Rewrites reply (a 200 answer of proto) into the bad-body fault f (SIM_FAULT_HTML and
 * later): see sim_fault_t; the error object and the usage member are proto's. Drops the
 * billing except for SIM_FAULT_NO_USAGE. redirect_to is --redirect-to (NULL: self_path,
 * the call's own path: a loop). Returns 0, or -1 when out of memory. */
int sim_faults_bad_body(sim_fault_t f, const sim_protocol_t *proto, const char *self_path,
                        const char *redirect_to, sim_reply_t *reply);

#endif
