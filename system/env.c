/*
 * env.c: the formatting helpers of env.h, shared by every environment.
 */
#include "env.h"

#include <stdio.h>

/* Longest trace or log line; longer text is cut, never overflows. */
#define ENV_LINE_BYTES_MAX 1024u

void env_tracef(struct env *env, const char *kind, const char *fmt, ...)
{
    char text[ENV_LINE_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    env_trace(env, kind, text);
}

void env_logf(struct env *env, enum env_log_level level, const char *fmt, ...)
{
    char text[ENV_LINE_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    env->ops->log(env, level, text);
}
