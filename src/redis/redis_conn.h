/* redis_conn.h - one connection to Redis that survives the server going away.
 *
 * The URL is redis://[[user]:password@]host[:port][/db]; the password may also come
 * from $VISIONBATCH_REDIS_PASSWORD. The password is never printed: redis_conn_name gives
 * host:port/db only. A command that fails because the connection is lost (or the server
 * is still loading its data) is retried after reconnecting, with backoff from 50 ms to
 * 2 s, until it succeeds or *cancel is set: callers see Redis as slow, never as gone, and
 * whatever they guard (dispatch, acknowledgement) pauses meanwhile. One line on stderr
 * says when the server is lost and one when it is back.
 *
 * A connection is used by one thread at a time. */
#ifndef VB_REDIS_CONN_H
#define VB_REDIS_CONN_H

#include <hiredis/hiredis.h>
#include <signal.h>
#include <stddef.h>

typedef struct redis_conn redis_conn_t;

/* Parsed URL. Strings are owned by the struct; free with redis_url_clear. */
typedef struct redis_url {
    char *host;
    int port;
    int db;
    char *user;     /* ACL user, or NULL */
    char *password; /* or NULL */
} redis_url_t;

/* Parses url into *u. Returns 0, or -1 with a reason in err (the reason never contains
 * the password). */
int redis_url_parse(const char *url, redis_url_t *u, char *err, size_t errlen);

/* Frees the strings of u, wiping the password. */
void redis_url_clear(redis_url_t *u);

/* Connects (AUTH, SELECT) to url. The first connection is not retried: a wrong URL is a
 * usage error. cancel (may be NULL) ends retries of later commands. NULL with a reason in
 * err. */
redis_conn_t *redis_conn_open(const char *url, volatile sig_atomic_t *cancel, char *err,
                              size_t errlen);

/* Runs one command given as argv (lengths in lens, or NULL for C strings). Returns the
 * reply (free with freeReplyObject; it may be an error reply, e.g. NOSCRIPT), or NULL
 * when cancelled while the server was unreachable. */
redisReply *redis_conn_command(redis_conn_t *c, int argc, const char **argv, const size_t *lens);

#define REDIS_EVAL_MAX_ARGS 1024

/* EVAL script with nkeys keys then args (argv holds keys then args, argc of them in
 * all, at most REDIS_EVAL_MAX_ARGS; lens as for redis_conn_command). The text is sent each time: the
 * scripts are short, and a restarted server needs no reloading. Same return as
 * redis_conn_command (NULL also when out of memory or argc is out of range). */
redisReply *redis_conn_eval(redis_conn_t *c, const char *script, int nkeys, int argc,
                            const char **argv, const size_t *lens);

/* Says nothing on stderr about losing the server (another connection of the process
 * already does). */
void redis_conn_set_quiet(redis_conn_t *c);

/* host:port/db, for messages. */
const char *redis_conn_name(const redis_conn_t *c);

/* Closes and frees. NULL is a no-op. */
void redis_conn_free(redis_conn_t *c);

#endif
