/* redis_limiter.c - GCRA in a Lua script, shared through Redis. */
#include "redis/redis_limiter.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KEYS[1] the limiter hash. ARGV: rpm, rpm burst, tpm, tpm burst, tokens. A rate of 0
 * takes the last one published. Times in microseconds of the server's clock. Returns 0
 * (both limits charged) or the microseconds to wait. A weight above the burst goes when
 * the limiter is idle (as ratelimit.c). */
static const char GCRA_SCRIPT[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "local function rate(i, name)\n"
    "  local r, b = tonumber(ARGV[i]), tonumber(ARGV[i + 1])\n"
    "  if r > 0 then\n"
    "    redis.call('HSET', KEYS[1], name, ARGV[i], name .. '_burst', ARGV[i + 1])\n"
    "  else\n"
    "    r = tonumber(redis.call('HGET', KEYS[1], name) or '0')\n"
    "    b = tonumber(redis.call('HGET', KEYS[1], name .. '_burst') or '1')\n"
    "  end\n"
    "  return r, b\n"
    "end\n"
    "local function check(r, b, w, field)\n"
    "  if r <= 0 then return 0, nil end\n"
    "  local T = 60000000 / r\n"
    "  local tat = tonumber(redis.call('HGET', KEYS[1], field) or '0')\n"
    "  if tat < now then tat = now end\n"
    "  local new = tat + w * T\n"
    "  local allow = new - b * T\n"
    "  if allow > tat then allow = tat end\n"
    "  if allow > now then return allow - now, nil end\n"
    "  return 0, new\n"
    "end\n"
    "local rr, rb = rate(1, 'rpm')\n"
    "local tr, tb = rate(3, 'tpm')\n"
    "local w = tonumber(ARGV[5])\n"
    "if tr > 0 and w > tr then w = tr end\n"
    "local wr, nr = check(rr, rb, 1, 'rpm_tat')\n"
    "local wt, nt = check(tr, tb, w, 'tpm_tat')\n"
    "if wr > 0 or wt > 0 then\n"
    "  local wait = wr > wt and wr or wt\n"
    "  return math.floor(wait) + 1\n"
    "end\n"
    "if nr then redis.call('HSET', KEYS[1], 'rpm_tat', string.format('%.0f', nr)) end\n"
    "if nt then redis.call('HSET', KEYS[1], 'tpm_tat', string.format('%.0f', nt)) end\n"
    "redis.call('PEXPIRE', KEYS[1], 86400000)\n"
    "return 0\n";

void redis_limiter_key(const char *base_url, const char *api_key, char *out, size_t outlen)
{
    size_t n = strlen(base_url) + 2 + (api_key ? strlen(api_key) : 0);
    char *text = malloc(n);
    char hex[HASH_HEX_LEN + 1] = "0000000000000000";
    if (text) {
        snprintf(text, n, "%s\n%s", base_url, api_key ? api_key : "");
        hash_sha256_hex(text, strlen(text), hex);
        explicit_bzero(text, n);
        free(text);
    }
    snprintf(out, outlen, "vb:limit:%.16s", hex);
}

uint64_t redis_limiter_take(void *ctx, double rpm, double rpm_burst, double tpm,
                            double tpm_burst, double tokens)
{
    redis_limiter_ctx_t *l = ctx;
    char a[5][40];
    snprintf(a[0], sizeof a[0], "%.6f", rpm);
    snprintf(a[1], sizeof a[1], "%.6f", rpm_burst);
    snprintf(a[2], sizeof a[2], "%.6f", tpm);
    snprintf(a[3], sizeof a[3], "%.6f", tpm_burst);
    snprintf(a[4], sizeof a[4], "%.3f", tokens);
    const char *argv[6] = {l->key, a[0], a[1], a[2], a[3], a[4]};
    redisReply *r = redis_conn_eval(l->conn, GCRA_SCRIPT, 1, 6, argv, NULL);
    uint64_t wait = 100000000; /* cancelled while Redis is away, or a broken reply */
    if (r && r->type == REDIS_REPLY_INTEGER)
        wait = r->integer > 0 ? (uint64_t)r->integer * 1000 : 0;
    else if (r && r->type == REDIS_REPLY_ERROR)
        log_message(VB_LOG_NOTICE, "Redis limiter: %s", r->str);
    freeReplyObject(r);
    return wait;
}
