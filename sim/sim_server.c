/* sim_server.c - libmicrohttpd glue: routes, request bodies, sending replies.
 *
 * The access handler is called once when the headers are in (we set up the call's state),
 * once per piece of the body (we keep it, up to --max-body-bytes, and drop the rest), and
 * once more when the body is complete (we answer). What to answer is sim_policy's
 * business; this file only moves bytes, waits, and keeps the counters.
 *
 * Every wait (a latency, a call held without an answer) is a timed wait on one condition
 * variable that sim_server_stop broadcasts, so stopping never waits for them. */
#include "sim_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "sim_batchapi.h"
#include "sim_batchapi_http.h"
#include "sim_policy.h"
#include "sim_models.h"
#include "sim_protocol.h"
#include "sim_reply.h"
#include "sim_stats.h"

#define SIM_CONNECTION_LIMIT 4096U
#define SIM_LISTEN_BACKLOG   4096U
#define SIM_IDLE_TIMEOUT_S   300U
#define SIM_THREAD_STACK     ((size_t)2 * 1024 * 1024)
#define BODY_INITIAL_CAP     ((size_t)64 * 1024)
#define HOLD_POLL_MS         50 /* how often a held call looks whether its client left */
#define BROKEN_BLOCK_SIZE    4096U


/* ROUTE_PROTOCOL: a protocol's endpoint (sim_protocol.h), POST only; ROUTE_BATCHAPI: its
 * batch API (sim_batchapi_http.h), any method. */
typedef enum {
    ROUTE_UNKNOWN = 0,
    ROUTE_PROTOCOL,
    ROUTE_BATCHAPI,
    ROUTE_MODELS,
    ROUTE_GEMINI_MODEL,
    ROUTE_MODEL, /* GET /v1/models/MODEL: Anthropic's Get a Model, OpenAI's Retrieve */
    ROUTE_STATS,
    ROUTE_RESET
} route_t;

static const struct {
    const char *path;
    const char *method;
    route_t route;
} routes[] = {
    {"/v1/models", "GET", ROUTE_MODELS},
    {"/sim/stats", "GET", ROUTE_STATS},
    {"/sim/reset", "POST", ROUTE_RESET},
};

struct sim_server {
    const sim_config_t *cfg;
    struct MHD_Daemon *daemon;
    sim_policy_t *policy;
    sim_stats_t *stats;
    sim_batchapi_t *batchapi;
    FILE *record; /* --record-requests, or NULL */
    pthread_mutex_t record_lock;
    atomic_ulong next_id;
    char base_url[96];
    pthread_mutex_t wait_lock; /* guards stopping */
    pthread_cond_t wait_cond;  /* CLOCK_MONOTONIC; broadcast when stopping */
    int stopping;
    int wait_ready; /* wait_lock and wait_cond were initialised */
};

/* One HTTP request's state, from its headers to its end. */
typedef struct {
    route_t route;
    const sim_protocol_t *proto; /* ROUTE_PROTOCOL, ROUTE_BATCHAPI: whose endpoint */
    const char *allow;           /* the route's method, for 405 */
    int method_ok;
    int in_flight; /* counted in the stats' in_flight */
    unsigned long id;
    struct timespec start;
    char *body;
    size_t len, cap;
    int too_large;
} sim_conn_t;

/* Finds the route for path and whether method is the one it takes. */
#define GEMINI_MODELS "/v1beta/models/"
#define ONE_MODEL "/v1/models/"

static void conn_route(sim_conn_t *c, const char *path, const char *method)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(path, routes[i].path) == 0) {
            c->route = routes[i].route;
            c->allow = routes[i].method;
            c->method_ok = strcmp(method, routes[i].method) == 0;
            return;
        }
    }
    if (strcmp(method, "GET") == 0 && strncmp(path, ONE_MODEL, strlen(ONE_MODEL)) == 0 &&
        path[strlen(ONE_MODEL)] && !strchr(path + strlen(ONE_MODEL), '/')) {
        c->route = ROUTE_MODEL;
        c->allow = "GET";
        c->method_ok = 1;
        return;
    }
    if (strcmp(method, "GET") == 0 && strncmp(path, GEMINI_MODELS, strlen(GEMINI_MODELS)) == 0 &&
        !strchr(path, ':')) { /* Gemini's models.get */
        c->proto = &sim_protocol_gemini;
        c->route = ROUTE_GEMINI_MODEL;
        c->allow = "GET";
        c->method_ok = 1;
        return;
    }
    if ((c->proto = sim_batchapi_route(path)) != NULL) {
        c->route = ROUTE_BATCHAPI;
        c->method_ok = 1; /* each endpoint checks its own */
        return;
    }
    c->proto = sim_protocol_for_path(path);
    c->route = c->proto ? ROUTE_PROTOCOL : ROUTE_UNKNOWN;
    c->allow = "POST";
    c->method_ok = strcmp(method, "POST") == 0;
}

/* sim_lookup_fn over a libmicrohttpd connection. */
static const char *conn_lookup(void *ctx, int query, const char *name)
{
    return MHD_lookup_connection_value(ctx, query ? MHD_GET_ARGUMENT_KIND : MHD_HEADER_KIND, name);
}

/* Keeps data[0..n) of the body, unless the body has gone past max: then the whole body is
 * dropped (and the call will get a 413), so memory stays bounded by max. */
static void conn_take_body(sim_conn_t *c, const char *data, size_t n, size_t max)
{
    if (c->too_large)
        return;
    if (n > max - c->len) {
        c->too_large = 1;
        free(c->body);
        c->body = NULL;
        c->len = c->cap = 0;
        return;
    }
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : BODY_INITIAL_CAP;
        while (cap < c->len + n)
            cap = cap > max / 2 ? max : cap * 2;
        char *grown = realloc(c->body, cap);
        if (!grown) { /* treated like a body too large to take */
            c->too_large = 1;
            free(c->body);
            c->body = NULL;
            c->len = c->cap = 0;
            return;
        }
        c->body = grown;
        c->cap = cap;
    }
    memcpy(c->body + c->len, data, n);
    c->len += n;
}

static void conn_free(sim_conn_t *c)
{
    if (!c)
        return;
    free(c->body);
    free(c);
}

static long elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* t + ms. */
static struct timespec timespec_add_ms(struct timespec t, unsigned long ms)
{
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static int timespec_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Waits until deadline (CLOCK_MONOTONIC) unless the server is stopping. Returns 0 at the
 * deadline, -1 when the server stops (at once if it already is). */
static int server_wait_until(sim_server_t *s, const struct timespec *deadline)
{
    pthread_mutex_lock(&s->wait_lock);
    /* 0 is a wake-up (recheck, wait again); ETIMEDOUT (or an error) ends the wait. */
    while (!s->stopping && pthread_cond_timedwait(&s->wait_cond, &s->wait_lock, deadline) == 0)
        ;
    int stopping = s->stopping;
    pthread_mutex_unlock(&s->wait_lock);
    return stopping ? -1 : 0;
}

/* Whether the peer of socket fd has closed its end (or the socket broke). Never blocks. */
static int peer_closed(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0)
        return 0;
    if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
        return 1;
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Holds a call that gets no answer until its client gives up (closes the connection),
 * hang_ms pass, or the server stops, whichever comes first. */
static void hold_call(sim_server_t *s, struct MHD_Connection *conn, unsigned hang_ms)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int fd = info ? info->connect_fd : -1;
    struct timespec now, end;
    clock_gettime(CLOCK_MONOTONIC, &now);
    end = timespec_add_ms(now, hang_ms);
    while (timespec_before(&now, &end)) {
        struct timespec slice = timespec_add_ms(now, HOLD_POLL_MS);
        if (timespec_before(&end, &slice))
            slice = end;
        if (server_wait_until(s, &slice) != 0 || (fd >= 0 && peer_closed(fd)))
            return;
        clock_gettime(CLOCK_MONOTONIC, &now);
    }
}

static void add_headers(struct MHD_Response *resp, const sim_reply_t *reply)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            reply->content_type ? reply->content_type : "application/json");
    for (size_t i = 0; i < reply->n_headers; i++)
        MHD_add_response_header(resp, reply->headers[i].name, reply->headers[i].value);
}

/* Sends reply (its body passes to libmicrohttpd). Returns MHD's verdict. */
static enum MHD_Result send_reply(struct MHD_Connection *conn, sim_reply_t *reply)
{
    static const char fallback[] =
        "{\"error\":{\"message\":\"The server had an error while processing your request.\","
        "\"type\":\"server_error\",\"param\":null,\"code\":null}}";
    struct MHD_Response *resp;
    int status = reply->status;

    if (reply->body) {
        resp = MHD_create_response_from_buffer(reply->body_len, reply->body, MHD_RESPMEM_MUST_FREE);
        if (resp)
            reply->body = NULL;
    } else {
        status = 500;
        reply->content_type = NULL; /* the fallback is JSON */
        resp = MHD_create_response_from_buffer(sizeof fallback - 1, (void *)fallback,
                                               MHD_RESPMEM_PERSISTENT);
    }
    if (!resp)
        return MHD_NO;
    add_headers(resp, reply);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* The body of a response that breaks half way: its bytes and where they stop. */
typedef struct {
    char *body;
    size_t cut;
} broken_body_t;

static ssize_t broken_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    broken_body_t *b = cls;
    if (pos >= b->cut)
        return MHD_CONTENT_READER_END_WITH_ERROR; /* MHD closes the connection */
    size_t n = b->cut - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, b->body + pos, n);
    return (ssize_t)n;
}

static void broken_free(void *cls)
{
    broken_body_t *b = cls;
    free(b->body);
    free(b);
}

/* Sends reply's status line, headers (Content-Length of the whole body) and the first
 * half of its body, then breaks the connection: the client sees a truncated body. The
 * body passes to libmicrohttpd. Returns MHD's verdict. */
static enum MHD_Result send_broken(struct MHD_Connection *conn, sim_reply_t *reply)
{
    if (!reply->body || reply->body_len < 2)
        return send_reply(conn, reply);
    broken_body_t *b = malloc(sizeof *b);
    if (!b)
        return MHD_NO;
    b->body = reply->body;
    b->cut = reply->body_len / 2;
    struct MHD_Response *resp = MHD_create_response_from_callback(
        reply->body_len, BROKEN_BLOCK_SIZE, broken_read, b, broken_free);
    if (!resp) {
        free(b);
        return MHD_NO;
    }
    reply->body = NULL;
    add_headers(resp, reply);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)reply->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* A body sent slowly (SIM_FAULT_DRIP: one byte every SIM_DRIP_MS) or without end
 * (SIM_FAULT_HUGE: filler up to SIM_HUGE_BODY_BYTES, chunked, no Content-Length). */
typedef struct {
    char *body; /* NULL for the huge filler */
    size_t len;
} slow_body_t;

static ssize_t slow_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    slow_body_t *b = cls;
    if (!b->body) {
        if (pos >= SIM_HUGE_BODY_BYTES)
            return MHD_CONTENT_READER_END_OF_STREAM;
        size_t n = SIM_HUGE_BODY_BYTES - (size_t)pos < max ? SIM_HUGE_BODY_BYTES - (size_t)pos : max;
        memset(buf, ' ', n);
        return (ssize_t)n;
    }
    if (pos >= b->len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    struct timespec pause = {0, SIM_DRIP_MS * 1000000L};
    nanosleep(&pause, NULL); /* a thread per connection: only this call waits */
    buf[0] = b->body[pos];
    (void)max;
    return 1;
}

static void slow_free(void *cls)
{
    slow_body_t *b = cls;
    free(b->body);
    free(b);
}

/* Sends reply's status and headers, then its body dripped or a huge filler, as
 * reply->fault says. The body passes to libmicrohttpd. Returns MHD's verdict. */
static enum MHD_Result send_slow(struct MHD_Connection *conn, sim_reply_t *reply)
{
    slow_body_t *b = calloc(1, sizeof *b);
    if (!b)
        return MHD_NO;
    uint64_t size = MHD_SIZE_UNKNOWN;
    if (reply->fault == SIM_FAULT_DRIP) {
        b->body = reply->body;
        b->len = reply->body_len;
        reply->body = NULL;
        size = b->len;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(size, BROKEN_BLOCK_SIZE, slow_read, b, slow_free);
    if (!resp) {
        slow_free(b);
        return MHD_NO;
    }
    add_headers(resp, reply);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)reply->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Sends a 4xx/5xx error built on the spot. */
static enum MHD_Result send_error(struct MHD_Connection *conn, int status, const char *allow,
                                  const char *message)
{
    sim_reply_t reply;
    sim_reply_init(&reply);
    if (sim_reply_error(&reply, status, "invalid_request_error", NULL, NULL, "%s", message) != 0)
        sim_reply_clear(&reply);
    if (allow)
        sim_reply_header(&reply, MHD_HTTP_HEADER_ALLOW, "%s", allow);
    enum MHD_Result ret = send_reply(conn, &reply);
    sim_reply_clear(&reply);
    return ret;
}

/* Sends a 200 with JSON text (taken over, freed here); 500 when text is NULL. */
static enum MHD_Result send_json(struct MHD_Connection *conn, char *text)
{
    sim_reply_t reply;
    sim_reply_init(&reply);
    reply.status = 200;
    reply.body = text;
    reply.body_len = text ? strlen(text) : 0;
    enum MHD_Result ret = send_reply(conn, &reply);
    sim_reply_clear(&reply);
    return ret;
}


/* Appends the call's body as one line to --record-requests (every protocol's). */
static void record_body(sim_server_t *s, const sim_conn_t *c)
{
    if (!s->record || c->too_large)
        return;
    pthread_mutex_lock(&s->record_lock);
    if (c->len)
        fwrite(c->body, 1, c->len, s->record);
    fputc('\n', s->record);
    fflush(s->record);
    pthread_mutex_unlock(&s->record_lock);
}

/* Answers a complete call of a protocol's endpoint: the policy decides, we wait and
 * deliver it as reply.fault says (send, hold without answering, or break half way). */
static enum MHD_Result answer_call(sim_server_t *s, struct MHD_Connection *conn, sim_conn_t *c,
                                   const char *url)
{
    record_body(s, c);
    sim_call_t call = {
        .proto = c->proto,
        .id = c->id,
        .path = url,
        .body = c->body,
        .body_len = c->len,
        .body_too_large = c->too_large,
        .lookup = conn_lookup,
        .lookup_ctx = conn,
    };
    if (sim_call_query(&call, "key"))
        sim_stats_key_in_url(s->stats);
    sim_reply_t reply;
    sim_reply_init(&reply);
    reply.call_id = c->id;
    if (sim_policy_decide(s->policy, &call, &reply) != 0) {
        sim_error_t err;
        sim_reply_clear(&reply);
        sim_error_set(&err, NULL, NULL, "The server had an error while processing your request.");
        err.status = 500;
        if (c->proto->refuse(&reply, &err) != 0)
            sim_reply_clear(&reply);
    }
    free(c->body); /* not needed any more: do not hold it through the delay */
    c->body = NULL;
    c->len = c->cap = 0;

    /* The latency is the whole time from the request's arrival to the answer, as a
     * client sees a provider's: the time spent validating counts towards it. */
    if (reply.delay_ms > elapsed_ms(&c->start)) {
        struct timespec deadline = timespec_add_ms(c->start, reply.delay_ms);
        if (server_wait_until(s, &deadline) != 0) {
            sim_reply_clear(&reply); /* stopping: on_completed counts the abort */
            return MHD_NO;
        }
    }
    if (reply.fault == SIM_FAULT_TIMEOUT) {
        hold_call(s, conn, reply.hang_ms);
        sim_stats_call_end(s->stats, &reply);
        c->in_flight = 0;
        sim_reply_clear(&reply);
        return MHD_NO; /* close without a response */
    }
    c->proto->response_headers(c->id, elapsed_ms(&c->start), &reply);
    if (!reply.body)
        reply.status = 500; /* send_reply's fallback body */
    enum MHD_Result ret =
        reply.fault == SIM_FAULT_RESET ? send_broken(conn, &reply)
        : reply.fault == SIM_FAULT_DRIP || reply.fault == SIM_FAULT_HUGE
            ? send_slow(conn, &reply)
            : send_reply(conn, &reply);
    sim_stats_call_end(s->stats, &reply);
    c->in_flight = 0;
    sim_reply_clear(&reply);
    return ret;
}

/* Answers a complete call of a batch API endpoint, at once (sim_batchapi_http.h). */
static enum MHD_Result answer_batchapi(sim_server_t *s, struct MHD_Connection *conn,
                                       sim_conn_t *c, const char *url, const char *method)
{
    sim_call_t call = {
        .proto = c->proto,
        .id = c->id,
        .path = url,
        .body = c->body,
        .body_len = c->len,
        .body_too_large = c->too_large,
        .lookup = conn_lookup,
        .lookup_ctx = conn,
    };
    if (sim_call_query(&call, "key"))
        sim_stats_key_in_url(s->stats);
    sim_reply_t reply;
    sim_reply_init(&reply);
    reply.call_id = c->id;
    if (sim_batchapi_handle(s->batchapi, method, &call, &c->body, &reply) != 0) {
        sim_error_t err;
        sim_reply_clear(&reply);
        sim_error_set(&err, NULL, NULL, "The server had an error while processing your request.");
        err.status = 500;
        if (c->proto->refuse(&reply, &err) != 0)
            sim_reply_clear(&reply);
    }
    c->proto->response_headers(c->id, elapsed_ms(&c->start), &reply);
    if (!reply.body)
        reply.status = 500; /* send_reply's fallback body */
    enum MHD_Result ret = send_reply(conn, &reply);
    sim_reply_clear(&reply);
    return ret;
}

/* GET /v1/models (OpenAI's list; Anthropic's when the call carries anthropic-version) and
 * GET /v1beta/models/MODEL (Gemini's model, or its 404): the key checked as the protocol
 * checks it, the models as --models says (sim_models.h). */
static enum MHD_Result answer_models(sim_server_t *s, struct MHD_Connection *conn,
                                     sim_conn_t *c, const char *url)
{
    bool anthropic = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "anthropic-version");
    const sim_protocol_t *proto = c->route == ROUTE_GEMINI_MODEL ? &sim_protocol_gemini
                                  : anthropic                    ? &sim_protocol_anthropic
                                                                 : &sim_protocol_openai;
    sim_reply_t reply;
    sim_reply_init(&reply);
    sim_call_t call = {.proto = proto, .path = url, .lookup = conn_lookup, .lookup_ctx = conn};
    if (sim_policy_authorize(s->policy, &call, &reply) != 0) {
        enum MHD_Result ret = send_reply(conn, &reply);
        sim_reply_clear(&reply);
        return ret;
    }
    if (c->route == ROUTE_MODELS)
        return send_json(conn, sim_models_list_json(s->cfg->models, anthropic));
    sim_error_t err; /* the one model, or the protocol's 404 for it */
    if (c->route == ROUTE_MODEL) {
        const char *id = url + strlen(ONE_MODEL);
        if (sim_models_serves(s->cfg->models, id) &&
            (!anthropic || strncasecmp(id, "claude-", 7) == 0))
            return send_json(conn, sim_models_one_json(id, anthropic));
        if (anthropic)
            sim_error_set(&err, NULL, NULL, "model: %.100s", id);
        else
            sim_error_set(&err, "model", "model_not_found", "The model '%.100s' does not exist",
                          id);
    } else {
        const char *model = url + strlen(GEMINI_MODELS);
        if ((strncmp(model, "gemini-", 7) == 0 || strncmp(model, "gemma-", 6) == 0) &&
            sim_models_serves(s->cfg->models, model))
            return send_json(conn, sim_models_gemini_json(model));
        sim_error_set(&err, NULL, NULL, "models/%.100s is not found for API version v1beta.",
                      model);
    }
    err.status = 404;
    if (proto->refuse(&reply, &err) != 0)
        sim_reply_clear(&reply);
    enum MHD_Result ret = send_reply(conn, &reply);
    sim_reply_clear(&reply);
    return ret;
}

/* Routes a request whose body is complete. */
static enum MHD_Result dispatch(sim_server_t *s, struct MHD_Connection *conn, sim_conn_t *c,
                                const char *url, const char *method)
{
    char message[256];
    if (c->route == ROUTE_UNKNOWN) {
        snprintf(message, sizeof message, "Invalid URL (%.16s %.180s)", method, url);
        return send_error(conn, 404, NULL, message);
    }
    if (!c->method_ok) {
        snprintf(message, sizeof message, "Method %.16s is not allowed on %.180s; use %s.", method,
                 url, c->allow);
        return send_error(conn, 405, c->allow, message);
    }
    switch (c->route) {
    case ROUTE_PROTOCOL:
        return answer_call(s, conn, c, url);
    case ROUTE_BATCHAPI:
        return answer_batchapi(s, conn, c, url, method);
    case ROUTE_MODELS: /* OpenAI's, or Anthropic's when the call is Anthropic's */
    case ROUTE_GEMINI_MODEL:
    case ROUTE_MODEL:
        return answer_models(s, conn, c, url);
    case ROUTE_STATS:
        return send_json(conn, sim_stats_json_with(s->stats, "batch",
                                                   sim_batchapi_stats_json(s->batchapi)));
    case ROUTE_RESET:
        sim_stats_reset(s->stats);
        sim_batchapi_reset_stats(s->batchapi);
        return send_json(conn, sim_stats_json_with(s->stats, "batch",
                                                   sim_batchapi_stats_json(s->batchapi)));
    case ROUTE_UNKNOWN:
        break;
    }
    return MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    sim_server_t *s = cls;
    sim_conn_t *c = *con_cls;
    (void)version;

    if (!c) { /* headers are in */
        c = calloc(1, sizeof *c);
        if (!c)
            return MHD_NO;
        conn_route(c, url, method);
        if ((c->route == ROUTE_PROTOCOL && c->method_ok) || c->route == ROUTE_BATCHAPI) {
            c->id = atomic_fetch_add(&s->next_id, 1) + 1;
            clock_gettime(CLOCK_MONOTONIC, &c->start);
        }
        if (c->route == ROUTE_PROTOCOL && c->method_ok) {
            sim_stats_call_begin(s->stats, c->proto->id);
            c->in_flight = 1;
        }
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (c->route == ROUTE_PROTOCOL && c->method_ok)
            conn_take_body(c, upload_data, *upload_data_size,
                           sim_protocol_body_limit(c->proto, s->cfg));
        else if (c->route == ROUTE_BATCHAPI)
            conn_take_body(c, upload_data, *upload_data_size, sim_batchapi_body_limit(url));
        *upload_data_size = 0; /* other routes: the body is ignored */
        return MHD_YES;
    }
    return dispatch(s, conn, c, url, method);
}

/* The request is over (answered, or the client went away): free its state. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    sim_server_t *s = cls;
    sim_conn_t *c = *con_cls;
    (void)conn;
    (void)toe;
    if (!c)
        return;
    if (c->in_flight)
        sim_stats_call_abort(s->stats);
    conn_free(c);
    *con_cls = NULL;
}

/* libmicrohttpd's messages go to stderr, except the ones every injected timeout or reset
 * causes on purpose (a run with --timeout-rate would print one per fault). */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    if (strstr(line, "application reported error generating data") ||
        strstr(line, "Application reported internal error"))
        return;
    fprintf(stderr, "visionbatch-sim: libmicrohttpd: %s%s", line,
            line[0] && line[strlen(line) - 1] == '\n' ? "" : "\n");
}

/* Fills addr for host:port; returns its length, or 0 when host is not a numeric address. */
static socklen_t make_addr(const char *host, unsigned port, struct sockaddr_storage *addr,
                           int *ipv6)
{
    memset(addr, 0, sizeof *addr);
    struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *ipv6 = 0;
        return sizeof *a4;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *ipv6 = 1;
        return sizeof *a6;
    }
    return 0;
}

sim_server_t *sim_server_start(const sim_config_t *cfg, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    int ipv6 = 0;
    if (!make_addr(cfg->host, cfg->port, &addr, &ipv6)) {
        snprintf(err, errlen, "--host %s: not a numeric IPv4 or IPv6 address", cfg->host);
        return NULL;
    }

    sim_server_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = cfg;
    atomic_init(&s->next_id, 0);
    pthread_mutex_init(&s->record_lock, NULL);
    pthread_condattr_t cattr;
    if (pthread_condattr_init(&cattr) != 0) {
        snprintf(err, errlen, "out of memory");
        goto err;
    }
    int cond_rc = pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
    if (cond_rc == 0)
        cond_rc = pthread_cond_init(&s->wait_cond, &cattr);
    pthread_condattr_destroy(&cattr);
    if (cond_rc != 0) {
        snprintf(err, errlen, "cannot make a condition variable: %s", strerror(cond_rc));
        goto err;
    }
    pthread_mutex_init(&s->wait_lock, NULL);
    s->wait_ready = 1;
    s->policy = sim_policy_new(cfg);
    s->stats = sim_stats_new();
    s->batchapi = sim_batchapi_new(cfg);
    if (!s->policy || !s->stats || !s->batchapi) {
        snprintf(err, errlen, "out of memory");
        goto err;
    }
    if (cfg->record_path) {
        s->record = fopen(cfg->record_path, "a");
        if (!s->record) {
            snprintf(err, errlen, "--record-requests %s: %s", cfg->record_path, strerror(errno));
            goto err;
        }
    }

    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD |
                     MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0);
    errno = 0;
    s->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_request, s,
                                 MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT,
                                 SIM_CONNECTION_LIMIT, MHD_OPTION_LISTEN_BACKLOG_SIZE,
                                 SIM_LISTEN_BACKLOG, MHD_OPTION_CONNECTION_TIMEOUT,
                                 SIM_IDLE_TIMEOUT_S, MHD_OPTION_THREAD_STACK_SIZE, SIM_THREAD_STACK,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "cannot listen on %s port %u%s%s", cfg->host, cfg->port,
                 errno ? ": " : "", errno ? strerror(errno) : "");
        goto err;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : cfg->port;
    snprintf(s->base_url, sizeof s->base_url, ipv6 ? "http://[%s]:%u/v1" : "http://%s:%u/v1",
             cfg->host, port);
    return s;
err:
    sim_server_stop(s);
    return NULL;
}

const char *sim_server_base_url(const sim_server_t *s)
{
    return s->base_url;
}

void sim_server_stop(sim_server_t *s)
{
    if (!s)
        return;
    if (s->wait_ready) { /* wake every waiting call, so the daemon's threads can end */
        pthread_mutex_lock(&s->wait_lock);
        s->stopping = 1;
        pthread_cond_broadcast(&s->wait_cond);
        pthread_mutex_unlock(&s->wait_lock);
    }
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    if (s->record)
        fclose(s->record);
    pthread_mutex_destroy(&s->record_lock);
    if (s->wait_ready) {
        pthread_cond_destroy(&s->wait_cond);
        pthread_mutex_destroy(&s->wait_lock);
    }
    sim_stats_free(s->stats);
    sim_batchapi_free(s->batchapi);
    sim_policy_free(s->policy);
    free(s);
}
