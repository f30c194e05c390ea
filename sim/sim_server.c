/* sim_server.c - libmicrohttpd glue: routes, request bodies, sending replies.
 *
 * The access handler is called once when the headers are in (we set up the call's state),
 * once per piece of the body (we keep it, up to --max-body-bytes, and drop the rest), and
 * once more when the body is complete (we answer). What to answer is sim_policy's
 * business; this file only moves bytes and keeps the counters. */
#include "sim_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_policy.h"
#include "sim_reply.h"
#include "sim_stats.h"

#define SIM_CONNECTION_LIMIT 4096U
#define SIM_LISTEN_BACKLOG   4096U
#define SIM_IDLE_TIMEOUT_S   300U
#define SIM_THREAD_STACK     ((size_t)2 * 1024 * 1024)
#define BODY_INITIAL_CAP     ((size_t)64 * 1024)

/* The models GET /v1/models lists. */
static const char *const listed_models[] = {
    "gpt-4o-mini",  "gpt-4o",  "gpt-4.1",           "gpt-4.1-mini",
    "gpt-4.1-nano", "o4-mini", "claude-sonnet-4-5", "gemini-2.5-flash",
};

typedef enum { ROUTE_UNKNOWN = 0, ROUTE_CHAT, ROUTE_MODELS, ROUTE_STATS, ROUTE_RESET } route_t;

static const struct {
    const char *path;
    const char *method;
    route_t route;
} routes[] = {
    {"/v1/chat/completions", "POST", ROUTE_CHAT},
    {"/v1/models", "GET", ROUTE_MODELS},
    {"/sim/stats", "GET", ROUTE_STATS},
    {"/sim/reset", "POST", ROUTE_RESET},
};

struct sim_server {
    const sim_config_t *cfg;
    struct MHD_Daemon *daemon;
    sim_policy_t *policy;
    sim_stats_t *stats;
    FILE *record; /* --record-requests, or NULL */
    pthread_mutex_t record_lock;
    atomic_ulong next_id;
    char base_url[96];
};

/* One HTTP request's state, from its headers to its end. */
typedef struct {
    route_t route;
    const char *allow; /* the route's method, for 405 */
    int method_ok;
    int in_flight; /* counted in the stats' in_flight */
    unsigned long id;
    struct timespec start;
    char *body;
    size_t len, cap;
    int too_large;
} sim_conn_t;

/* Finds the route for path and whether method is the one it takes. */
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
    c->route = ROUTE_UNKNOWN;
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

static void sleep_ms(unsigned ms)
{
    struct timespec left = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
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
        resp = MHD_create_response_from_buffer(sizeof fallback - 1, (void *)fallback,
                                               MHD_RESPMEM_PERSISTENT);
    }
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    for (size_t i = 0; i < reply->n_headers; i++)
        MHD_add_response_header(resp, reply->headers[i].name, reply->headers[i].value);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
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

static char *models_json(void)
{
    json_t *data = json_array();
    for (size_t i = 0; data && i < sizeof listed_models / sizeof listed_models[0]; i++)
        json_array_append_new(data, json_pack("{s:s,s:s,s:i,s:s}", "id", listed_models[i], "object",
                                              "model", "created", 1700000000, "owned_by",
                                              "visionbatch-sim"));
    json_t *root = json_pack("{s:s,s:o}", "object", "list", "data", data);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return text;
}

/* Appends the call's body as one line to --record-requests. */
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

/* Answers a complete chat/completions call: the policy decides, we wait and send. */
static enum MHD_Result answer_chat(sim_server_t *s, struct MHD_Connection *conn, sim_conn_t *c)
{
    record_body(s, c);
    sim_call_t call = {
        .id = c->id,
        .authorization =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        .body = c->body,
        .body_len = c->len,
        .body_too_large = c->too_large,
    };
    sim_reply_t reply;
    sim_reply_init(&reply);
    if (sim_policy_decide(s->policy, &call, &reply) != 0) {
        sim_reply_clear(&reply);
        if (sim_reply_error(&reply, 500, "server_error", NULL, NULL,
                            "The server had an error while processing your request.") != 0)
            sim_reply_clear(&reply);
    }
    free(c->body); /* not needed any more: do not hold it through the delay */
    c->body = NULL;
    c->len = c->cap = 0;

    /* The latency is the whole time from the request's arrival to the answer, as a
     * client sees a provider's: the time spent validating counts towards it. */
    long spent = elapsed_ms(&c->start);
    if (reply.delay_ms > spent)
        sleep_ms((unsigned)(reply.delay_ms - spent));
    sim_reply_header(&reply, "x-request-id", "req_sim_%lu", c->id);
    sim_reply_header(&reply, "openai-processing-ms", "%ld", elapsed_ms(&c->start));
    if (!reply.body)
        reply.status = 500; /* send_reply's fallback body */
    enum MHD_Result ret = send_reply(conn, &reply);
    sim_stats_call_end(s->stats, &reply);
    c->in_flight = 0;
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
    case ROUTE_CHAT:
        return answer_chat(s, conn, c);
    case ROUTE_MODELS: {
        sim_reply_t reply;
        sim_reply_init(&reply);
        const char *auth =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (sim_policy_authorize(s->policy, auth, &reply) != 0) {
            enum MHD_Result ret = send_reply(conn, &reply);
            sim_reply_clear(&reply);
            return ret;
        }
        return send_json(conn, models_json());
    }
    case ROUTE_STATS:
        return send_json(conn, sim_stats_json(s->stats));
    case ROUTE_RESET:
        sim_stats_reset(s->stats);
        return send_json(conn, sim_stats_json(s->stats));
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
        if (c->route == ROUTE_CHAT && c->method_ok) {
            c->id = atomic_fetch_add(&s->next_id, 1) + 1;
            clock_gettime(CLOCK_MONOTONIC, &c->start);
            sim_stats_call_begin(s->stats);
            c->in_flight = 1;
        }
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (c->route == ROUTE_CHAT && c->method_ok)
            conn_take_body(c, upload_data, *upload_data_size, s->cfg->max_body_bytes);
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
    s->policy = sim_policy_new(cfg);
    s->stats = sim_stats_new();
    if (!s->policy || !s->stats) {
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
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT, SIM_CONNECTION_LIMIT,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, SIM_LISTEN_BACKLOG, MHD_OPTION_CONNECTION_TIMEOUT,
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
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    if (s->record)
        fclose(s->record);
    pthread_mutex_destroy(&s->record_lock);
    sim_stats_free(s->stats);
    sim_policy_free(s->policy);
    free(s);
}
