/* log.c - the process's one log sink (set once by the program, like curl_global_init). */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

static vb_log_fn log_fn;
static void *log_userdata;

void vb_set_log(vb_log_fn fn, void *userdata)
{
    log_fn = fn;
    log_userdata = userdata;
}

void log_message(vb_log_level_t level, const char *fmt, ...)
{
    if (!log_fn)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log_fn(level, line, log_userdata);
}
