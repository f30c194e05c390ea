/* log.h - where the library's messages go. The library never prints: a message goes to
 * the handler the program set with vb_set_log (the CLI prints it on stderr), or nowhere. */
#ifndef VB_LOG_H
#define VB_LOG_H

#include <visionbatch.h>

/* Formats one line (no newline) and hands it to the handler, if one is set. Any thread. */
void log_message(vb_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
