/* metrics.h - the job's statistics for Prometheus, served on 127.0.0.1 while it runs.
 *
 * The engine's thread publishes snapshots (metrics_publish: one copy under a mutex,
 * at the statistics interval, never per request); libmicrohttpd's thread renders the
 * latest one in the text exposition format 0.0.4 for each GET /metrics. */
#ifndef VB_METRICS_H
#define VB_METRICS_H

#include <visionbatch.h>

#include <stddef.h>

typedef struct metrics metrics_t;

/* Starts serving on 127.0.0.1:port (0: a port the kernel picks). Returns NULL with a
 * reason in err when it cannot listen. Stop with metrics_stop. */
metrics_t *metrics_start(unsigned port, char *err, size_t errlen);

/* The port served on. */
unsigned metrics_port(const metrics_t *m);

/* Makes s the snapshot served from now on (copied). Thread-safe. */
void metrics_publish(metrics_t *m, const vb_stats_t *s);

/* Renders s in the Prometheus text format into buf (NUL-terminated). Returns the length,
 * or the length it would need when that is len or more. */
size_t metrics_render(char *buf, size_t len, const vb_stats_t *s);

/* Stops serving and frees. NULL is a no-op. */
void metrics_stop(metrics_t *m);

#endif
